"""What one cycle hands to the next: each person's draft goals (spec section 1, "Improve").

A draft holds
- every key result the person did not finish (score below 1), as a proposal: it starts
  where it stood (`start` = its last value), keeps its target, and says where it came from
  (`carried_from: <cycle>/<person>/<objective>/<kr>`); finished key results stay behind, and
  an objective whose key results were all finished is not carried;
- the `improvement_plan` actions of the person's reviews as one development objective
  (`kind: development`, not scored), each action a milestone;
- last cycle's KPI targets (without actuals), so the file is complete for the template.

Alignment (`aligns_to`, `contributes_to`) and weights are not carried: they point at last
cycle's department objectives and are agreed afresh in planning. Pure functions: the result
is plain data for a goals file.
"""

from __future__ import annotations

import re
from typing import Any

from .model import RELATIONS, CycleData, KeyResult, Objective
from .progress import kr_current, kr_progress

DEVELOPMENT_ID = "development"


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def carried_key_result(
    prev: CycleData, owner: str, objective: Objective, kr: KeyResult
) -> dict[str, Any] | None:
    """The proposal for an unfinished key result, or None when it was finished or is a
    reference to a team key result (the department's: its next objectives set it again)."""
    if kr.ref is not None or kr_progress(prev, owner, kr, objective.id) >= 1.0:
        return None
    out: dict[str, Any] = {"id": kr.id, "title": kr.title}
    if kr.kind == "milestone" or kr.target is None:
        out |= {"type": "milestone", "done": False}
    else:
        start = kr.start if kr.start is not None else 0.0
        reached = kr_current(prev, owner, kr, objective.id)
        if reached is not None and reached != kr.target:
            start = reached  # progress continues from where it stood
        out["start"] = _number(start)
        out["target"] = _number(kr.target)
        if kr.unit:
            out["unit"] = kr.unit
        if kr.direction != "higher":
            out["direction"] = kr.direction
    out["carried_from"] = f"{prev.id}/{owner}/{objective.id}/{kr.id}"
    return out


def carried_objectives(prev: CycleData, person: str) -> list[dict[str, Any]]:
    goals = prev.goals.get(person)
    out = []
    for objective in goals.objectives if goals else ():
        krs = [
            carried
            for kr in objective.key_results
            if (carried := carried_key_result(prev, person, objective, kr))
        ]
        if not krs:
            continue
        item: dict[str, Any] = {"id": objective.id, "title": objective.title}
        if objective.kind != "okr":
            item["kind"] = objective.kind
        description = objective.description
        if not description and objective.aligns_to:
            description = f"Aligned in {prev.id} to {objective.aligns_to}."
        if description:
            item["description"] = description
        item["carried_from"] = f"{prev.id}/{person}/{objective.id}"
        item["key_results"] = krs
        out.append(item)
    return out


def improvement_actions(prev: CycleData, person: str) -> list[str]:
    """The improvement-plan actions of the person's reviews: manager's first, then in the
    order of relations; the same action from two reviewers once."""
    order = {r: i for i, r in enumerate(("manager", "skip_level", *RELATIONS))}
    reviews = sorted(
        prev.reviews_of(person),
        key=lambda r: (order.get(prev.relation(person, r.reviewer) or "", 99), r.reviewer),
    )
    seen: set[str] = set()
    actions = []
    for review in reviews:
        for action in review.improvement_plan:
            key = re.sub(r"\s+", " ", action.action).strip().lower()
            if key in seen:
                continue
            seen.add(key)
            text = action.action.strip()
            actions.append(f"{text} (by {action.due})" if action.due else text)
    return actions


def from_reviews(objective: Objective) -> bool:
    """Whether `objective` is a development objective `development_objective` made of the
    person's review improvement plans (`carried_from: <cycle>/reviews/<person>`): what
    reviewers wrote, so kept off the public site until the person makes it their own by
    dropping `carried_from` (site/loading.py)."""
    carried = objective.carried_from or ""
    return objective.kind == "development" and carried.split("/")[1:2] == ["reviews"]


def development_objective(prev: CycleData, person: str, taken: set[str]) -> dict | None:
    actions = improvement_actions(prev, person)
    if not actions:
        return None
    ident, n = DEVELOPMENT_ID, 1
    while ident in taken:
        n += 1
        ident = f"{DEVELOPMENT_ID}-{n}"
    return {
        "id": ident,
        "title": f"Development plan agreed in the {prev.id} reviews",
        "kind": "development",
        "carried_from": f"{prev.id}/reviews/{person}",
        "key_results": [
            {"id": f"a{i}", "title": action, "type": "milestone", "done": False}
            for i, action in enumerate(actions, start=1)
        ],
    }


def carried_kpis(prev: CycleData, person: str) -> dict[str, dict[str, Any]]:
    """Last cycle's KPI entries without their actuals (custom KPIs keep their definition)."""
    goals = prev.goals.get(person)
    source = prev.documents.get(goals.where.file) if goals else None
    raw = (source.data.get("kpis") if source else None) or {}
    return {
        kpi_id: {k: v for k, v in entry.items() if k != "actual"} for kpi_id, entry in raw.items()
    }


def draft_goals(prev: CycleData, person: str, plans: bool = True) -> dict[str, Any]:
    """Plain data of goals/<person>.yaml for the cycle after `prev`; without the
    improvement plans when not `plans` (a sealed cycle carries them sealed instead:
    `development_plan`)."""
    objectives = carried_objectives(prev, person)
    development = (
        development_objective(prev, person, {o["id"] for o in objectives}) if plans else None
    )
    if development:
        objectives.append(development)
    out: dict[str, Any] = {"owner": person}
    if objectives:
        out["objectives"] = objectives
    kpis = carried_kpis(prev, person)
    if kpis:
        out["kpis"] = kpis
    return out


def development_plan(prev: CycleData, person: str) -> dict[str, Any] | None:
    """Plain data of development/<person>.yaml, sealed to the person, their manager and HR:
    the improvement plans of their reviews in a sealed cycle, which goals files (public
    inside the company) must not hold. None without any."""
    actions = improvement_actions(prev, person)
    if not actions:
        return None
    return {
        "person": person,
        "carried_from": f"{prev.id}/reviews/{person}",
        "actions": [{"action": action, "done": False} for action in actions],
    }
