"""`perfloop checkpoint new PERSON`: a check-point file to fill in (site/guide/lifecycle.md)."""

from __future__ import annotations

import click

from ..scaffold import checkpoint_scaffold
from .context import cycle_option, repository_root
from .writing import load_for_write, note_phase, refuse, refuse_existing, write_or_refuse


@click.group()
def command() -> None:
    """Scaffold mid-cycle check-point files."""


@command.command("new")
@click.argument("person")
@cycle_option
def new(person: str, cycle_id: str | None) -> None:
    """Write checkpoints/PERSON.yaml: the check-point's fields with what goes in each, for
    PERSON and their manager (sealed to the two and HR in a sealed cycle). Only in a cycle
    whose cycle.yaml has a `checkpoint:`. Never overwrites."""
    root = repository_root()
    rel = f"checkpoints/{person}.yaml"
    data = load_for_write(root, cycle_id, rel)
    if person not in data.org.people:
        raise click.UsageError(f"{person!r} is not a person in cycle {data.id}'s org.yaml")
    if data.cycle.phase == "closed":
        refuse(f"cycle {data.id} is closed; nothing in it may change")
    if data.cycle.checkpoint is None:
        refuse(
            f"cycle {data.id} has no check-point: cycle.yaml sets none "
            "(checkpoint: {date: YYYY-MM-DD, due: YYYY-MM-DD})"
        )
    if data.org.manager_of(person) is None:
        refuse(f"{person} has no manager in org.yaml: a check-point is held with one")
    refuse_existing(root, data, rel, "checkpoint new")
    note_phase(data, "execution", "check-points are accepted by the PR check only in execution")
    write_or_refuse(root, data.id, {rel: checkpoint_scaffold(data, person)}, "check-point")
