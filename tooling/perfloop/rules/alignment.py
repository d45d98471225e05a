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
        ratio = cov.ratio
        if ratio is None or cov.within(low, high):  # None: no targets to compare, within too
            continue
        names = ", ".join(c.ref for c in cov.contributors)
        side = "under-covered" if ratio < low else "over-covered"
        yield cov.parent.where.warning(
            f"{cov.parent_ref} is {side}: contributors' targets cover {ratio:.2f}x its "
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
