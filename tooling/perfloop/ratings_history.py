"""Each person's ratings across the cycles of the repository, and who sits at an end of the
scale two cycles running (a pattern calibration should look at: a stuck top or bottom).

A cycle's rating of a person is the one in its results.yaml when the cycle was closed with
one, else the calibration file's, else the rating the score proposes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .engine import load_cycle
from .model import CycleData
from .repository import cycle_ids
from .scoring import PersonScore, own_fields, score_cycle


@dataclass(frozen=True)
class CycleRatings:
    cycle: str
    ratings: dict[str, str]  # person -> rating
    top: str | None  # best rating of that cycle's scale
    bottom: str | None  # worst


@dataclass(frozen=True)
class StreakFlag:
    person: str
    end: str  # "top" | "bottom"
    rating: str
    cycles: tuple[str, ...]  # the consecutive cycles, oldest first

    @property
    def message(self) -> str:
        return (
            f"{self.person} rated {self.rating} ({self.end} of the scale) in "
            f"{' and '.join(self.cycles)}"
        )


def cycle_ratings(data: CycleData, scores: Mapping[str, PersonScore] | None = None) -> CycleRatings:
    scale = data.cycle.rating_scale
    ratings = _results_ratings(data.results)
    if ratings is None:
        scores = scores if scores is not None else score_cycle(data)
        ratings = {p: r for p in scores if (r := own_fields(scores, p)["rating"])}
    return CycleRatings(
        data.id, ratings, scale[0].rating if scale else None, scale[-1].rating if scale else None
    )


def _results_ratings(results: object) -> dict[str, str] | None:
    """Ratings from a results snapshot shaped {people: [{id, rating}, ...]} or
    {people: {id: {rating}}}; None when there is no usable snapshot."""
    if not isinstance(results, dict):
        return None
    people = results.get("people")
    out: dict[str, str] = {}
    if isinstance(people, list):
        for row in people:
            if isinstance(row, dict) and isinstance(row.get("rating"), str) and "id" in row:
                out[str(row["id"])] = row["rating"]
    elif isinstance(people, dict):
        for pid, row in people.items():
            if isinstance(row, dict) and isinstance(row.get("rating"), str):
                out[str(pid)] = row["rating"]
    return out or None


Loader = Callable[[Path, str], CycleData | None]


def _load(root: Path, cycle_id: str) -> CycleData | None:
    data, _ = load_cycle(root, cycle_id)
    return data


def history(
    data: CycleData,
    scores: Mapping[str, PersonScore] | None = None,
    load: Loader = _load,
) -> list[CycleRatings]:
    """Ratings of every cycle up to and including `data`'s, oldest first."""
    root = Path(data.root)
    earlier = [c for c in cycle_ids(root) if c < data.id]
    out = []
    for cid in earlier:
        other = load(root, cid)
        if other is not None:
            out.append(cycle_ratings(other))
    out.append(cycle_ratings(data, scores))
    return out


def person_history(cycles: list[CycleRatings], person: str) -> list[tuple[str, str | None]]:
    return [(c.cycle, c.ratings.get(person)) for c in cycles]


def streaks(cycles: list[CycleRatings]) -> list[StreakFlag]:
    """People rated at the top or the bottom of the scale in the last two cycles running."""
    if len(cycles) < 2:
        return []
    previous, latest = cycles[-2], cycles[-1]
    flags = []
    for person, rating in latest.ratings.items():
        before = previous.ratings.get(person)
        for end, now, then in (
            ("top", latest.top, previous.top),
            ("bottom", latest.bottom, previous.bottom),
        ):
            if now is not None and rating == now and before == then:
                flags.append(StreakFlag(person, end, rating, (previous.cycle, latest.cycle)))
    return sorted(flags, key=lambda f: (f.end != "top", f.person))
