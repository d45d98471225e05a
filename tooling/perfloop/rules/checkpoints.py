"""A check-point is about a person in org.yaml, in a cycle that holds one, on a date the
cycle could hold it."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem
from .identity import _disagreement
from .reads import Reads

READS = Reads.of("cycle", "org", "checkpoint")


def check(data: CycleData) -> Iterator[Problem]:
    config, people = data.cycle.checkpoint, data.org.people
    start, end = data.cycle.period_start, data.cycle.period_end
    if config is not None:
        if not start <= config.date <= end:
            yield data.cycle.where.warning(
                f"the check-point's date {config.date} is outside the cycle's period "
                f"{start} to {end}",
                "checkpoint",
                "date",
            )
        if config.due < config.date:
            yield data.cycle.where.error(
                f"the check-point is due ({config.due}) before it opens ({config.date})",
                "checkpoint",
                "due",
            )
    for person, point in data.checkpoints.items():
        problem = _disagreement(point.where, "person", person)
        if problem is not None:
            yield problem
        if person not in people:
            yield point.where.error(f"{person} is not in org.yaml: a check-point is a person's")
        elif data.org.manager_of(person) is None:
            yield point.where.warning(
                f"{person} has no manager in org.yaml: a check-point is held with one"
            )
        if config is None:
            yield point.where.error(
                "cycle.yaml sets no check-point (checkpoint: {date, due}): this file has no "
                "place in the cycle"
            )
