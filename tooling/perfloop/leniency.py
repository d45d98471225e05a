"""Rater leniency: does a manager rate their reports higher or lower than the group does?

For each calibration group, every manager review is turned into its 0..100 value (the
spec's review formula); a manager's mean is set against the mean of all manager reviews in
the group, and flagged when the gap exceeds `calibration.leniency_gap` points (default 10).
A group with a single manager has nothing to compare with and is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import CycleData
from .scoring import review_value


@dataclass(frozen=True)
class RaterStats:
    group: str
    manager: str
    reviews: int
    mean: float
    group_mean: float
    flagged: bool

    @property
    def gap(self) -> float:
        return self.mean - self.group_mean


def leniency(data: CycleData) -> list[RaterStats]:
    gap = data.cycle.calibration.leniency_gap
    out = []
    for group in data.groups:
        given: dict[str, list[float]] = {}
        for subject in group.members:
            template = data.template_for(subject)
            manager = data.org.manager_of(subject)
            review = data.reviews.get((subject, manager)) if manager else None
            if template is None or review is None:
                continue
            value = review_value(review, template)
            if value is not None:
                given.setdefault(manager, []).append(value)  # type: ignore[arg-type]
        values = [v for vs in given.values() for v in vs]
        if not values:
            continue
        group_mean = sum(values) / len(values)
        for manager, vs in sorted(given.items()):
            mean = sum(vs) / len(vs)
            flagged = len(given) > 1 and abs(mean - group_mean) > gap
            out.append(RaterStats(group.id, manager, len(vs), mean, group_mean, flagged))
    return out
