"""Check-ins name key results of their own file, with values of the right type, in order."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem


def check(data: CycleData) -> Iterator[Problem]:
    cycle = data.cycle
    for goals in data.goals.values():
        previous = None
        for checkin in goals.checkins:
            if previous and checkin.date < previous:
                yield checkin.where.warning(
                    f"check-in of {checkin.date} comes after one of {previous}; keep them "
                    "oldest first",
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
                obj_id, _, kr_id = key.partition("/")
                objective = goals.objective(obj_id)
                kr = objective.key_result(kr_id) if objective else None
                if kr is None:
                    yield checkin.where.error(
                        f"{key} is not a key result of this file", "values", key
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
