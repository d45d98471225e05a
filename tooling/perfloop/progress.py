"""Progress of key results and objectives (spec section 4), shared by scoring, tree and site.

A member's reference to a team key result (`ref:`) takes the team key result's progress.
A key result's *effective current* is its own `current`; for `aggregate: sum` without one,
the sum of its contributors' effective currents; else its `start`. Its progress is the
spec's KR score in [0, 1]. All arithmetic is in full precision; `round_half_up` is only for
showing a number or comparing it with a threshold.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from .alignment import Contribution, contributors
from .model import CycleData, KeyResult, Objective

T = TypeVar("T")


def round_half_up(x: float, places: int = 2) -> float:
    """`x` rounded half away from zero at `places` decimals, as people round on paper.

    Python's `round` rounds half to even and works on the binary value (round(2.675, 2) is
    2.67); going through the shortest decimal repr gives what the user sees: 2.68.

    Scores are computed in binary floating point, whose error can leave an exact 64.995
    (5% of 82 plus 95% of 64.1) at 64.99499999999999. So the value is first rounded to
    `SNAP` decimals, below any error that matters (about 1e-13 at a score's size) and above
    any digit a score of decimal inputs needs: a true half is then rounded up, as the spec's
    full-precision arithmetic would. Only a true value within 5e-10 of a half (never seen
    from inputs of a few decimals) could round the other way.
    """
    value = Decimal(repr(x))
    if abs(x) < 1e15:  # always, for a score; quantize beyond the context's 28 digits fails
        value = value.quantize(_SNAPPED)
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return float(value.quantize(quantum, rounding=ROUND_HALF_UP))


SNAP = 9
_SNAPPED = Decimal(1).scaleb(-SNAP)
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}  # 40,000 calls a `score`


# Lookups asked once per key result or person (contributors of a KR, reviews of a subject)
# are indexed once per loaded cycle, so that scoring a company stays linear in its size.
# CycleData is immutable and unhashable: the cache is keyed by identity and dropped with it.
_INDEXES: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def index_of(data: CycleData, name: str, build: Callable[[CycleData], T]) -> T:
    """`build(data)`, computed once per loaded cycle and `name`."""
    key = (id(data), name)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1]
    value = build(data)
    _INDEXES[key] = (weakref.ref(data, lambda _: _INDEXES.pop(key, None)), value)
    return value


def contributions(data: CycleData) -> dict[str, list[Contribution]]:
    """parent KR reference (`owner/objective/kr`) -> the key results that contribute to it."""
    return index_of(data, "contributions", contributors)


def kr_current(
    data: CycleData, owner: str, kr: KeyResult, objective: str | None = None
) -> float | None:
    """The effective current value of a numeric key result, or None when it has none.

    `objective` is the id of the objective holding `kr`; it is needed only to find the
    contributors of an `aggregate: sum` KR and is looked up when not given.
    """
    return _current(data, owner, objective, kr, frozenset())


def _current(
    data: CycleData, owner: str, objective: str | None, kr: KeyResult, seen: frozenset[str]
) -> float | None:
    if kr.current is not None:
        return kr.current
    if kr.aggregate == "sum":
        if objective is None:
            objective = _objective_of(data, owner, kr)
        ref = f"{owner}/{objective}/{kr.id}"
        if ref not in seen:
            values = [
                _current(data, c.owner, c.objective, c.key_result, seen | {ref})
                for c in contributions(data).get(ref, ())
                if c.key_result.kind == "numeric"
            ]
            known = [v for v in values if v is not None]
            if known:
                return sum(known)
    return kr.start


def _objective_of(data: CycleData, owner: str, kr: KeyResult) -> str | None:
    objectives = data.objective_set(owner)
    for objective in objectives.objectives if objectives else ():
        if any(k is kr for k in objective.key_results):
            return objective.id
    for objective in objectives.objectives if objectives else ():
        if objective.key_result(kr.id) == kr:
            return objective.id
    return None


def kr_progress(data: CycleData, owner: str, kr: KeyResult, objective: str | None = None) -> float:
    """The spec's KR score in [0, 1]: manual grade, milestone done, or clamped progress.
    A reference to a team key result scores what the team key result scores (0 when it
    names none: the rules report that)."""
    if kr.ref is not None:
        team = data.team_key_result(kr.ref)
        if team is None:
            return 0.0
        dept, objective_id, _ = kr.ref.split("/")
        return kr_progress(data, dept, team, objective_id)
    if kr.score is not None:
        return _clamp(kr.score)
    if kr.kind == "milestone":
        return 1.0 if kr.done else 0.0
    if kr.target is None:
        return 0.0
    start = kr.start if kr.start is not None else 0.0
    if kr.target == start:  # a validation error; never divide by zero
        return 0.0
    current = kr_current(data, owner, kr, objective)
    if current is None:
        current = start
    # One formula serves both directions: for lower-is-better both differences are negative.
    return _clamp((current - start) / (kr.target - start))


def objective_progress(data: CycleData, owner: str, objective: Objective) -> float:
    """Weighted mean of the objective's KR scores (equal weights when absent), in [0, 1]."""
    scores = [kr_progress(data, owner, kr, objective.id) for kr in objective.key_results]
    weights = [kr.weight for kr in objective.key_results]
    return weighted_mean(scores, weights) or 0.0


def weighted_mean(values: list[float], weights: list[float | None]) -> float | None:
    """Mean of `values` weighted by `weights`; equal weights unless every weight is given.

    None for no values or a zero total weight.
    """
    if not values:
        return None
    given = [w for w in weights if w is not None]
    if len(given) < len(weights):
        return sum(values) / len(values)
    total = sum(given)
    if total <= 0:
        return None
    return sum(v * w for v, w in zip(values, given, strict=True)) / total


def _clamp(x: float) -> float:
    # Not max(x, 0.0): a lower-is-better KR at its start is 0 / -x, -0.0, shown as "-0%".
    return 0.0 if x <= 0 else min(x, 1.0)
