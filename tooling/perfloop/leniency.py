"""Rater leniency: does a manager rate their reports higher or lower than the group does?

For each calibration group, every manager review is turned into its 0..100 value (the
spec's review formula); a manager's mean is set against the mean of all manager reviews in
the group, and flagged when the gap exceeds `calibration.leniency_gap` points (default 10).
A group with a single manager has nothing to compare with and is not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .model import CycleData
from .scoring import PersonScore, manager_review_value, score_cycle


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


def leniency(data: CycleData, scores: Mapping[str, PersonScore] | None = None) -> list[RaterStats]:
    """Each manager's mean manager-review value against their group's. The values come
    from the scores (`scores`, else the cycle's), whose manager review group holds it."""
    gap = data.cycle.calibration.leniency_gap
    scores = scores if scores is not None else score_cycle(data)
    out = []
    for group in data.groups:
        given: dict[str, list[float]] = {}
        for subject in group.members:
            manager = data.org.manager_of(subject)
            if not manager or subject not in scores:
                continue
            value = manager_review_value(scores, subject)
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
