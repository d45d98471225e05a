"""Starting files: a person's goals from their template, a review with the questions.

Each scaffold is a complete, valid file (the caller still checks it against the whole
cycle before writing) whose comments say what to fill in. Pure functions of the loaded
cycle: they return text.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from . import yamledit
from .model import COMPANY, CycleData, ObjectiveSet
from .writes import schema_line


def aligned_set(data: CycleData, person: str) -> ObjectiveSet | None:
    """The objectives a person's goals align to by default: their nearest department's
    that has any, else the company's."""
    p = data.org.people[person]
    for dept in data.org.department_chain(p.department):
        found = data.departments.get(dept)
        if found and found.objectives:
            return found
    return data.company if data.company and data.company.objectives else None


def default_kpi_targets(
    data: CycleData, person: str, previous: Mapping[str, float] | None = None
) -> dict[str, tuple[float, str]]:
    """KPI id -> (target, where it came from) for the person's template KPIs.

    The person's target of the previous cycle when there is one, else the median target
    colleagues on the same template set in this cycle, else 1: a placeholder, since a KPI
    target of 0 cannot be scored.
    """
    template = data.template_for(person)
    out: dict[str, tuple[float, str]] = {}
    for kpi in template.kpis if template else ():
        if previous and kpi.id in previous:
            out[kpi.id] = (previous[kpi.id], "your target last cycle")
            continue
        others = [
            goals.kpis[kpi.id].target
            for owner, goals in data.goals.items()
            if owner != person and kpi.id in goals.kpis and data.template_for(owner) == template
        ]
        if others:
            out[kpi.id] = (statistics.median(others), "the median of colleagues' targets")
        else:
            out[kpi.id] = (1, "a placeholder")
    return out


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def goals_scaffold(
    data: CycleData, person: str, previous_kpis: Mapping[str, float] | None = None
) -> str:
    """goals/<person>.yaml: objective stubs aligned to the department's objectives, the
    template's KPIs with a starting target each, an empty plan and peer list."""
    template = data.template_for(person)
    doc = yamledit.CommentedMap()
    doc["owner"] = person
    aligned = aligned_set(data, person)
    targets = aligned.objectives if aligned else ()
    limit = template.max_objectives if template and template.max_objectives else 3
    objectives = yamledit.CommentedSeq()
    for i, target in enumerate(targets[:limit] or [None], start=1):
        objective = yamledit.CommentedMap()
        objective["id"] = f"o{i}"
        if target is not None:
            objective["title"] = f"Draft: my part in '{target.title}'"
            objective["aligns_to"] = f"{aligned.owner}/{target.id}"  # type: ignore[union-attr]
        else:
            objective["title"] = "Draft: what I want to achieve this cycle"
        kr = yamledit.CommentedMap()
        kr["id"] = "kr1"
        kr["title"] = "Draft: a result that shows the objective is met"
        kr["type"] = "milestone"
        kr["done"] = False
        objective["key_results"] = yamledit.CommentedSeq([kr])
        objectives.append(objective)
    doc["objectives"] = objectives
    owner = aligned.owner if aligned else None
    source = (
        "the company's objectives"
        if owner == COMPANY
        else f"the objectives of {owner}"
        if owner
        else "no department or company objectives yet"
    )
    yamledit.comment_before(
        doc,
        "objectives",
        f"Draft goals for {data.org.people[person].name}, cycle {data.id}.\n"
        f"One objective stub per objective to align to ({source}).\n"
        "Rewrite each title, replace the milestone stub with measurable key results\n"
        "(start, target, unit), and delete stubs that do not apply."
        + (
            f"\nTemplate {template.id}: at most {template.max_objectives} objectives and "
            f"{template.max_key_results} key results each."
            if template and template.max_objectives and template.max_key_results
            else ""
        ),
    )
    if template and template.kpis:
        kpis = yamledit.CommentedMap()
        for kpi_id, (value, origin) in default_kpi_targets(data, person, previous_kpis).items():
            kpi = template.kpi(kpi_id)
            entry = yamledit.CommentedMap()
            entry["target"] = _number(value)
            kpis[kpi_id] = entry
            unit = f", {kpi.unit}" if kpi and kpi.unit else ""
            direction = kpi.direction if kpi else "higher"
            yamledit.comment_before(
                kpis,
                kpi_id,
                f"{kpi.name if kpi else kpi_id} ({direction} is better{unit}); "
                f"target from {origin}",
                indent=2,
            )
        doc["kpis"] = kpis
        yamledit.comment_before(
            doc, "kpis", f"KPIs of template {template.id}: agree each target with your manager."
        )
    doc["plan"] = yamledit.CommentedSeq()
    yamledit.comment_before(
        doc,
        "plan",
        "The performance plan: tasks with a due date and a quality standard, e.g.\n"
        "  - {task: Migrate payments to the new queue, due: 2026-09-30, standard: zero "
        "data loss}",
    )
    doc["peers"] = yamledit.CommentedSeq()
    if template and (template.peers_min or template.peers_max):
        most = f" to {template.peers_max}" if template.peers_max else " or more"
        yamledit.comment_before(
            doc,
            "peers",
            f"Peer reviewers to propose for the review phase: {template.peers_min}{most} people.",
        )
    return schema_line("goals") + yamledit.dump(doc)


