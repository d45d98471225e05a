"""The rating scale and the forced distribution make sense; cycle dates are in order."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import PHASES, CycleData
from ..problems import Problem
from .reads import Reads

# Cycle.yaml alone (reads.py).
READS = Reads.of("cycle")


def check(data: CycleData) -> Iterator[Problem]:
    cycle = data.cycle
    where = cycle.where
    names = [lv.rating for lv in cycle.rating_scale]
    for i, name in enumerate(names):
        if name in names[:i]:
            yield where.error(f"rating {name!r} appears twice", "rating_scale", i, "rating")
    mins = [lv.min for lv in cycle.rating_scale]
    for i in range(1, len(mins)):
        if mins[i] >= mins[i - 1]:
            yield where.error(
                f"rating_scale runs best first: {names[i]}'s min {mins[i]:g} must be below "
                f"{names[i - 1]}'s {mins[i - 1]:g}",
                "rating_scale",
                i,
                "min",
            )
    if mins and mins[-1] != 0:
        yield where.error(
            f"the last rating ({names[-1]}) needs min 0 so that every score earns a rating",
            "rating_scale",
            len(mins) - 1,
            "min",
        )
    bonuses = [lv.bonus for lv in cycle.rating_scale]
    if bonuses != sorted(bonuses, reverse=True):
        yield where.warning("bonus coefficients do not fall with the rating", "rating_scale")

    dist = cycle.calibration.distribution
    for rating, quota in dist.items():
        if rating not in names:
            yield where.error(
                f"distribution names {rating!r}, which is not on the rating scale",
                "calibration",
                "distribution",
                rating,
            )
        if quota.min is not None and quota.max is not None and quota.min > quota.max:
            yield where.error(
                f"{rating}: min share {quota.min:g} exceeds max share {quota.max:g}",
                "calibration",
                "distribution",
                rating,
            )
    total_min = sum(q.min or 0 for q in dist.values())
    if total_min > 1 + 1e-9:
        yield where.error(
            f"minimum shares add up to {total_min:g}, more than everyone",
            "calibration",
            "distribution",
        )
    uncapped = [r for r in names if r not in dist or dist[r].max is None]
    total_max = sum(q.max or 0 for r, q in dist.items() if r in names)
    if names and not uncapped and total_max < 1 - 1e-9:
        yield where.error(
            f"maximum shares add up to {total_max:g}: not everyone can be rated",
            "calibration",
            "distribution",
        )

    start, end = cycle.period_start, cycle.period_end
    if start >= end:
        yield where.error("period: start must be before end", "period", "start")
    previous = None
    for phase in PHASES:
        due = cycle.deadlines.get(phase)
        if due is None:
            continue
        if previous and due < previous[1]:
            yield where.error(
                f"deadline of {phase} ({due}) is before that of {previous[0]} ({previous[1]})",
                "deadlines",
                phase,
            )
        previous = (phase, due)
