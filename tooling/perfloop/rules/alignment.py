"""Alignment warnings (spec section 4): coverage outside bounds, unaligned objectives."""

from __future__ import annotations

from collections.abc import Iterator

from ..alignment import coverage
from ..model import CycleData
from ..problems import Problem
from .reads import LINKS, Reads

# Coverage sums the key results that contribute to one (reads.py).
READS = Reads.of("cycle", "objectives", "goals", relations={LINKS})


def check(data: CycleData) -> Iterator[Problem]:
    low, high = data.cycle.min_coverage, data.cycle.max_coverage
    for cov in coverage(data):
        if cov.within(low, high):
            continue
        names = ", ".join(c.ref for c in cov.contributors)
        side = "under-covered" if cov.ratio < low else "over-covered"
        yield cov.parent.where.warning(
            f"{cov.parent_ref} is {side}: contributors' targets cover {cov.ratio:.2f}x its "
            f"target (expected {low:g}x to {high:g}x); contributors: {names}",
            "target",
        )
    for objectives in data.all_objective_sets():
        if objectives.owner == "company":
            continue
        for objective in objectives.objectives:
            if objective.kind == "okr" and not objective.aligns_to:
                yield objective.where.warning(
                    f"objective {objectives.owner}/{objective.id} is not aligned to any "
                    "objective above it (add aligns_to)",
                    "id",
                )
