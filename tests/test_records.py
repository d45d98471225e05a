"""Records built without their generated `__init__` (model.record, on the loader's and
scoring's hot paths) are whole: exactly their class's fields, equal to a normal build."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import ROOT
from perfloop.repository import load_cycle
from perfloop.scoring import score_cycle
from perfloop.speed import verdict


def _records(value: object, seen: set[int]) -> list[object]:
    """Every dataclass instance reachable from `value` (through records, tuples, dicts)."""
    if id(value) in seen:
        return []
    seen.add(id(value))
    found: list[object] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found.append(value)
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, tuple | list):
        children = list(value)
    elif isinstance(value, dict):
        children = list(value.values())
    else:
        return found
    for child in children:
        found += _records(child, seen)
    return found


@pytest.mark.parametrize("cycle", ["2026-h1", "2026-h2"])
def test_built_records_have_exactly_their_fields(cycle: str, hr_reader) -> None:
    data, _ = load_cycle(ROOT, cycle, reader=hr_reader)  # 2026-h2's reviews are sealed
    assert data is not None
    scores = score_cycle(data)
    stored = [verdict._score(verdict._flat_score(s)) for s in scores.values()]
    roots = [*data.goals.values(), *data.reviews.values(), *scores.values(), *stored]
    records = _records(roots, set())
    kinds = {type(r).__name__ for r in records}
    assert {"KeyResult", "Checkin", "Review", "KpiEntry", "GroupScore", "PersonScore"} <= kinds
    for r in records:
        names = {f.name for f in dataclasses.fields(r)}
        assert set(vars(r)) == names, type(r).__name__
        assert r == type(r)(**{n: getattr(r, n) for n in names})
    assert stored == list(scores.values())


def test_a_record_is_still_frozen(tmp_path: Path, hr_reader) -> None:
    data, _ = load_cycle(ROOT, "2026-h2", reader=hr_reader)
    assert data is not None
    review = next(iter(data.reviews.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        review.comments = "changed"  # type: ignore[misc]
