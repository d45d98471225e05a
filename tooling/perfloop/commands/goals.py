"""`perfloop goals new PERSON`: a starting goals file from the person's template."""

from __future__ import annotations

from pathlib import Path

import click

from ..loader import load_file
from ..model import CycleData
from ..repository import CYCLES, cycle_ids
from ..scaffold import goals_scaffold
from .context import cycle_option, repository_root
from .writing import load_for_write, note_phase, refuse, write_or_refuse


@click.group()
def command() -> None:
    """Scaffold goals files."""


def previous_kpi_targets(root: Path, data: CycleData, person: str) -> dict[str, float]:
    """The person's KPI targets in the latest earlier cycle that has goals for them."""
    for cid in reversed([c for c in cycle_ids(root) if c < data.id]):
        rel = f"{CYCLES}/{cid}/goals/{person}.yaml"
        doc, problems = load_file(root / rel, rel) if (root / rel).exists() else (None, [])
        if doc is None or problems or not isinstance(doc.data, dict):
            continue
        kpis = doc.data.get("kpis")
        if isinstance(kpis, dict):
            return {
                k: v["target"]
                for k, v in kpis.items()
                if isinstance(v, dict) and isinstance(v.get("target"), int | float)
            }
    return {}


@command.command("new")
@click.argument("person")
@cycle_option
def new(person: str, cycle_id: str | None) -> None:
    """Write goals/PERSON.yaml: objective stubs aligned to the department's objectives,
    the template's KPIs with starting targets, an empty plan. Never overwrites."""
    root = repository_root()
    data = load_for_write(root, cycle_id, f"goals/{person}.yaml")
    if person not in data.org.people:
        raise click.UsageError(f"{person!r} is not a person in cycle {data.id}'s org.yaml")
    if data.cycle.phase == "closed":
        refuse(f"cycle {data.id} is closed; nothing in it may change")
    rel = f"goals/{person}.yaml"
    if (root / data.dir / rel).exists():
        refuse(f"{data.dir}/{rel} already exists; goals new never overwrites")
    if data.template_for(person) is None:
        refuse(f"{person} has no template in cycle {data.id}")
    note_phase(data, "planning", "new goals are accepted by the PR check only in planning")
    text = goals_scaffold(data, person, previous_kpi_targets(root, data, person))
    write_or_refuse(root, data.id, {rel: text}, f"goals for {person}")
