"""A cycle's life: phases in order, the next cycle, the frozen results snapshot.

What is still owed before a phase ends is `status.owed` (shared with `perfloop status`).

Pure functions over the loaded cycle and file texts; the `perfloop cycle` commands check the
result with `writes` and write it. Files people wrote (cycle.yaml) are edited round-trip with
`yamledit`; new files from plain data (drafts, results) are dumped by `loader.dump`, the C
emitter, ten times faster than a round-trip dump on a large company.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import frozen, yamledit
from .carryover import development_plan, draft_goals
from .loader import dump
from .model import PHASES, CycleData, Group
from .progress import round_half_up
from .schemaref import placed
from .scoring import FORMULAS, PersonScore, score_cycle
from .writes import schema_line, with_schema_line

# --- phases --------------------------------------------------------------


def next_phase(phase: str) -> str | None:
    """The phase after `phase`; None after `closed`."""
    i = PHASES.index(phase)
    return PHASES[i + 1] if i + 1 < len(PHASES) else None


def uncalibrated_groups(data: CycleData, scores: Mapping[str, PersonScore]) -> list[Group]:
    """Groups with rated (complete) members but no calibration file: `close` needs them.

    A group whose members are all incomplete has nobody to rate, so it needs no file
    (`perfloop status` still lists it while the cycle is in calibration)."""
    return [
        group
        for group in data.groups
        if group.id not in data.calibrations
        and any(scores[m].complete for m in group.members if m in scores)
    ]


def set_phase(cycle_text: str, phase: str) -> str:
    """cycle.yaml's text with a new phase; every other line kept as it was."""
    doc = yamledit.load(cycle_text)
    doc["phase"] = phase
    return with_schema_line(yamledit.dump(doc, like=cycle_text), "cycle")


# --- the next cycle --------------------------------------------------------------------------


def _add_months(day: dt.date, months: int, month_end: bool = False) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, last if month_end else min(day.day, last))


def _is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def period_shift(start: dt.date, end: dt.date) -> Callable[[dt.date], dt.date]:
    """How to move a date of a cycle to the same point of the next one.

    A period of whole months (first day to last day: a quarter, a half) moves by that many
    months, a month's last day staying a last day (H1 2026-01-01..06-30 becomes
    2026-07-01..12-31); any other period moves by its length in days.
    """
    if start.day == 1 and _is_month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return lambda d: _add_months(d, months, month_end=_is_month_end(d))
    days = (end - start).days + 1
    return lambda d: d + dt.timedelta(days=days)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def next_cycle_text(cycle_text: str, new_id: str, name: str | None, seal: bool = False) -> str:
    """cycle.yaml of the next cycle: same settings and comments; new id, phase planning,
    period, deadlines and check-point moved on, HR's designated reviewers cleared, name
    replaced. `seal`: the next cycle is sealed (SPEC section 7) even if this one was plain."""
    doc = yamledit.load(cycle_text)
    shift = period_shift(_as_date(doc["period"]["start"]), _as_date(doc["period"]["end"]))
    doc["id"] = new_id
    if name:
        doc["name"] = name
    elif "name" in doc:
        del doc["name"]  # "H1 2026" would be wrong for the next cycle
    for key in ("start", "end"):
        doc["period"][key] = shift(_as_date(doc["period"][key]))
    doc["phase"] = "planning"
    for key, value in list((doc.get("deadlines") or {}).items()):
        doc["deadlines"][key] = shift(_as_date(value))
    for key, value in list((doc.get("checkpoint") or {}).items()):  # date, due
        doc["checkpoint"][key] = shift(_as_date(value))
    if "designated" in doc:
        del doc["designated"]  # named by HR for one cycle's reviews
    if seal:
        doc["confidentiality"] = "sealed"
    return with_schema_line(yamledit.dump(doc, like=cycle_text), "cycle")


GOALS_HEADER = (
    "# Draft carried over from {prev} by `perfloop cycle new`: unfinished key results\n"
    "# (starting where they stood), improvement-plan actions from the reviews as a development\n"
    "# objective, and last cycle's KPI targets. Align each objective to this cycle's\n"
    "# objectives (aligns_to), set weights and agree the whole with your manager.\n"
)


