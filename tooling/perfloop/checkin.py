"""A check-in: new current values for key results (and KPI actuals), plus a dated entry.

`perfloop checkin alice o1/kr1=99.9 o1/kr3=done kpi:availability=99.95 --note …` edits
goals/alice.yaml in place, keeping its comments and key order: each key result gets its new
`current` (a milestone its `done`, a hand-graded one its `score`), each KPI its `actual`,
and one entry is appended to `checkins` with the date, the key-result values, confidence,
note and blockers. The git history of the file is then the progress timeline.

`perfloop checkin platform o1/kr1=99.9` does the same in departments/platform.yaml for a
team key result (team: true), which its owner checks in for; a member's reference to it
(`ref:`) has no values to check in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import yamledit
from .model import Goals, ObjectiveSet
from .writes import with_schema_line

TRUE = {"true", "done", "yes"}
FALSE = {"false", "not-done", "no"}
KPI_PREFIX = "kpi:"


class CheckinError(ValueError):
    """An assignment on the command line that does not fit the person's goals."""


@dataclass(frozen=True)
class Assignment:
    key: str  # "o1/kr1", or "kpi:<id>"
    value: float | int | bool

    @property
    def is_kpi(self) -> bool:
        return self.key.startswith(KPI_PREFIX)


def _number(raw: str, key: str) -> float | int:
    try:
        value = float(raw)
    except ValueError:
        raise CheckinError(f"{key}: {raw!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CheckinError(f"{key}: {raw!r} is not a finite number")
    return int(value) if value.is_integer() and "." not in raw and "e" not in raw.lower() else value


def parse_assignments(goals: ObjectiveSet, items: list[str]) -> list[Assignment]:
    """`o1/kr1=42`, `o1/kr2=done`, `kpi:availability=99.9` checked against `goals` (a
    person's goals; or a department's objectives, whose team key results alone are checked
    in there, by their owner)."""
    department = not isinstance(goals, Goals)
    out: dict[str, Assignment] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise CheckinError(f"{item!r}: write OBJECTIVE/KR=VALUE or kpi:ID=VALUE")
        if key in out:
            raise CheckinError(f"{key} is given twice")
        if key.startswith(KPI_PREFIX):
            if not isinstance(goals, Goals):
                raise CheckinError(
                    f"{key}: a department has no KPIs; check in its team key results"
                )
            kpi_id = key[len(KPI_PREFIX) :]
            if kpi_id not in goals.kpis:
                known = ", ".join(sorted(goals.kpis)) or "none"
                raise CheckinError(f"{key}: {goals.owner} has no KPI {kpi_id!r} (KPIs: {known})")
            out[key] = Assignment(key, _number(raw, key))
            continue
        obj_id, _, kr_id = key.partition("/")
        objective = goals.objective(obj_id)
        kr = objective.key_result(kr_id) if objective and kr_id else None
        if kr is not None and kr.ref is not None:  # a member's reference: not theirs to move
            dept, _, team_key = kr.ref.partition("/")
            raise CheckinError(
                f"{key} is the team key result {kr.ref}: who owns it checks in for it "
                f"(perfloop checkin {dept} {team_key}=VALUE)"
            )
        if kr is None or (department and not kr.team):
            raise CheckinError(_not_checked_in_here(goals, key, department))
        if kr.kind == "milestone":
            word = raw.lower()
            if word not in TRUE | FALSE:
                raise CheckinError(f"{key} is a milestone: give done (true) or false")
            out[key] = Assignment(key, word in TRUE)
        else:
            value = _number(raw, key)
            if kr.kind == "graded" and not 0 <= value <= 1:
                raise CheckinError(f"{key} is graded by hand: give a score in [0, 1]")
            out[key] = Assignment(key, value)
    return list(out.values())


def _not_checked_in_here(goals: ObjectiveSet, key: str, department: bool) -> str:
    """Why `key` is refused, naming what this file does check in (a department's file:
    its team key results; a person's: their own key results, not their references)."""
    what, where = (
        ("team key result", goals.owner) if department else ("key result", f"{goals.owner}'s goals")
    )
    own = [
        f"{o.id}/{k.id}"
        for o in goals.objectives
        for k in o.key_results
        if k.ref is None and (k.team or not department)
    ]
    return f"{key} is not a {what} of {where} ({what}s: {', '.join(own) or 'none'})"


def _find(items: Any, ident: str) -> Any:
    return next(item for item in items if item.get("id") == ident)


def apply_checkin(
    source: str,
    goals: ObjectiveSet,
    assignments: list[Assignment],
    date: dt.date,
    confidence: float | None = None,
    note: str | None = None,
    blockers: str | None = None,
) -> str:
    """The goals file's text after the check-in (comments and key order kept)."""
    doc = yamledit.load(source)
    values = yamledit.CommentedMap()
    for a in assignments:
        if a.is_kpi:
            doc["kpis"][a.key[len(KPI_PREFIX) :]]["actual"] = a.value
            continue
        obj_id, kr_id = a.key.split("/")
        kr = _find(_find(doc["objectives"], obj_id)["key_results"], kr_id)
        kind = goals.objective(obj_id).key_result(kr_id).kind  # type: ignore[union-attr]
        field = {"milestone": "done", "graded": "score"}.get(kind, "current")
        kr[field] = a.value
        values[a.key] = a.value
    entry = yamledit.CommentedMap()
    entry["date"] = date
    if values:
        entry["values"] = values
    if confidence is not None:
        entry["confidence"] = confidence
    if note:
        entry["note"] = yamledit.text(note)
    if blockers:
        entry["blockers"] = yamledit.text(blockers)
    if not doc.get("checkins"):  # absent, null or `[]`: start a block list
        doc["checkins"] = yamledit.CommentedSeq()
    doc["checkins"].append(entry)
    kind = "goals" if isinstance(goals, Goals) else "objectives"
    return with_schema_line(yamledit.dump(doc, like=source), kind)
