"""Rules beyond the schema: each module checks one family and returns problems.

Every rule is a pure function `CycleData -> Iterable[Problem]`; add new ones to RULES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..model import CycleData
from ..problems import Problem
from . import (
    alignment,
    calibration,
    checkins,
    hierarchy,
    identity,
    keys,
    kpis,
    references,
    reviews,
    scale,
    weights,
)

Rule = Callable[[CycleData], Iterable[Problem]]

RULES: list[Rule] = [
    identity.check,
    references.check,
    hierarchy.check,
    weights.check,
    kpis.check,
    reviews.check,
    scale.check,
    checkins.check,
    alignment.check,
    calibration.check,
    keys.check,
]


def check_cycle(data: CycleData) -> list[Problem]:
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(data))
    return problems
