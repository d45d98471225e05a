"""`perfloop calibrate`: quotas, the proposal and its flags per group; `--write` drafts
calibration/<group>.yaml; below them, what the anchors need: rating history, rater
leniency and the distribution by department and manager."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import jsontext
from ..calibration import Proposal, breakdown, draft_text, group, propose
from ..leniency import RaterStats, leniency
from ..model import CycleData
from ..progress import round_half_up
from ..ratings_history import StreakFlag, history, streaks
from ..report import emit_problems
from ..scoring import own_fields, score_cycle
from ..writes import apply
from .context import cycle_option, json_option, load_readable, repository_root
from .identity import identity_option, read_as


@click.command()
@cycle_option
@click.option("--group", "group_id", metavar="G", help="Only this calibration group.")
@click.option("--write", is_flag=True, help="Draft calibration/<group>.yaml from the proposal.")
@click.option("--force", is_flag=True, help="With --write: overwrite an existing file.")
@json_option
@identity_option
def command(
    cycle_id: str | None,
    group_id: str | None,
    write: bool,
    force: bool,
    as_json: bool,
    identity: str | None,
) -> None:
    """Quotas, the proposed distribution and its flags for each calibration group.

    The proposal starts from the ratings the scores earn and moves the lowest-scored people
    of an over-full rating down (ties together); unmet minimums are flagged, never filled
    silently. `--write` drafts the group's file with a reason for every quota move; it never
    overwrites an existing file unless `--force` is given.
    """
    read_as(identity)
    root = repository_root()
    loaded = load_readable(root, cycle_id)
    data = loaded.data
    # Calibration files' problems are what this command helps to fix: listed in full.
    in_files = data.path("calibration") + "/"
    file_problems = [p for p in loaded.problems if p.path.startswith(in_files)]
    if file_problems:
        emit_problems(file_problems, sys.stderr, sys.stderr, title="Perfloop calibrate")
    if group_id is not None and group(data, group_id) is None:
        known = ", ".join(g.id for g in data.groups) or "none"
        raise click.UsageError(f"no calibration group {group_id!r} (groups: {known})")
    scores = score_cycle(data)
    groups = [g for g in data.groups if group_id in (None, g.id)]
    proposals = [propose(data, g, scores) for g in groups]
    cycles = history(data, scores)
    flags = streaks(cycles)
    raters = [r for r in leniency(data, scores) if group_id in (None, r.group)]
    members = {p for g in groups for p in g.members}
    flags = [f for f in flags if f.person in members]
    scoped = {p: own_fields(scores, p)["rating"] for p in scores if p in members}
    by_dept, by_manager = breakdown(data, scoped, "department"), breakdown(data, scoped, "manager")

    written: list[str] = []
    if write:
        from ..sealing.files import SealingError

        for proposal in proposals:
            rel = data.path("calibration", f"{proposal.group.id}.yaml")
            target = root / rel
            sealed = target.with_name(target.name + ".age")
            if (target.exists() or sealed.exists()) and not force:
                shown = rel + (".age" if sealed.exists() else "")
                click.echo(f"kept existing {shown} (use --force to overwrite)", err=True)
                continue
            text = draft_text(proposal, _schema_ref(root, target))
            try:  # in a sealed cycle: sealed to its audience, never in plain text
                apply(root, data.id, {f"calibration/{proposal.group.id}.yaml": text}, data)
            except SealingError as exc:
                raise click.ClickException(str(exc)) from None
            rel += ".age" if data.cycle.sealed else ""
            written.append(rel)
            click.echo(f"wrote {rel}", err=True)

    if as_json:
        out = {
            "cycle": data.id,
            "groups": [p.to_json() for p in proposals],
            "history": [
                {"person": f.person, "end": f.end, "rating": f.rating, "cycles": list(f.cycles)}
                for f in flags
            ],
            "leniency": [
                {
                    "group": r.group,
                    "manager": r.manager,
                    "reviews": r.reviews,
                    "mean": round_half_up(r.mean),
                    "group_mean": round_half_up(r.group_mean),
                    "flagged": r.flagged,
                }
                for r in raters
            ],
            "distribution": {"department": by_dept, "manager": by_manager},
            "problems": [p.to_json() for p in file_problems],
        }
        if write:
            out["written"] = written
        click.echo(jsontext.dumps(out))
    else:
        errors: dict[str, int] = {}
        for problem in file_problems:
            if problem.is_error:
                name = Path(problem.path).stem
                errors[name] = errors.get(name, 0) + 1
        click.echo(report_text(data, proposals, flags, raters, by_dept, by_manager, errors))
    # The report is printed either way (it is how the files get fixed), but errors fail
    # the command, as they fail `validate`; a file this run replaced with a draft
    # (--write --force) no longer has them.
    loaded.finish(fixed=frozenset(written))


def _schema_ref(root: Path, target: Path) -> str:
    """Where editors find the schema from `target` (schemaref.py)."""
    from ..schemaref import schema_ref

    return schema_ref(root, target.relative_to(root).as_posix(), "calibration")


def _n(x: float | None) -> str:
    return "-" if x is None else f"{round_half_up(x):.2f}"


def report_text(
    data: CycleData,
    proposals: list[Proposal],
    flags: list[StreakFlag],
    raters: list[RaterStats],
    by_dept: dict[str, dict[str, int]],
    by_manager: dict[str, dict[str, int]],
    file_errors: dict[str, int] | None = None,
) -> str:
    lines = [f"Calibration, cycle {data.id} (confidential)"]
    for p in proposals:
        lines.append("")
        title = f"{p.group.id}" + (f" ({p.group.name})" if p.group.name else "")
        lines.append(
            f"Group {title}: {p.size} complete, {len(p.incomplete)} incomplete; "
            f"heads: {', '.join(p.group.heads) or '-'}"
        )
        quota_bits = []
        for rating, q in p.quotas.items():
            if q.min or q.max < p.size:
                quota_bits.append(f"{rating} {q.min}..{q.max}")
        lines.append("  quotas: " + (", ".join(quota_bits) or "none binding"))
        counts = p.counts()
        lines.append("  proposed: " + ", ".join(f"{r} {n}" for r, n in counts.items()))
        calibration = data.calibrations.get(p.group.id)
        sealed_file = data.sealed_path(f"calibration/{p.group.id}.yaml")
        file_state = "calibration file: " + (
            data.path("calibration", f"{p.group.id}.yaml")
            if calibration
            else f"{sealed_file}, sealed, not readable by you"
            if sealed_file
            else "missing"
        )
        if (file_errors or {}).get(p.group.id):
            file_state += f" ({file_errors[p.group.id]} error(s), listed above)"  # type: ignore[index]
        lines.append(f"  {file_state}")
        moved = {m.person: m for m in p.moves}
        width = max((len(x) for x in p.proposed), default=6)
        for person, rating in p.proposed.items():
            mark = f"  (score earns {p.scored[person]}, quota move)" if person in moved else ""
            decided = ""
            if calibration and person in calibration.ratings:
                decided_rating = calibration.ratings[person].rating
                if decided_rating != rating:
                    decided = f"  file: {decided_rating}"
            lines.append(
                f"    {person.ljust(width)}  {_n(p.finals[person]):>6}  {rating}{mark}{decided}"
            )
        sealed = [person for person, missing in p.incomplete.items() if not missing]
        for person, missing in p.incomplete.items():
            if missing:
                lines.append(f"    {person.ljust(width)}  incomplete: lacks {', '.join(missing)}")
            else:  # no number without their sealed reviews: not missing, not an error
                lines.append(f"    {person.ljust(width)}  sealed, not readable by you")
        if sealed:
            lines.append(
                f"  {len(sealed)} member(s) with files sealed, not readable by you: the "
                "proposal covers the others only"
            )
        for flag in p.flags:
            lines.append(f"  FLAG: {flag}")
    lines.append("")
    lines.append("Top or bottom two cycles running:")
    lines += [f"  {f.message}" for f in flags] or ["  nobody"]
    lines.append("")
    lines.append(
        "Rater leniency (manager reviews, 0-100; flagged beyond "
        f"{data.cycle.calibration.leniency_gap:g} points from the group mean):"
    )
    for r in raters:
        flag = "  FLAG" if r.flagged else ""
        lines.append(
            f"  {r.group:<16} {r.manager:<14} {r.reviews:>2} review(s)  mean {_n(r.mean):>6}  "
            f"group {_n(r.group_mean):>6}  gap {r.gap:+.2f}{flag}"
        )
    if not raters:
        lines.append("  no manager reviews yet")
    ratings = [lv.rating for lv in data.cycle.rating_scale]
    for title, table in (("department", by_dept), ("manager", by_manager)):
        lines.append("")
        lines.append(f"Distribution by {title}:")
        width = max((len(k) for k in table), default=4)
        lines.append("  " + " " * width + "  " + "  ".join(f"{r:>3}" for r in ratings))
        for key, row in table.items():
            lines.append(
                "  " + key.ljust(width) + "  " + "  ".join(f"{row.get(r, 0):>3}" for r in ratings)
            )
    return "\n".join(lines)
