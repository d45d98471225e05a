"""Every reference resolves: people, departments, templates, objectives and key results."""

from __future__ import annotations

from collections.abc import Iterator

from ..changes import FIXED_APPROVALS
from ..model import COMPANY, CycleData, ObjectiveSet
from ..problems import Problem
from .reads import LINKS, Reads

# An objective's aligns_to and contributes_to resolve in the files they name (reads.py).
READS = Reads.of("cycle", "org", "template", "objectives", "goals", "review", relations={LINKS})

APPROVER_ROLES = ("manager", "skip_level", "department_head", "hr", "admin")


def _org(data: CycleData) -> Iterator[Problem]:
    org = data.org
    for dept in org.departments.values():
        if dept.head not in org.people:
            yield dept.where.error(f"head {dept.head!r} is not a person in org.yaml", "head")
        if dept.parent and dept.parent not in org.departments:
            yield dept.where.error(f"parent {dept.parent!r} is not a department", "parent")
    for person in org.people.values():
        if person.department not in org.departments:
            yield person.where.error(
                f"department {person.department!r} is not a department in org.yaml", "department"
            )
        if person.manager and person.manager not in org.people:
            yield person.where.error(f"manager {person.manager!r} is not a person", "manager")
        if person.manager == person.id:
            yield person.where.error("a person cannot be their own manager", "manager")
        if person.template and not _exists(data, person.template):
            yield person.where.error(
                f"template {person.template!r} has no templates/{person.template}.yaml", "template"
            )
    for role, members in (("hr", org.hr), ("admins", org.admins)):
        for i, member in enumerate(members):
            if member not in org.people:
                yield org.where.error(f"{role}: {member!r} is not a person", "roles", role, i)


def _exists(data: CycleData, template: str) -> bool:
    """A template file left out of the model for its own errors exists all the same: naming
    it is no second error (one mistake, one error)."""
    return template in data.templates or data.template_left_out(template)


def _cycle(data: CycleData) -> Iterator[Problem]:
    cycle, org = data.cycle, data.org
    where = cycle.where
    if cycle.default_template and not _exists(data, cycle.default_template):
        yield where.error(
            f"default template {cycle.default_template!r} has no templates/"
            f"{cycle.default_template}.yaml",
            "templates",
            "default",
        )
    for dept, template in cycle.department_templates.items():
        if dept not in org.departments:
            yield where.error(f"{dept!r} is not a department", "templates", "departments", dept)
        if not _exists(data, template):
            yield where.error(
                f"template {template!r} does not exist", "templates", "departments", dept
            )
    for pid, template in cycle.person_templates.items():
        if pid not in org.people:
            yield where.error(f"{pid!r} is not a person", "templates", "people", pid)
        if not _exists(data, template):
            yield where.error(f"template {template!r} does not exist", "templates", "people", pid)
    for subject, reviewers in cycle.designated.items():
        if subject not in org.people:
            yield where.error(f"{subject!r} is not a person", "designated", subject)
        for i, reviewer in enumerate(reviewers):
            if reviewer not in org.people:
                yield where.error(f"{reviewer!r} is not a person", "designated", subject, i)
            elif reviewer == subject:
                yield where.error(
                    "a person cannot be their own designated reviewer", "designated", subject, i
                )
    for kind, approvers in cycle.approvals.items():
        if kind in FIXED_APPROVALS:
            yield where.error(
                f"approvals: {kind} cannot be set here: changes outside cycles/ (the tool, "
                "workflows, mkdocs.yml, site/) always need an admin; remove this key",
                "approvals",
                kind,
            )
            continue
        for i, approver in enumerate(approvers):
            if approver not in APPROVER_ROLES and approver not in org.people:
                yield where.error(
                    f"approver {approver!r} is neither a role ({', '.join(APPROVER_ROLES)}) "
                    "nor a person",
                    "approvals",
                    kind,
                    i,
                )
    groups = cycle.calibration.groups or ()
    for i, group in enumerate(groups):
        for j, dept in enumerate(group.departments):
            if dept not in org.departments:
                yield where.error(
                    f"{dept!r} is not a department", "calibration", "groups", i, "departments", j
                )
    seen: dict[str, str] = {}
    for i, group in enumerate(groups):
        for j, dept in enumerate(group.departments):
            if dept in seen and seen[dept] != group.id:
                yield where.error(
                    f"department {dept!r} is in calibration groups {seen[dept]!r} and {group.id!r}",
                    "calibration",
                    "groups",
                    i,
                    "departments",
                    j,
                )
            seen.setdefault(dept, group.id)
    if groups:
        grouped = {m for g in data.groups for m in g.members}
        for person in org.people.values():
            if person.id not in grouped:
                yield person.where.warning(
                    f"{person.id} is in no calibration group (no group lists "
                    f"{person.department!r} or a department above it)",
                    "department",
                )
    if cycle.default_template is None:
        for person in org.people.values():
            if data.template_id_for(person.id) is None:
                yield person.where.error(f"{person.id} has no template", "id")


