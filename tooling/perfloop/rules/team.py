"""Team key results: a department's key result marked `team: true`, listed by reference
(`{ref: dept/objective/kr, weight: N}`) in its members' goals (site/guide/lifecycle.md).

A reference is checked where it is written, one error each (never a cascade): it names a
key result, of a department, marked `team: true`, of a department the person belongs to
(theirs or one above it), once per file, with nothing of its own beside its weight. `team`
and `owner` belong to a department's key results; a department's `checkins:` name its team
key results only (company.yaml has none).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import COMPANY, CycleData, KeyResult, ObjectiveSet
from ..problems import Problem
from .checkins import file_checkins
from .reads import LINKS, Reads

# A goals file's references resolve in the department files they name (reads.py: LINKS,
# as an `aligns_to` does); a department file alone for its own team key results.
READS = Reads.of("cycle", "org", "objectives", "goals", relations={LINKS})

# What a reference may hold: anything else is the team key result's own.
REFERENCE_FIELDS = ("ref", "weight")


def _raw(kr: KeyResult) -> dict:
    doc = kr.where.doc
    node = doc.data if doc else None
    for step in kr.where.path:
        node = node[step] if node is not None else None
    return node if isinstance(node, dict) else {}


def _reference(data: CycleData, person: str, kr: KeyResult, listed: set[str]) -> Problem | None:
    ref = kr.ref or ""
    extra = next((k for k in _raw(kr) if k not in REFERENCE_FIELDS), None)
    if extra is not None:
        return kr.where.error(
            f"a reference to a team key result holds only ref and weight: its {extra} is "
            f"{ref}'s own; remove {extra}",
            extra,
        )
    parts = ref.split("/")
    if len(parts) != 3:
        return kr.where.error(
            f"ref {ref!r} must name a team key result (department/objective/kr)", "ref"
        )
    dept = parts[0]
    if dept not in data.departments and dept not in data.org.departments:
        if data.owner_left_out(dept):
            return None  # its file's own errors are reported
        what = "a person" if dept in data.org.people or dept in data.goals else "no department"
        return kr.where.error(
            f"ref {ref!r}: {dept} is {what}; only a department's team key result can be "
            "listed (copy a person's key result, or contribute to it)",
            "ref",
        )
    target = data.find_key_result(ref)
    if target is None:
        if data.owner_left_out(dept):
            return None
        return kr.where.error(f"ref {ref!r} does not resolve to a key result", "ref")
    if not target.team:
        return kr.where.error(
            f"ref {ref!r} is not a team key result: only a key result marked team: true in "
            f"departments/{dept}.yaml can be listed",
            "ref",
        )
    if not data.is_member(person, dept):
        return kr.where.error(
            f"ref {ref!r}: {person} is not of {dept} or a department below it, so cannot "
            "count its team key result",
            "ref",
        )
    if ref in listed:
        return kr.where.error(f"ref {ref!r}: this file lists the team key result twice", "ref")
    listed.add(ref)
    return None


def _own_fields(objectives: ObjectiveSet, is_department: bool) -> Iterator[Problem]:
    """`team`, `owner` and `ref` where they belong."""
    for objective in objectives.objectives:
        for kr in objective.key_results:
            if kr.ref is not None:
                if objectives.owner == COMPANY or is_department:
                    yield kr.where.error(
                        "a reference to a team key result belongs in a member's goals, not "
                        "in company or department objectives",
                        "ref",
                    )
                continue
            if kr.team and not is_department:
                yield kr.where.error(
                    "only a department's key result can be a team key result (team: true)",
                    "team",
                )
            elif kr.owner is not None and not kr.team:
                yield kr.where.error(
                    "owner names who checks in for a team key result: mark it team: true, "
                    "or remove owner",
                    "owner",
                )


def _owner(data: CycleData, objectives: ObjectiveSet) -> Iterator[Problem]:
    for objective in objectives.objectives:
        for kr in objective.key_results:
            if kr.team and kr.owner is not None and kr.owner not in data.org.people:
                yield kr.where.error(f"owner {kr.owner!r} is not a person in org.yaml", "owner")


def check(data: CycleData) -> Iterator[Problem]:
    if data.company:
        yield from _own_fields(data.company, False)
        for checkin in data.company.checkins[:1]:
            yield checkin.where.error(
                "company.yaml has no check-ins: a department checks in for its team key "
                "results in its own file"
            )
    for objectives in data.departments.values():
        yield from _own_fields(objectives, True)
        yield from _owner(data, objectives)
        if objectives.checkins:
            yield from file_checkins(data.cycle, objectives, team_only=True)
    for person, goals in data.goals.items():
        listed: set[str] = set()
        for objective in goals.objectives:
            for kr in objective.key_results:
                if kr.ref is not None:
                    problem = _reference(data, person, kr, listed)
                    if problem is not None:
                        yield problem
        yield from _own_fields(goals, False)
