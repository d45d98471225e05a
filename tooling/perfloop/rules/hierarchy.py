"""No loops in manager chains or department parents."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem
from .reads import Reads

# Manager chains and department parents: org.yaml alone (reads.py).
READS = Reads.of("org")


def _loop(start: str, parent_of: dict[str, str | None]) -> list[str] | None:
    seen: list[str] = []
    current: str | None = start
    while current is not None and current in parent_of:
        if current in seen:
            return [*seen[seen.index(current) :], current]
        seen.append(current)
        current = parent_of[current]
    return None


def _on_loops(parent_of: dict[str, str | None]) -> set[str]:
    """Every key whose chain of parents comes back to it, each key walked once: walking
    every chain from its start was 10,000 walks up the management at 10,000 people."""
    done: set[str] = set()
    on: set[str] = set()
    for start in parent_of:
        path: list[str] = []
        at: dict[str, int] = {}
        current: str | None = start
        while current is not None and current in parent_of and current not in done:
            if current in at:
                on.update(path[at[current] :])
                break
            at[current] = len(path)
            path.append(current)
            current = parent_of[current]
        done.update(path)
    return on


def check(data: CycleData) -> Iterator[Problem]:
    org = data.org
    managers = {p.id: p.manager for p in org.people.values()}
    looping = _on_loops(managers)
    reported: set[frozenset[str]] = set()
    for person in org.people.values():
        if person.id not in looping:
            continue
        loop = _loop(person.id, managers)
        if loop and loop[0] == person.id and frozenset(loop) not in reported:
            reported.add(frozenset(loop))
            yield person.where.error("manager chain loops: " + " -> ".join(loop), "manager")
    parents = {d.id: d.parent for d in org.departments.values()}
    looping = _on_loops(parents)
    for dept in org.departments.values():
        if dept.id not in looping:
            continue
        loop = _loop(dept.id, parents)
        if loop and loop[0] == dept.id and frozenset(loop) not in reported:
            reported.add(frozenset(loop))
            yield dept.where.error("department parents loop: " + " -> ".join(loop), "parent")
