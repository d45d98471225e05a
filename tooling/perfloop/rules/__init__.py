"""Rules beyond the schema: each module checks one family and returns problems.

Every rule is a pure function `CycleData -> Iterable[Problem]`; add new ones to RULES.
Each rule's module declares what it reads (`READS`, see reads.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from ..model import CycleData
from ..problems import Problem
from . import (
    alignment,
    calibration,
    checkins,
    checkpoints,
    hierarchy,
    identity,
    keys,
    kpis,
    references,
    reviews,
    scale,
    team,
    weights,
)
from .reads import EVERYTHING, Reads

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
    checkpoints.check,
    team.check,
]


def check_cycle(data: CycleData) -> list[Problem]:
    problems: list[Problem] = []
    for rule in RULES:
        problems.extend(rule(data))
    return problems


def reads_of(rule: Rule) -> Reads:
    """What `rule` declares it reads (its module's READS); undeclared: everything."""
    return getattr(sys.modules.get(rule.__module__), "READS", EVERYTHING)


def reads() -> Reads:
    """What the rules in RULES read, together."""
    return Reads.union(reads_of(rule) for rule in RULES)
