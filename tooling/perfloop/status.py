"""Who still owes what in the cycle's current phase, and what is overdue.

Each phase owes its own work, and anything an earlier phase left undone that the cycle
still needs stays on the list (a person without goals in review has no OKR section):

- planning and after: goals files, department objectives, company objectives;
- execution: a check-in within `checkin_interval_days` (default 14) for everyone with goals
  of their own (a team key result's check-in is owed by its owner, in its department's
  file), and every plan task past its due date that is not marked `done: true`;
- execution, from the check-point's date when cycle.yaml sets one: a check-point file
  (`checkpoints/<person>.yaml`) for everyone with a manager, owed by the two;
- review and calibration: every review that counts (its relation has weight > 0 in the
  subject's template, and the manager review always) and every incomplete person;
- calibration: a calibration file for every group;
- in any phase: a fix of every file left out for its own errors, owed by its owner, in
  place of what its absence would otherwise make owed.

An item is overdue when today is past the deadline of the phase it belongs to (for a
check-in: past the last check-in plus the interval). A closed cycle owes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from .model import PHASES, CycleData, PlanItem
from .scoring import PersonScore, score_cycle


@dataclass(frozen=True)
class Owed:
    department: str  # the department it is listed under (the owner's)
    who: tuple[str, ...]  # the people who owe it
    what: str  # goals | department objectives | company objectives | check-in | plan task |
    #            check-point | review | calibration | incomplete | fix
    detail: str
    phase: str  # the phase the work belongs to
    due: dt.date | None
    subject: str | None = None  # whose review, which group
    relation: str | None = None  # for reviews
    overdue_days: int = 0

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0

    def to_json(self) -> dict:
        return {
            "department": self.department,
            "who": list(self.who),
            "what": self.what,
            "subject": self.subject,
            "relation": self.relation,
            "detail": self.detail,
            "phase": self.phase,
            "due": self.due.isoformat() if self.due else None,
            "overdue_days": self.overdue_days,
        }


def _reached(data: CycleData, phase: str) -> bool:
    """Whether the cycle is in `phase` or past it (and not closed)."""
    current = data.cycle.phase
    return current != "closed" and PHASES.index(current) >= PHASES.index(phase)


def _late(today: dt.date, due: dt.date | None) -> int:
    return max((today - due).days, 0) if due else 0


def owed(
    data: CycleData, today: dt.date, scores: Mapping[str, PersonScore] | None = None
) -> list[Owed]:
    """Everything still owed in the current phase, in org order of departments."""
    cycle, org = data.cycle, data.org
    if cycle.phase == "closed":
        return []
    items: list[Owed] = []

    def add(dept: str, who: tuple[str, ...], what: str, detail: str, phase: str, **kw) -> None:
        due = kw.pop("due", cycle.deadlines.get(phase))
        items.append(
            Owed(dept, who, what, detail, phase, due, overdue_days=_late(today, due), **kw)
        )

    # files left out for their own errors: each is owed a fix by its owner, in place of what
    # its absence would otherwise say is owed (a file, a review, a complete person)
    for path in sorted(data.left_out):
        who, fixer_dept = _fixer(data, path)
        rel = path[len(data.dir) + 1 :]
        add(
            fixer_dept,
            who,
            "fix",
            f"{rel} has errors and is left out (run `perfloop validate {path}`)",
            cycle.phase,
            due=None,
        )

    # planning
    if data.company is None and not data.owner_left_out("company"):
        add(
            _dept_of(data, org.admins),
            org.admins,
            "company objectives",
            "no company.yaml",
            "planning",
        )
    for dept in org.departments.values():
        if dept.id not in data.departments and not data.owner_left_out(dept.id):
            add(
                dept.id,
                (dept.head,),
                "department objectives",
                f"no departments/{dept.id}.yaml",
                "planning",
            )
    for person in org.people.values():
        if data.path("goals", f"{person.id}.yaml") in data.left_out:
            continue  # their goals file is owed a fix (above)
        if person.id not in data.goals:
            add(person.department, (person.id,), "goals", f"no goals/{person.id}.yaml", "planning")
        elif cycle.phase == "planning":  # owed while plans are drafted; validate warns always
            template = data.template_for(person.id)
            count = len(data.goals[person.id].peers)
            if template is not None and count < template.peers_min:
                add(
                    person.department,
                    (person.id,),
                    "peers",
                    f"{count} of at least {template.peers_min} peers proposed in "
                    f"goals/{person.id}.yaml",
                    "planning",
                )

    # execution: check-ins
    if cycle.phase == "execution":
        for person in org.people.values():
            goals = data.goals.get(person.id)
            if goals is None or not any(
                kr.ref is None for o in goals.objectives for kr in o.key_results
            ):  # nothing of their own to check in (a team key result's owner does that)
                continue
            late = _checkin_late([c.date for c in goals.checkins], data, today)
            if late is not None:
                detail, due = late
                add(person.department, (person.id,), "check-in", detail, "execution", due=due)

        # team key results: a check-in by each owner in the department's file
        for team_dept, objectives in data.departments.items():
            by_owner: dict[str, list[str]] = {}
            for objective in objectives.objectives:
                for kr in objective.key_results:
                    owner = data.team_owner(team_dept, kr) if kr.team else None
                    if owner is not None:
                        by_owner.setdefault(owner, []).append(f"{objective.id}/{kr.id}")
            for owner, keys in by_owner.items():
                dates = [c.date for c in objectives.checkins if set(c.values) & set(keys)]
                late = _checkin_late(dates, data, today)
                if late is None:
                    continue
                detail, due = late
                named = ", ".join(f"{team_dept}/{key}" for key in keys)
                add(
                    _dept_of(data, (owner,)) or team_dept,
                    (owner,),
                    "check-in",
                    f"team key result {named}: {detail}",
                    "execution",
                    due=due,
                )

    # execution: plan tasks past their due date and not marked done
    for person in org.people.values():
        for item in late_tasks(data, person.id, today):
            add(
                person.department,
                (person.id,),
                "plan task",
                f'"{item.task}" in goals/{person.id}.yaml is not marked done',
                "execution",
                due=item.due,
                subject=person.id,
            )

    # execution: the mid-cycle check-point, from its date
    point = cycle.checkpoint
    if cycle.phase == "execution" and point is not None and today >= point.date:
        for person in org.people.values():
            manager = org.manager_of(person.id)
            if manager is None or person.id in data.checkpoints:
                continue
            if data.sealed_path(f"checkpoints/{person.id}.yaml"):
                continue  # written, sealed: not readable by you, not missing
            if data.path("checkpoints", f"{person.id}.yaml") in data.left_out:
                continue  # written, but owed a fix (above)
            add(
                person.department,
                (person.id, manager),
                "check-point",
                f"no checkpoints/{person.id}.yaml (check-point of {person.id} with {manager})",
                "execution",
                due=point.due,
                subject=person.id,
            )

    # review: reviews that count, and incomplete people
    if _reached(data, "review"):
        for subject in org.people.values():
            template = data.template_for(subject.id)
            if template is None or template.sections.get("review", 0) <= 0:
                continue
            for reviewer, relation in data.expected_reviewers(subject.id).items():
                if (subject.id, reviewer) in data.reviews:
                    continue
                if data.sealed_path(f"reviews/{subject.id}/{reviewer}.yaml"):
                    continue  # written, sealed: not readable by you, not missing
                if data.path("reviews", subject.id, f"{reviewer}.yaml") in data.left_out:
                    continue  # written, but owed a fix (above)
                weight = template.group_weights.get(relation, 0) if template.group_weights else 1
                if relation != "manager" and weight <= 0:
                    continue
                what = (
                    "self-review" if relation == "self" else f"{relation.replace('_', '-')} review"
                )
                add(
                    org.people[reviewer].department,
                    (reviewer,),
                    "review",
                    f"{what} of {subject.id}",
                    "review",
                    subject=subject.id,
                    relation=relation,
                )
        scores = scores if scores is not None else score_cycle(data)
        for person in org.people.values():
            score = scores.get(person.id)
            if person.id in data.unsettled:
                continue  # incomplete until a file is fixed: that fix is listed
            if score is not None and score.sealed and not score.missing:
                continue  # sealed, not readable by you: nothing is owed that you can see
            if score is not None and not score.complete:
                add(
                    person.department,
                    (person.id,),
                    "incomplete",
                    f"{person.id} has no final score: lacks {', '.join(score.missing)}",
                    "review",
                    subject=person.id,
                )

    # calibration: a file per group
    if _reached(data, "calibration"):
        for group in data.groups:
            if (
                group.id not in data.calibrations
                and data.path("calibration", f"{group.id}.yaml") not in data.left_out
                and not data.sealed_path(f"calibration/{group.id}.yaml")
            ):
                add(
                    group.departments[0] if group.departments else "",
                    group.heads,
                    "calibration",
                    f"no calibration/{group.id}.yaml for group {group.id}",
                    "calibration",
                    subject=group.id,
                )

    order = {d: i for i, d in enumerate(org.departments)}
    return sorted(items, key=lambda o: (order.get(o.department, len(order)), PHASES.index(o.phase)))


def _checkin_late(
    dates: list[dt.date], data: CycleData, today: dt.date
) -> tuple[str, dt.date] | None:
    """(what to say, when it was due) when no check-in of `dates` is within the cycle's
    interval of today (counted from the cycle's start before the first): one rule for a
    person's check-ins and a team key result's owner's."""
    interval = dt.timedelta(days=data.cycle.checkin_interval_days)
    last = max(dates) if dates else None
    since = last or data.cycle.period_start
    if today - since <= interval:
        return None
    if last is None:
        return "no check-in yet", since + interval
    return f"last check-in {last.isoformat()}, {(today - last).days} days ago", since + interval


def late_tasks(data: CycleData, person: str, today: dt.date) -> list[PlanItem]:
    """`person`'s plan tasks past their due date and not marked `done: true`, while the
    plan is carried out (execution). Before it the plan is a draft; after it, an unfinished
    task is the reviewers' to judge, not a to-do (and `done` may no longer change)."""
    goals = data.goals.get(person) if data.cycle.phase == "execution" else None
    if goals is None:
        return []
    return [t for t in goals.plan if t.due is not None and t.due < today and t.done is not True]


def _fixer(data: CycleData, path: str) -> tuple[tuple[str, ...], str]:
    """Who owes the fix of a file left out for its errors, and the department it is
    listed under: a person their goals, a reviewer their review, a head their
    department's objectives, admins the company's, HR anything else."""
    org = data.org
    parts = path[len(data.dir) + 1 :].removesuffix(".yaml").split("/")
    owner: str | None = None
    if parts[0] == "goals" and len(parts) == 2:
        owner = parts[1]
    elif parts[0] == "reviews" and len(parts) == 3:
        owner = parts[2]
    elif parts[0] == "checkpoints" and len(parts) == 2:
        owner = parts[1]
    elif parts[0] == "departments" and len(parts) == 2 and parts[1] in org.departments:
        head = org.departments[parts[1]].head
        return (head,), parts[1]
    elif parts == ["company"]:
        return org.admins, _dept_of(data, org.admins)
    if owner is not None and owner in org.people:
        return (owner,), org.people[owner].department
    return org.hr, _dept_of(data, org.hr)


def _dept_of(data: CycleData, people: tuple[str, ...]) -> str:
    for person in people:
        if person in data.org.people:
            return data.org.people[person].department
    return ""


def render(data: CycleData, items: list[Owed], today: dt.date) -> str:
    cycle = data.cycle
    due = cycle.deadlines.get(cycle.phase)
    when = ""
    if due:
        days = (due - today).days
        when = f"; {cycle.phase} due {due.isoformat()}, " + (
            f"in {days} day(s)" if days >= 0 else f"{-days} day(s) ago"
        )
    lines = [f"Cycle {data.id}, phase {cycle.phase} (today {today.isoformat()}{when})"]
    if not items:
        lines.append("")
        lines.append("Nothing owed." if cycle.phase != "closed" else "The cycle is closed.")
        return "\n".join(lines)
    current = None
    for item in items:
        if item.department != current:
            current = item.department
            dept = data.org.departments.get(current)
            lines.append("")
            lines.append(f"{dept.name} ({current})" if dept else current or "(no department)")
        late = ""
        if item.due is not None:  # overdue only with a due date (_late)
            late = (
                f"  OVERDUE by {item.overdue_days} day(s), due {item.due.isoformat()}"
                if item.overdue
                else f"  due {item.due.isoformat()}"
            )
        lines.append(f"  {', '.join(item.who) or '(nobody)'}: {item.what}: {item.detail}{late}")
    overdue = sum(i.overdue for i in items)
    lines.append("")
    lines.append(f"{len(items)} item(s) owed, {overdue} overdue")
    return "\n".join(lines)
