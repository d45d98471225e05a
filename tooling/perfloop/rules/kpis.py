"""Template KPIs are present in every goals file; custom KPIs only where the template allows."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem
from .reads import Reads

# Each goals file with its owner's template (reads.py).
READS = Reads.of("org", "template", "goals")


def check(data: CycleData) -> Iterator[Problem]:
    for person, goals in data.goals.items():
        if person not in data.org.people:
            continue
        template = data.template_for(person)
        if template is None:
            chosen = data.template_id_for(person)
            if chosen and data.template_left_out(chosen):
                continue  # the template file's own errors are reported
            yield goals.where.error(
                f"{person} has no template (set templates.default in cycle.yaml)", "owner"
            )
            continue
        for kpi in template.kpis:
            if kpi.id not in goals.kpis:
                yield goals.where.error(
                    f"KPI {kpi.id!r} of template {template.id} has no target in kpis", "kpis"
                )
        for kpi_id, entry in goals.kpis.items():
            defined = template.kpi(kpi_id)
            if defined is None:
                if not template.allow_custom_kpis:
                    yield entry.where.error(
                        f"KPI {kpi_id!r} is not in template {template.id}, which allows no "
                        "custom KPIs"
                    )
                elif entry.custom is None:
                    yield entry.where.error(
                        f"custom KPI {kpi_id!r} needs a name (and a weight when the other KPIs "
                        "have weights)"
                    )
            elif entry.custom is not None:
                yield entry.where.error(
                    f"KPI {kpi_id!r} is defined by template {template.id}; give only target "
                    "and actual",
                    "name",
                )
            scored = defined or entry.custom
            direction = scored.direction if scored else None
            if entry.target == 0 and direction != "lower":  # lower: target / actual, 0 at 0
                yield entry.where.error(
                    f"KPI {kpi_id!r}: a target of 0 cannot be scored when higher is better "
                    "(actual / target)",
                    "target",
                )
            if direction == "higher" and entry.actual is not None and entry.actual < 0:
                yield entry.where.error(f"KPI {kpi_id!r}: actual is negative", "actual")
        # With weighted template KPIs a custom KPI needs a weight too; the section is a
        # weighted mean, so the combined weights need not sum to 100.
        if any(k.weight is not None for k in template.kpis):
            for entry in goals.kpis.values():
                if entry.custom and not template.kpi(entry.id) and entry.custom.weight is None:
                    yield entry.where.error(
                        f"custom KPI {entry.id!r} needs a weight, since the template's KPIs "
                        "have weights"
                    )
