"""Weights sum to 100 or are all absent; numeric key results have a target != start."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..model import CycleData, Where
from ..problems import Problem
from .reads import Reads

# Each objectives file with its template (reads.py).
READS = Reads.of("template", "objectives", "goals")

TOLERANCE = 1e-6


def weights_problem(
    items: Sequence[Any], where: Where, what: str, *path: str | int
) -> Iterator[Problem]:
    """Siblings' weights: all absent, or all present and summing to 100."""
    weights = [item.weight for item in items]
    if not items or all(w is None for w in weights):
        return
    if any(w is None for w in weights):
        missing = [item.id for item in items if item.weight is None]
        yield where.error(
            f"{what} weights: give every one a weight or none ({', '.join(missing)} have none)",
            *path,
        )
        return
    total = sum(weights)
    if abs(total - 100) > TOLERANCE:
        yield where.error(f"{what} weights sum to {total:g}, not 100", *path)


def _key_results(data: CycleData) -> Iterator[Problem]:
    for objectives in data.all_objective_sets():
        scored = [o for o in objectives.objectives if o.kind == "okr"]
        yield from weights_problem(scored, objectives.where, "objective", "objectives")
        for objective in objectives.objectives:
            if objective.kind == "okr" and not objective.key_results:
                yield objective.where.error(f"objective {objective.id} has no key results", "id")
            yield from weights_problem(
                objective.key_results,
                objective.where,
                f"{objective.id}: key result",
                "key_results",
            )
            for kr in objective.key_results:
                if kr.kind != "numeric":
                    continue
                if kr.target is None:
                    yield kr.where.error(
                        f"key result {kr.id} needs a target (or type: milestone, or a score)",
                        "id",
                    )
                    continue
                start = kr.start if kr.start is not None else 0.0
                if kr.target == start:
                    yield kr.where.error(
                        f"key result {kr.id}: target equals start ({kr.target:g}); progress "
                        "cannot be measured",
                        "target",
                    )
                elif kr.direction == "lower" and kr.target > start:
                    yield kr.where.error(
                        f"key result {kr.id} is lower-is-better but its target {kr.target:g} is "
                        f"above its start {start:g}",
                        "target",
                    )
                elif kr.direction == "higher" and kr.target < start:
                    yield kr.where.warning(
                        f"key result {kr.id}: target {kr.target:g} is below start {start:g}; "
                        "add direction: lower if lower is better",
                        "target",
                    )


def _templates(data: CycleData) -> Iterator[Problem]:
    for template in data.templates.values():
        total = sum(template.sections.values())
        if abs(total - 100) > TOLERANCE:
            yield template.where.error(f"section weights sum to {total:g}, not 100", "sections")
        yield from weights_problem(template.kpis, template.where, "KPI", "kpis")
        if (
            template.sections.get("kpi", 0) > 0
            and not template.kpis
            and not (template.allow_custom_kpis)
        ):
            yield template.where.error(
                "the kpi section has a weight but the template has no KPIs and allows no "
                "custom ones",
                "sections",
                "kpi",
            )
        if template.sections.get("review", 0) > 0:
            if not template.questions:
                yield template.where.error(
                    "the review section has a weight but the template has no questions",
                    "sections",
                    "review",
                )
            if template.group_weights and not any(w > 0 for w in template.group_weights.values()):
                yield template.where.error("every review group has weight 0", "reviews", "groups")
            if template.group_weights.get("manager", 1) <= 0:
                yield template.where.warning(
                    "the manager group has weight 0, yet a manager review is what makes the "
                    "review section count",
                    "reviews",
                    "groups",
                    "manager",
                )
        if template.peers_max is not None and template.peers_min > template.peers_max:
            yield template.where.error(
                f"peers: min {template.peers_min} exceeds max {template.peers_max}",
                "reviews",
                "peers",
            )
        for kpi in template.kpis:
            if kpi.scoring == "bands" and not kpi.bands:
                yield kpi.where.error(f"KPI {kpi.id} uses bands but defines none", "scoring")
            if kpi.scoring == "linear" and kpi.bands:
                yield kpi.where.warning(
                    f"KPI {kpi.id} defines bands but is scored linearly", "bands"
                )
            mins = [b.min for b in kpi.bands]
            if mins != sorted(mins, reverse=True):
                yield kpi.where.error(
                    f"KPI {kpi.id}: bands must run from the highest min down", "bands"
                )
            if kpi.bands and mins[-1] > 0:
                yield kpi.where.warning(
                    f"KPI {kpi.id}: no band has min 0, so a low achievement scores 0", "bands"
                )


def _limits(data: CycleData) -> Iterator[Problem]:
    for person, goals in data.goals.items():
        template = data.template_for(person)
        if template is None:
            continue
        scored = [o for o in goals.objectives if o.kind == "okr"]
        if template.max_objectives and len(scored) > template.max_objectives:
            yield goals.where.error(
                f"{len(scored)} objectives; template {template.id} allows at most "
                f"{template.max_objectives}",
                "objectives",
            )
        for objective in scored:
            if template.max_key_results and len(objective.key_results) > template.max_key_results:
                yield objective.where.error(
                    f"{len(objective.key_results)} key results; template {template.id} allows "
                    f"at most {template.max_key_results}",
                    "key_results",
                )


def check(data: CycleData) -> Iterator[Problem]:
    yield from _key_results(data)
    yield from _templates(data)
    yield from _limits(data)