def _allowed_owners(data: CycleData, owner: str) -> set[str]:
    """Whose objectives an objective of `owner` may align to or contribute to."""
    org = data.org
    allowed = {COMPANY}
    if owner in org.departments:
        allowed.update(org.department_chain(owner)[1:])
    elif owner in org.people:
        allowed.update(org.department_chain(org.people[owner].department))
        allowed.update(org.manager_chain(owner))
    return allowed


def _objectives(data: CycleData, objectives: ObjectiveSet) -> Iterator[Problem]:
    allowed = _allowed_owners(data, objectives.owner)
    for objective in objectives.objectives:
        ref = objective.aligns_to
        if ref:
            target_owner = ref.split("/")[0]
            if ref.count("/") != 1:
                yield objective.where.error(
                    f"aligns_to {ref!r} names a key result; name the objective (owner/objective)",
                    "aligns_to",
                )
            elif data.find_objective(ref) is None:
                # a file left out for its own errors is reported (one mistake, one error)
                if not data.owner_left_out(target_owner):
                    yield objective.where.error(
                        f"aligns_to {ref!r} does not resolve to an objective", "aligns_to"
                    )
            elif target_owner == objectives.owner:
                yield objective.where.error(
                    "an objective cannot align to its own file", "aligns_to"
                )
            elif target_owner not in allowed:
                yield objective.where.warning(
                    f"aligns_to {ref!r}: {target_owner} is neither the company, a department "
                    f"above {objectives.owner} nor one of its managers",
                    "aligns_to",
                )
        for kr in objective.key_results:
            parent_ref = kr.contributes_to
            if not parent_ref:
                continue
            if parent_ref.count("/") != 2:
                yield kr.where.error(
                    f"contributes_to {parent_ref!r} must name a key result (owner/objective/kr)",
                    "contributes_to",
                )
                continue
            parent = data.find_key_result(parent_ref)
            if parent is None:
                if data.owner_left_out(parent_ref.split("/")[0]):
                    continue  # its file's own errors are reported
                yield kr.where.error(
                    f"contributes_to {parent_ref!r} does not resolve to a key result",
                    "contributes_to",
                )
            elif parent.kind != "numeric":
                yield kr.where.error(
                    f"contributes_to {parent_ref!r}: only a numeric key result can add up "
                    "contributions",
                    "contributes_to",
                )
            elif kr.kind != "numeric":
                yield kr.where.error(
                    "only a numeric key result can contribute its target and current",
                    "contributes_to",
                )
            elif parent_ref.split("/")[0] == objectives.owner:
                yield kr.where.error(
                    "a key result cannot contribute to its own file", "contributes_to"
                )
            elif parent.unit != kr.unit:
                yield kr.where.warning(
                    f"contributes_to {parent_ref!r}: unit {kr.unit!r} differs from the "
                    f"parent's {parent.unit!r}",
                    "contributes_to",
                )


def _files(data: CycleData) -> Iterator[Problem]:
    org = data.org
    for dept, objectives in data.departments.items():
        if dept not in org.departments:
            yield objectives.where.error(f"{dept!r} is not a department in org.yaml")
    for person, goals in data.goals.items():
        if person not in org.people:
            yield goals.where.error(f"{person!r} is not a person in org.yaml")
            continue
        for i, peer in enumerate(goals.peers):
            if peer not in org.people:
                yield goals.where.error(f"peer {peer!r} is not a person", "peers", i)
            elif peer == person:
                yield goals.where.error("a person cannot be their own peer reviewer", "peers", i)
    for (subject, reviewer), review in data.reviews.items():
        for role, pid in (("subject", subject), ("reviewer", reviewer)):
            if pid not in org.people:
                yield review.where.error(f"{role} {pid!r} is not a person in org.yaml")
    # a calibration file of no group is the calibration rule's error (one mistake, one error)


def check(data: CycleData) -> Iterator[Problem]:
    yield from _org(data)
    yield from _cycle(data)
    yield from _files(data)
    for objectives in data.all_objective_sets():
        yield from _objectives(data, objectives)