def review_scaffold(data: CycleData, subject: str, reviewer: str) -> str:
    """reviews/<subject>/<reviewer>.yaml: one rating per template question, each with the
    question as a comment, starting at the middle of the scale."""
    template = data.template_for(subject)
    relation = data.relation(subject, reviewer) or "?"
    people = data.org.people
    scale = template.scale if template else 5
    middle = (scale + 1) // 2
    doc = yamledit.CommentedMap()
    ratings = yamledit.CommentedMap()
    for question in template.questions if template else ():
        ratings[question.id] = middle
        yamledit.comment_before(ratings, question.id, question.text, indent=2)
    doc["ratings"] = ratings
    what = "self-review" if relation == "self" else f"{relation.replace('_', '-')} review"
    yamledit.comment_before(
        doc,
        "ratings",
        f"{what.capitalize()} of {people[subject].name} ({subject}) by {people[reviewer].name} "
        f"({reviewer}), cycle {data.id}.\n"
        "Confidential: never on the public site; restricted builds show it to HR, the\n"
        "subject's department heads and (self, manager and skip-level reviews) the subject.\n"
        f"{_who_reads(data, subject, reviewer)}\n"
        f"Rate each question from 1 to {scale} ({scale} is best). Every rating starts at "
        f"{middle}, the middle of\nthe scale: change each one. Once committed, this file "
        "counts as a review as it stands.",
    )
    doc["comments"] = ""
    doc["strengths"] = ""
    doc["improvements"] = ""
    yamledit.comment_before(doc, "comments", "Your overall assessment, with examples.")
    doc["improvement_plan"] = yamledit.CommentedSeq()
    yamledit.comment_before(
        doc,
        "improvement_plan",
        "Development actions, e.g. - {action: Run the monthly design review, due: "
        "2027-03-31}\n"
        "They become a development objective in the subject's goals next cycle, published "
        "to the\nwhole company once the subject adopts it: write them so.",
    )
    return schema_line("review") + yamledit.dump(doc)


def _who_reads(data: CycleData, subject: str, reviewer: str) -> str:
    """Who can read the review file in the repository itself: everyone in a plain cycle,
    its audience in a sealed one (SPEC section 7)."""
    if not data.cycle.sealed:
        return "Anyone who can read this repository can read this file."
    from .sealing.audience import audience

    readers = audience(data, f"reviews/{subject}/{reviewer}.yaml", data.cycle.subject_reads)
    names = ", ".join(readers.people) if readers else "HR"
    return f"Sealed in the repository: only {names} and the org key can open it."


def checkpoint_scaffold(data: CycleData, person: str) -> str:
    """checkpoints/<person>.yaml: the check-point's fields, empty, each with a comment
    saying what goes there (the summary is the one required). The caller makes sure the
    cycle has a `checkpoint:` and the person a manager."""
    people = data.org.people
    manager = data.org.manager_of(person)
    config = data.cycle.checkpoint
    due = f", due {config.due}" if config else ""
    who = f"{people[manager].name} ({manager})" if manager is not None else "their manager"
    readers = (
        f"sealed to {person}, {manager or 'their manager'} and HR"
        if data.cycle.sealed
        else "anyone who can read this repository can read this file"
    )
    doc = yamledit.CommentedMap()
    doc["summary"] = ""
    yamledit.comment_before(
        doc,
        "summary",
        f"Mid-cycle check-point of {people[person].name} ({person}) with {who}, "
        f"cycle {data.id}{due}.\n"
        "No score, no rating: how the goals are going and what comes next. Goals change only\n"
        f"by a goal adjustment. Confidential: never on the public site; {readers}.\n"
        "Optional: date: YYYY-MM-DD (when you met).\n"
        "Required: how the goals are going, in a few lines.",
    )
    doc["employee_notes"] = ""
    yamledit.comment_before(doc, "employee_notes", f"{people[person].name}'s own view.")
    doc["manager_notes"] = ""
    yamledit.comment_before(doc, "manager_notes", "The manager's view.")
    doc["next_steps"] = yamledit.CommentedSeq()
    yamledit.comment_before(
        doc,
        "next_steps",
        "What you agreed until the review, e.g. - {action: Pair on the cache layer, due: "
        "2026-10-31}",
    )
    return schema_line("checkpoint") + yamledit.dump(doc)
