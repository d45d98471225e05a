"""Check-ins name key results of their own file, with values of the right type, in order."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Cycle, CycleData, KeyResult, ObjectiveSet
from ..problems import Problem
from .reads import Reads

# Each goals file alone (reads.py).
READS = Reads.of("cycle", "goals")


def _key_results(goals: ObjectiveSet) -> dict[tuple[str, str], KeyResult]:
    """(objective id, key result id) -> what `goals.objective(o).key_result(k)` finds (the
    first of each id), indexed once per file rather than searched for every value."""
    found: dict[tuple[str, str], KeyResult] = {}
    objectives: set[str] = set()
    for objective in goals.objectives:
        if objective.id not in objectives:
            objectives.add(objective.id)
            for kr in objective.key_results:
                found.setdefault((objective.id, kr.id), kr)
    return found


def check(data: CycleData) -> Iterator[Problem]:
    for goals in data.goals.values():
        if goals.checkins:
            yield from file_checkins(data.cycle, goals)


def file_checkins(cycle: Cycle, goals: ObjectiveSet, team_only: bool = False) -> Iterator[Problem]:
    """The problems of one file's check-ins: a goals file's, or (`team_only`) a department's,
    whose check-ins name its team key results only."""
    key_results: dict[tuple[str, str], KeyResult] | None = None
    previous = None
    for checkin in goals.checkins:
        if previous and checkin.date < previous:
            yield checkin.where.warning(
                f"check-in of {checkin.date} comes after one of {previous}; keep them oldest first",
                "date",
            )
        previous = checkin.date
        if not cycle.period_start <= checkin.date <= cycle.period_end:
            yield checkin.where.warning(
                f"check-in date {checkin.date} is outside the cycle "
                f"({cycle.period_start} to {cycle.period_end})",
                "date",
            )
        for key, value in checkin.values.items():
            if key_results is None:
                key_results = _key_results(goals)
            obj_id, _, kr_id = key.partition("/")
            kr = key_results.get((obj_id, kr_id))
            if kr is None:
                yield checkin.where.error(f"{key} is not a key result of this file", "values", key)
            elif team_only and not kr.team:
                yield checkin.where.error(
                    f"{key} is not a team key result (team: true): a department checks in "
                    "for its team key results only",
                    "values",
                    key,
                )
            elif kr.kind == "milestone" and not isinstance(value, bool):
                yield checkin.where.error(
                    f"{key} is a milestone: give true or false", "values", key
                )
            elif kr.kind == "numeric" and isinstance(value, bool):
                yield checkin.where.error(f"{key} is numeric: give a number", "values", key)
            elif kr.kind == "graded" and isinstance(value, bool):
                yield checkin.where.error(
                    f"{key} is graded by hand: give a score in [0, 1]", "values", key
                )
