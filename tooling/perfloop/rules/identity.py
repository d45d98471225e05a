"""Ids come from paths; a field that repeats one must agree. Ids are unique where they live."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import COMPANY, CycleData, ObjectiveSet, Where
from ..problems import Problem
from .reads import Reads

# Ids agree with their paths and are unique within each file (reads.py).
READS = Reads.of("cycle", "org", "template", "objectives", "goals", "review", "calibration")


def _disagreement(where: Where, field: str, expected: str) -> Problem | None:
    data = where.doc.data if where.doc else None
    if isinstance(data, dict) and field in data and data[field] != expected:
        return where.error(
            f"{field} is {data[field]!r} but the file's path says {expected!r}", field
        )
    return None


def _agree(where: Where, field: str, expected: str) -> Iterator[Problem]:
    problem = _disagreement(where, field, expected)
    if problem is not None:
        yield problem


def _unique(where: Where, items: list, what: str, container: tuple = ()) -> list[Problem]:
    found: list[Problem] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if isinstance(item, dict) and "id" in item:
            if item["id"] in seen:
                found.append(
                    where.error(f"duplicate {what} id {item['id']!r}", *container, i, "id")
                )
            seen.add(item["id"])
    return found


def _objective_ids(objectives: ObjectiveSet) -> list[Problem]:
    raw = objectives.where.doc.data if objectives.where.doc else {}
    items = raw.get("objectives") or []
    found = _unique(objectives.where, items, "objective", ("objectives",))
    for i, obj in enumerate(items):
        key_results = obj.get("key_results") or []
        if len(key_results) > 1:  # one has no duplicate: most objectives, 35,000 at scale
            found += _unique(
                objectives.where, key_results, "key result", ("objectives", i, "key_results")
            )
    return found


def check(data: CycleData) -> Iterator[Problem]:
    # Plain calls returning a problem or None, not a generator per file: 130,000 files.
    cycle_dir_id = data.dir.rsplit("/", 1)[-1]
    yield from _agree(data.cycle.where, "id", cycle_dir_id)
    for template in data.templates.values():
        yield from _agree(template.where, "id", template.where.file.rsplit("/", 1)[-1][:-5])
    if data.company:
        yield from _agree(data.company.where, "owner", COMPANY)
    for objectives in (*data.departments.values(), *data.goals.values()):
        problem = _disagreement(objectives.where, "owner", objectives.owner)
        if problem is not None:
            yield problem
    for objectives in data.all_objective_sets():
        yield from _objective_ids(objectives)
    for review in data.reviews.values():
        for field, expected in (("subject", review.subject), ("reviewer", review.reviewer)):
            problem = _disagreement(review.where, field, expected)
            if problem is not None:
                yield problem
    for calibration in data.calibrations.values():
        yield from _agree(calibration.where, "group", calibration.group)

    org = data.org
    raw = org.where.doc.data if org.where.doc else {}
    yield from _unique(org.where, raw.get("departments") or [], "department", ("departments",))
    yield from _unique(org.where, raw.get("people") or [], "person", ("people",))
    for person in org.people.values():
        if person.id == COMPANY:
            yield person.where.error("'company' is reserved for the company's objectives", "id")
        elif person.id in org.departments:
            yield person.where.error(
                f"{person.id!r} is both a person and a department; people and departments "
                "share one namespace",
                "id",
            )
    for dept in org.departments.values():
        if dept.id == COMPANY:
            yield dept.where.error("'company' is reserved for the company's objectives", "id")
    logins: dict[str, str] = {}
    for person in org.people.values():
        if person.github:
            key = person.github.lower()
            if key in logins:
                yield person.where.error(
                    f"GitHub login {person.github!r} is also {logins[key]}'s", "github"
                )
            logins.setdefault(key, person.id)