def next_cycle_files(prev: CycleData, new_id: str, name: str | None = None) -> dict[str, str]:
    """Every file of the cycle after `prev` (paths inside the new cycle folder -> text).

    Copied: org.yaml and templates (as they are, comments included) and cycle.yaml's
    settings. Drafted: the goals of everyone who had goals in `prev` and is still in the
    org. Not copied: company and department objectives (strategy is set afresh, top-down),
    reviews, calibration and results.
    """
    root = Path(prev.root)
    folder = root / prev.dir

    def read(rel: str) -> str:
        return (folder / rel).read_text(encoding="utf-8")

    # `cycle new` writes a sealed cycle (SPEC section 7) once org.yaml has the org key every
    # sealed file needs; without it the next cycle stays as this one is
    seal = prev.org.org_key is not None
    files = {"cycle.yaml": next_cycle_text(read("cycle.yaml"), new_id, name, seal)}
    files["org.yaml"] = with_schema_line(read("org.yaml"), "org")
    for template in sorted(prev.templates):
        rel = f"templates/{template}.yaml"
        files[rel] = with_schema_line(read(rel), "template")
    sealed = prev.cycle.sealed  # review text stays sealed: plans go to development/<p>.yaml
    for person in prev.org.people:
        if person in prev.goals:
            draft = draft_goals(prev, person, plans=not sealed)
            text = GOALS_HEADER.format(prev=prev.id) + dump(draft)
            files[f"goals/{person}.yaml"] = schema_line("goals") + text
        plan = development_plan(prev, person) if sealed else None
        if plan is not None:
            files[f"development/{person}.yaml"] = (
                f"# Improvement plans agreed in the {prev.id} reviews (sealed).\n" + dump(plan)
            )
    return files


# --- closing: the results snapshot --------------------------------------------------------------


def _shown(x: float | None) -> float | None:
    return None if x is None else round_half_up(x)


def person_result(data: CycleData, s: PersonScore) -> dict[str, Any]:
    """One person's frozen result: sections, final, proposed and final rating, bonus."""
    person = data.org.people[s.id]
    group = data.group_of(s.id)
    out: dict[str, Any] = {
        "department": person.department,
        "group": group.id if group else None,
        "template": s.template,
        "complete": s.complete,
        "okr": _shown(s.okr),
        "kpi": _shown(s.kpi),
        "review": _shown(s.review),
        "final": _shown(s.final),
        "proposed": s.proposed,
        "rating": s.rating if s.complete else None,
        "bonus": s.bonus if s.complete else None,
    }
    calibration = data.calibrations.get(group.id) if group else None
    entry = calibration.ratings.get(s.id) if calibration else None
    if entry and entry.reason and s.complete:
        out["reason"] = entry.reason
    if s.missing:
        out["missing"] = list(s.missing)
    out["breakdown"] = {
        "weights": {k: v for k, v in s.weights.items()},
        "objectives": [
            {"id": o.id, "weight": o.weight, "score": _shown(o.score)} for o in s.objectives
        ],
        "kpis": [
            {
                "id": k.id,
                "weight": k.weight,
                "target": k.target,
                "actual": k.actual,
                "score": _shown(k.score),
            }
            for k in s.kpis
        ],
        "reviews": [
            {
                "relation": g.relation,
                "weight": g.weight,
                "count": len(g.reviews),
                "score": _shown(g.score),
            }
            for g in s.review_groups
        ],
    }
    return out


