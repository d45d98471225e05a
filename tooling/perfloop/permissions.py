"""Who may make a change in a phase, and who must approve it (spec section 5).

Everything is judged against the base's cycle (phase, org.yaml, approvals), never the pull
request's, so a pull request cannot grant itself rights. Pure functions over the model.

Roles resolve to people; where the author would be the approver, or a role names nobody
(a person without a manager), the next role up stands in: manager -> skip level -> their
managers -> HR -> admins; department head -> heads of the departments above -> HR -> admins;
HR -> admins; admin -> HR.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import Change, approvers_for
from .model import CycleData, Org
from .repository import ID

ROLES = ("manager", "skip_level", "department_head", "hr", "admin")


@dataclass(frozen=True)
class Requirement:
    """An approval the change needs: one approval from any of `any_of`."""

    role: str  # the role that approves (after standing in), e.g. "manager", "hr"
    any_of: tuple[str, ...]  # person ids
    paths: tuple[str, ...] = ()
    instead_of: str | None = None  # the configured role this one stands in for

    def describe(self) -> str:
        people = " or ".join(self.any_of)
        stand_in = f", standing in for {self.instead_of}" if self.instead_of else ""
        return f"{people} ({self.role}{stand_in})"

    def to_json(self) -> dict:
        return {
            "role": self.role,
            "any_of": list(self.any_of),
            "instead_of": self.instead_of,
            "paths": list(self.paths),
        }


@dataclass(frozen=True)
class Verdict:
    """What the rules say about one change by one author."""

    refusals: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    warnings: tuple[str, ...] = field(default=())


# --- who may author ---------------------------------------------------------------------


def allowed_authors(change: Change, base: CycleData) -> tuple[set[str] | None, str]:
    """(people who may author the change or None for anyone, the same in words)."""
    org, area = base.org, change.area
    staff = set(org.hr) | set(org.admins)
    if area.name in ("cycle_config", "cycle_other", "results"):
        return staff, "HR or an admin"
    if area.name == "company":
        return set(org.admins), "an admin"
    if area.name == "department" and change.kind == "checkin":
        owners = team_owners(change, base)
        unknown = [ref for ref, owner in owners.items() if owner is None]
        if unknown:  # a placeholder name here could match a real person's id
            return set(), f"nobody: {', '.join(unknown)} is no team key result at the base"
        if len(set(owners.values())) == 1:
            owner = next(iter(owners.values()))
            return {str(owner)}, f"{owner}, who checks in for {', '.join(owners)}"
        named = "; ".join(f"{o} for {ref}" for ref, o in owners.items())
        return set(), f"the owner of each team key result, in a check-in of their own ({named})"
    if area.name == "department":
        dept = org.departments.get(area.ids[0])
        heads = {dept.head} if dept else set()
        return heads | set(org.admins), f"the head of {area.ids[0]} or an admin"
    if area.name in ("goals", "checkpoint"):
        person = area.ids[0]
        manager = org.manager_of(person)
        return {person, *([manager] if manager else [])}, f"{person} or their manager"
    if area.name == "review":
        return {area.ids[1]}, f"the reviewer ({area.ids[1]})"
    if area.name == "calibration":
        group = next((g for g in base.groups if g.id == area.ids[0]), None)
        listed = group.departments if group else ()
        heads = {org.departments[d].head for d in listed if d in org.departments}
        return heads | set(org.hr), f"a head of group {area.ids[0]}'s departments or HR"
    return None, "anyone"


def team_owners(change: Change, base: CycleData) -> dict[str, str | None]:
    """team key result -> who checks in for it (at the base), for a department's check-in;
    None where the base has no such team key result (then nobody may: fail closed)."""
    out: dict[str, str | None] = {}
    for ref in change.team:
        kr = base.team_key_result(ref)
        out[ref] = base.team_owner(ref.split("/")[0], kr) if kr is not None else None
    return out


# --- which phase ------------------------------------------------------------------------


def phase_refusal(change: Change, phase: str) -> str | None:
    """Why `change` is not allowed in `phase`, or None."""
    area, kind = change.area, change.kind
    if phase == "closed":
        return f"cycle {area.cycle} is closed: its files are frozen"
    if area.name in ("cycle_config", "cycle_other"):
        return None
    if area.name == "department" and kind == "checkin":
        return _only_in(phase, ("execution", "review"), "check-ins are made")
    if area.name in ("company", "department"):
        return _only_in(phase, ("planning",), f"{change.kind.replace('_', ' ')} are set")
    if area.name == "goals":
        if kind == "goals":
            return None  # planning
        if kind == "checkin":
            return _only_in(phase, ("execution", "review"), "check-ins are made")
        return _only_in(
            phase, ("execution",), "agreed goals (targets, key results, weights, plan) change"
        )
    if area.name == "review":
        return _only_in(phase, ("review",), "reviews are written")
    if area.name == "checkpoint":
        return _only_in(phase, ("execution",), "check-points are written")
    if area.name == "calibration":
        return _only_in(phase, ("calibration",), "calibration ratings are set")
    if area.name == "results":
        return _only_in(phase, ("calibration",), "results.yaml is written (by `cycle close`)")
    return None


def _only_in(phase: str, phases: tuple[str, ...], what: str) -> str | None:
    if phase in phases:
        return None
    return f"{what} only in the {' or '.join(phases)} phase; the cycle is in {phase}"


# --- who must approve -------------------------------------------------------------------


def _subjects(change: Change, base: CycleData) -> tuple[str, ...]:
    """The people whose managers approve: the goal's owner, the review's subject, the
    department's head, the calibration group's heads."""
    area, org = change.area, base.org
    if area.name in ("goals", "review", "checkpoint"):
        return (area.ids[0],) if area.ids[0] in org.people else ()
    if area.name == "department" and change.kind == "checkin":
        owners = team_owners(change, base).values()  # their managers approve, as for a person's
        return tuple(dict.fromkeys(o for o in owners if o is not None and o in org.people))
    if area.name == "department":
        dept = org.departments.get(area.ids[0])
        return (dept.head,) if dept else ()
    if area.name == "calibration":
        group = next((g for g in base.groups if g.id == area.ids[0]), None)
        return group.heads if group else ()
    return ()


def _head_levels(org: Org, change: Change, base: CycleData) -> list[tuple[str, tuple[str, ...]]]:
    """Department heads for a change, nearest first, then heads of the departments above."""
    area = change.area
    if area.name == "calibration":
        group = next((g for g in base.groups if g.id == area.ids[0]), None)
        depts = [d for d in (group.departments if group else ()) if d in org.departments]
        tops = [d for d in depts if not set(org.department_chain(d)[1:]) & set(depts)]
        chains = [org.department_chain(d) for d in tops]
    elif area.name == "department" and area.ids[0] in org.departments:
        chains = [org.department_chain(area.ids[0])]
    else:
        chains = [
            org.department_chain(org.people[s].department)
            for s in _subjects(change, base)
            if s in org.people
        ]
    levels = []
    for depth in range(max((len(c) for c in chains), default=0)):
        heads = tuple(
            dict.fromkeys(org.departments[c[depth]].head for c in chains if depth < len(c))
        )
        names = ", ".join(dict.fromkeys(c[depth] for c in chains if depth < len(c)))
        levels.append(("department_head" if depth == 0 else f"head of {names}", heads))
    return levels


def _manager_levels(org: Org, subjects: tuple[str, ...], skip: int):
    chains = [org.manager_chain(s) for s in subjects]
    levels = []
    for depth in range(skip, max((len(c) for c in chains), default=0)):
        people = tuple(dict.fromkeys(c[depth] for c in chains if depth < len(c)))
        if depth < 2:
            label = ("manager", "skip_level")[depth]
        else:
            label = f"manager of {', '.join(c[depth - 1] for c in chains if depth < len(c))}"
        levels.append((label, people))
    return levels


def role_levels(role: str, change: Change, base: CycleData) -> list[tuple[str, tuple[str, ...]]]:
    """The people a role names for a change, and who stands in for them, in order."""
    org = base.org
    staff = [("hr", tuple(org.hr)), ("admin", tuple(org.admins))]
    if role == "manager":
        return _manager_levels(org, _subjects(change, base), 0) + staff
    if role == "skip_level":
        return _manager_levels(org, _subjects(change, base), 1) + staff
    if role == "department_head":
        return _head_levels(org, change, base) + staff
    if role == "hr":
        return staff
    if role == "admin":
        return staff[::-1]
    # a person id
    return [(role, (role,)), *_manager_levels(org, (role,), 0), *staff]


def requirement_for(
    role: str, change: Change, base: CycleData, author: str | None
) -> Requirement | None:
    """The approval `role` asks for this change: the first level with someone other than
    the author in it. None when only the author (or nobody) could approve."""
    return _first_level(role, role_levels(role, change, base), change, base, author)


def _first_level(
    role: str,
    levels: list[tuple[str, tuple[str, ...]]],
    change: Change,
    base: CycleData,
    author: str | None,
) -> Requirement | None:
    for position, (label, people) in enumerate(levels):
        known = tuple(p for p in people if p in base.org.people)
        candidates = tuple(p for p in known if p != author)
        if candidates:
            instead = None if position == 0 and candidates == known else role
            if instead == label:
                instead = None
            return Requirement(label, candidates, (change.path,), instead)
    return None


def link_levels(ref: str, change: Change, base: CycleData) -> list[tuple[str, tuple[str, ...]]]:
    """Who owns the key result `ref` (`owner/objective/kr`) that a change links to with
    `contributes_to`, and who stands in for them; empty when the link needs nobody more:
    the key result is the file's own (a person's, their department's when they head it, a
    department's own or the company's in its own file) or names no one (the references
    rule reports that).

    A person's key result is theirs; a department's is its head's, a team key result's
    its owner's (who checks in for it: listing it is asking to share its score); the
    company's is the admins' (who write company.yaml). Contributing moves the linked key result (an
    `aggregate: sum` KR adds up its contributors), so its owner agrees to the link."""
    org, area = base.org, change.area
    parts = ref.split("/")
    if len(parts) != 3 or not all(ID.match(part) for part in parts):
        return []  # no key result (the references rule says so); its role would print it
    owner = parts[0]
    staff = [("hr", tuple(org.hr)), ("admin", tuple(org.admins))]
    label = f"owner of {ref}"
    file_owner = area.ids[0] if area.name in ("goals", "department") and area.ids else None
    if (area.name == "company" and owner == "company") or owner == file_owner:
        return []
    if owner in org.people:
        return [(label, (owner,)), *_manager_levels(org, (owner,), 0), *staff]
    team = base.team_key_result(ref)
    if team is not None and owner in org.departments:  # who checks in for it agrees
        who = base.team_owner(owner, team)
        if who is None or who == file_owner:
            return []  # their own team key result, listed by themselves
        return [(label, (who,)), *_manager_levels(org, (who,), 0), *staff]
    if owner in org.departments:
        chain = org.department_chain(owner)
        heads = [
            (label if i == 0 else f"head of {d}", (org.departments[d].head,))
            for i, d in enumerate(chain)
        ]
        if heads[0][1][0] == file_owner and area.name == "goals":
            return []  # the head links their own key result to their department's
        return [*heads, *staff]
    if owner == "company":
        return [(label, tuple(org.admins)), ("hr", tuple(org.hr))]
    return []


def link_chain(ref: str, base: CycleData) -> list[str]:
    """The key results a link to `ref` moves: `ref`, and upward from it while each is an
    `aggregate: sum` without a `current` of its own (which adds up its contributors, so
    passes the new contribution on) and contributes to another. Each owner on the chain
    agrees to the link (a sum of sums moves the top one too). The base must hold their
    files (pullcheck loads them: link_files)."""
    chain = [ref]
    kr = base.find_key_result(ref)
    while kr is not None and kr.aggregate == "sum" and kr.current is None and kr.contributes_to:
        if kr.contributes_to in chain:
            break  # a cycle of links: the references rule reports it
        chain.append(kr.contributes_to)
        kr = base.find_key_result(kr.contributes_to)
    return chain


def link_files(ref: str) -> tuple[str, ...]:
    """The files (in the cycle folder) that may hold key result `ref`."""
    owner = ref.split("/")[0]
    if owner == "company":
        return ("company.yaml",)
    return (f"goals/{owner}.yaml", f"departments/{owner}.yaml")


# Kinds that change a person's agreed plan (goals, key results, KPI targets, plan tasks):
# both the person and their manager sign it, one by authoring, the other by approving.
PLAN_KINDS = ("goals", "goal_adjustment")


def other_party(change: Change, base: CycleData, author: str | None) -> Requirement | None:
    """The employee's approval of a plan change that someone else (their manager) made;
    for a check-point, the approval of whichever of the two did not write it.

    The manager's side of a plan is the configured approvers (`goals: [manager]`), which
    the employee meets by authoring; when the manager writes the plan, the configured roles
    stand in as usual (nobody approves their own change) and the employee must approve it
    too: a plan is agreed by the two, never imposed. A check-point is the two's alone (no
    configured role by default: no one else reads it), so its other party is the manager
    (or who stands in for them) or the employee."""
    if change.area.name == "checkpoint":
        owner = change.area.ids[0]
        if owner not in base.org.people or author is None:
            return None
        if author == owner:
            return requirement_for("manager", change, base, author)
        if author == base.org.manager_of(owner):
            return Requirement("employee", (owner,), (change.path,))
        return None  # refused: only the two may write it
    if change.area.name != "goals" or change.kind not in PLAN_KINDS:
        return None
    owner = change.area.ids[0]
    if author is None or author == owner or author != base.org.manager_of(owner):
        return None  # the employee's own change, or one refused: nobody else may write it
    return Requirement("employee", (owner,), (change.path,))


def judge(change: Change, base: CycleData, author: str | None, phase: str) -> Verdict:
    """Whether `author` (a person id, or None when unknown) may make `change` in `phase`,
    and the approvals it needs."""
    refusals: list[str] = []
    warnings: list[str] = []
    why_not = phase_refusal(change, phase)
    if why_not:
        refusals.append(why_not)
    allowed, in_words = allowed_authors(change, base)
    if allowed is not None and (author is None or author not in allowed):
        who = author or "an author who is not in org.yaml"
        refusals.append(f"{who} may not make this change: only {in_words} may")
    if change.area.name in ("goals", "checkpoint") and change.area.ids[0] not in base.org.people:
        refusals.append(
            f"{change.area.ids[0]} is not in org.yaml at the base; add them in a pull "
            "request of its own first"
        )
    if change.area.name == "checkpoint" and base.cycle.checkpoint is None:
        refusals.append(
            f"cycle {change.area.cycle} has no check-point (cycle.yaml: checkpoint) at the base"
        )
    if change.area.name == "review" and change.kind == "review":
        subject, reviewer = change.area.ids
        refusals.append(f"{reviewer} is not related to {subject}, so may not review them")
    if change.area.name == "calibration" and not any(
        g.id == change.area.ids[0] for g in base.groups
    ):
        refusals.append(f"there is no calibration group {change.area.ids[0]!r} at the base")
    requirements = []
    for role in dict.fromkeys(
        [*approvers_for(change.kind, dict(base.cycle.approvals)), *change.also]
    ):
        requirement = requirement_for(role, change, base, author)
        if requirement is None:
            refusals.append(f"nobody but the author can approve this change (role {role})")
            continue
        requirements.append(requirement)
    other = other_party(change, base, author)
    if other is not None:
        requirements.append(other)
    chained = (
        r
        for link, _ in change.links
        for r in ([link] if link in change.refs else link_chain(link, base))
    )  # a reference moves nothing upward: only the team key result's owner agrees
    for ref in dict.fromkeys(chained):
        levels = link_levels(ref, change, base)
        if not levels:
            continue
        requirement = _first_level(f"owner of {ref}", levels, change, base, author)
        if requirement is None:
            refusals.append(f"nobody but the author can approve the link to {ref}")
            continue
        requirements.append(requirement)
    for requirement in requirements:
        for person in requirement.any_of:
            if not base.org.people[person].github:
                warnings.append(f"{person} has no github login in org.yaml, so cannot approve")
    return Verdict(tuple(refusals), tuple(requirements), tuple(warnings))


def merge(requirements: list[Requirement]) -> list[Requirement]:
    """One requirement per set of people: goals of two reports of one manager need that
    manager once."""
    merged: dict[frozenset[str], Requirement] = {}
    for req in requirements:
        key = frozenset(req.any_of)
        if key in merged:
            old = merged[key]
            paths = tuple(dict.fromkeys(old.paths + req.paths))
            merged[key] = Requirement(old.role, old.any_of, paths, old.instead_of)
        else:
            merged[key] = req
    return list(merged.values())
