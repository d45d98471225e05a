"""`perfloop score`: per person okr, kpi, review, final, rating, bonus; incomplete people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from .. import jsontext
from ..frozen import recorded_scores
from ..progress import round_half_up
from ..scoring import PersonScore, own_fields, score_cycle, score_json
from .context import cycle_option, json_option, load_readable, repository_root
from .identity import identity_option, read_as


@click.command()
@cycle_option
@click.option("--person", "person_id", metavar="P", help="Show one person's full breakdown.")
@json_option
@identity_option
def command(
    cycle_id: str | None, person_id: str | None, as_json: bool, identity: str | None
) -> None:
    """Scores of every person in the cycle (confidential: do not paste into public places).

    Numbers are shown rounded half-up to 2 decimals; the rating is the calibrated one
    (marked *) where the group's calibration file rates the person, else the one the score
    earns.
    """
    read_as(identity)
    loaded = load_readable(repository_root(), cycle_id)
    data = loaded.data
    scores = recorded_scores(data) or score_cycle(data)  # a closed cycle: its record
    if person_id is not None and person_id not in scores:
        raise click.UsageError(f"no person {person_id!r} in cycle {data.id}")
    if person_id is not None and not as_json:
        click.echo(breakdown_text(scores[person_id], data.org.people[person_id].name))
        loaded.finish()
        return
    # Only each person's own fields are printed: scores answered from a verdict give them
    # without building every objective, KPI and review record.
    rows = [own_fields(scores, p) for p in ([person_id] if person_id is not None else scores)]
    if as_json:
        people = [score_json(row) for row in rows]
        click.echo(jsontext.dumps({"cycle": data.id, "people": people}))
    else:
        departments = {p.id: p.department for p in data.org.people.values()}
        click.echo(table_text(data.id, rows, departments))
    loaded.finish()


def _num(x: float | None) -> str:
    return "-" if x is None else f"{round_half_up(x):.2f}"


def table_text(cycle_id: str, scores: list[Mapping[str, Any]], departments: dict[str, str]) -> str:
    """The score table, everyone in org order (spec: okr, kpi, review, final, rating,
    complete); an incomplete person shows the sections they have. `scores` are each
    person's fields (`PersonScore` attributes)."""
    header = (
        "person", "department", "okr", "kpi", "review", "final", "rating", "bonus", "complete"
    )  # fmt: skip
    rows = []
    for s in scores:
        rating = (s["rating"] or "-") + ("*" if s["calibrated"] else "")
        bonus = "-" if s["bonus"] is None else f"{s['bonus']:.2f}"
        review, final = _num(s["review"]), _num(s["final"])
        done = "yes" if s["complete"] else "no"
        hidden = s.get("sealed") or ()
        if "review" in hidden:  # "sealed, not readable by you" where the number would be
            review = final = rating = bonus = done = "sealed"
        elif "rating" in hidden:
            rating = bonus = done = "sealed"
        sections = (_num(s["okr"]), _num(s["kpi"]), review, final)
        rows.append((s["id"], departments.get(s["id"], ""), *sections, rating, bonus, done))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 7}
    lines = [f"Scores, cycle {cycle_id} (confidential)", ""]
    for row in [header, *rows]:
        cells = [
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    sealed = [s for s in scores if s.get("sealed")]
    incomplete = [s for s in scores if not s["complete"] and not s.get("sealed")]
    complete = len(scores) - len(incomplete) - len(sealed)
    lines.append("")
    lines.append(
        f"{complete} complete, {len(incomplete)} incomplete"
        + (f", {len(sealed)} sealed (not readable by you)" if sealed else "")
    )
    if any(s["calibrated"] for s in scores):
        lines.append("* rating set by the calibration file")
    if incomplete:
        lines.append("")
        lines.append("Incomplete (no final score, no rating):")
        for s in incomplete:
            lines.append(f"  {s['id']}: lacks {', '.join(s['missing'])}")
    return "\n".join(lines)


def breakdown_text(s: PersonScore, name: str) -> str:
    lines = [f"{name} ({s.id}), template {s.template or '-'}"]
    w = s.weights
    lines.append(
        f"  final {'sealed' if 'review' in s.sealed else _num(s.final)}"
        + f"  rating {'sealed' if s.sealed else s.rating or '-'}"
        + (f" (calibrated; score proposes {s.proposed})" if s.calibrated else "")
        + (f"  bonus {s.bonus:g}" if s.bonus is not None else "")
    )
    if s.missing:
        lines.append(f"  incomplete: lacks {', '.join(s.missing)}")
    if s.sealed:
        lines.append(f"  sealed, not readable by you: {', '.join(s.sealed)}")
    lines.append(f"  okr {_num(s.okr)} (weight {w.get('okr', 0):g})")
    for o in s.objectives:
        weight = "" if o.weight is None else f"  weight {o.weight:g}"
        lines.append(f"    {o.id}  {_num(o.score)}{weight}  {o.title}")
    lines.append(f"  kpi {_num(s.kpi)} (weight {w.get('kpi', 0):g})")
    for k in s.kpis:
        weight = "" if k.weight is None else f"  weight {k.weight:g}"
        actual = "no actual" if k.actual is None else f"actual {k.actual:g}"
        target = "no target" if k.target is None else f"target {k.target:g}"
        lines.append(f"    {k.id}  {_num(k.score)}{weight}  ({actual}, {target})")
    review = "sealed" if "review" in s.sealed else _num(s.review)
    lines.append(f"  review {review} (weight {w.get('review', 0):g})")
    for g in s.review_groups:
        note = "" if g.counted else "  (weight 0: not counted)"
        lines.append(
            f"    {g.relation}  {_num(g.score)}  weight {g.weight:g}  by {', '.join(g.reviews)}"
            + note
        )
    return "\n".join(lines)