def results_data(
    data: CycleData, closed_on: dt.date | str | None, digests: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """results.yaml: the cycle's final numbers, as shown (rounded half-up to 2 decimals),
    and the digest of every file of the cycle as closed (frozen.py), when given."""
    scores = score_cycle(data)
    ratings = {lv.rating: 0 for lv in data.cycle.rating_scale}
    for s in scores.values():
        if s.complete and s.rating in ratings:
            ratings[s.rating] += 1
    groups = []
    for group in data.groups:
        counts = {lv.rating: 0 for lv in data.cycle.rating_scale}
        complete = [m for m in group.members if scores[m].complete]
        for m in complete:
            counts[scores[m].rating] += 1  # type: ignore[index]
        groups.append(
            {
                "id": group.id,
                "members": len(group.members),
                "rated": len(complete),
                "ratings": counts,
            }
        )
    out: dict[str, Any] = {
        "cycle": data.id,
        "closed_on": closed_on,
        "formulas": FORMULAS,
        "summary": {
            "people": len(scores),
            "rated": sum(s.complete for s in scores.values()),
            "ratings": ratings,
        },
        "groups": groups,
        "people": {pid: person_result(data, s) for pid, s in scores.items()},
    }
    if digests is not None:
        out[frozen.DIGESTS] = dict(digests)
    return out


def results_differences(data: CycleData, results: Any) -> list[tuple[tuple, str]]:
    """Where `results` (a closed cycle's results.yaml, as loaded) differs from what
    `perfloop cycle close` writes for `data`'s files (results_data): (the key's path in
    results.yaml, what differs). The close date is the one choice close leaves to HR; the
    digests (`files:`) are frozen.py's to compare. One entry per person row that differs
    (its first field); the summary and groups only when no row does, since they follow
    from the rows. No value is named: the messages go to CI logs."""
    if not isinstance(results, dict):
        return [((), "it is not a results snapshot")]
    rebuilt = results_data(data, results.get("closed_on"), frozen.recorded_digests(results))
    people, found = rebuilt["people"], results.get("people")
    if not isinstance(found, dict):
        return [(("people",), "its people are not as close writes them")]
    out: list[tuple[tuple, str]] = []
    for pid in found:
        if pid not in people:
            out.append((("people", pid), f"{pid} is not in the cycle's org.yaml"))
    for pid, row in people.items():
        given = found.get(pid)
        if not isinstance(given, dict):
            out.append((("people",), f"{pid}'s row is missing"))
            continue
        keys = [k for k in (*row, *given) if row.get(k) != given.get(k)]
        if keys:
            out.append((("people", pid, keys[0]), f"{pid}'s {keys[0]} is not what they give"))
    if not out:
        for key in ("cycle", "summary", "groups"):
            if rebuilt[key] != results.get(key):
                out.append(((key,), f"{key} is not what they give"))
    return out


RESULTS_HEADER = (
    "# Results of cycle {cycle}, written by `perfloop cycle close` on {date}. Frozen: the\n"
    "# closed cycle may not change; `files` holds each file's digest as closed, and\n"
    "# `perfloop validate` reports a file changed since. Confidential (scores, ratings,\n"
    "# bonus): never published.\n"
)


def results_text(
    data: CycleData, closed_on: dt.date, digests: Mapping[str, str] | None = None
) -> str:
    header = RESULTS_HEADER.format(cycle=data.id, date=closed_on)
    return schema_line("results") + header + dump(results_data(data, closed_on, digests))


def close_changes(
    data: CycleData, cycle_text: str, closed_on: dt.date, digests: Mapping[str, str]
) -> dict[str, str]:
    """results.yaml first, then cycle.yaml at `closed`: an interruption between the two
    leaves an open cycle that can be closed again, never a closed one without results.

    `digests`: of the cycle's files as they are (frozen.cycle_digests); results.yaml
    records them with cycle.yaml as closed."""
    # placed as the write will place it (writes.write_checked): the digest is of what is written
    closed = placed(Path(data.root), f"{data.dir}/cycle.yaml", set_phase(cycle_text, "closed"))
    # a sealed cycle: each person's own results too, readable by them and their managers
    # (written sealed by `writes.apply`; results.yaml is HR's only), recorded as written
    own = person_results(data, closed_on) if data.cycle.sealed else {}
    own = {rel: placed(Path(data.root), f"{data.dir}/{rel}", text) for rel, text in own.items()}
    record = frozen.as_written(digests, {**own, "cycle.yaml": closed}, data.cycle.sealed)
    return {
        **own,
        "results.yaml": results_text(data, closed_on, record),
        "cycle.yaml": closed,
    }


def person_results(data: CycleData, closed_on: dt.date) -> dict[str, str]:
    """`results/<p>.yaml` for everyone scored: p's final, rating, bonus and sections (SPEC
    section 7), the values results.yaml records for them."""
    out = {}
    for person, score in score_cycle(data).items():

        def shown(x: float | None) -> float | None:
            return None if x is None else round_half_up(x)

        out[f"results/{person}.yaml"] = (
            f"# Results of {person} in cycle {data.id}, closed on {closed_on} by perfloop.\n"
            + dump(
                {
                    "person": person,
                    "cycle": data.id,
                    "final": shown(score.final),
                    "rating": score.rating,
                    "bonus": score.bonus,
                    "complete": score.complete,
                    "sections": {s: shown(score.section(s)) for s in ("okr", "kpi", "review")},
                }
            )
        )
    return out
