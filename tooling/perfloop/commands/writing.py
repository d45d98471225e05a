"""The edge of every command that writes: check, write atomically, or refuse with errors."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import click

from ..engine import full
from ..model import CycleData
from ..report import emit_problems
from ..repository import CYCLES
from ..writes import write_checked
from .context import pick_cycle


def load_for_write(root: Path, cycle_id: str | None, own: str | None = None) -> CycleData:
    """The cycle to write into. Someone else's broken file does not block a check-in or a
    scaffold (the write itself is checked not to add errors); errors in `own` (a path in
    the cycle) or a cycle that cannot load at all do (exit 1)."""
    result = full(root, pick_cycle(root, cycle_id))
    errors = [p for p in result.problems if p.is_error]
    mine = [p for p in errors if own and p.path == f"{CYCLES}/{result.cycle_id}/{own}"]
    if result.data is None or mine:
        shown = errors if result.data is None else mine
        emit_problems(shown, sys.stderr, sys.stderr, title="Perfloop: invalid data")
        refuse(f"fix {len(shown)} error(s) first; nothing was written")
    if errors:
        click.echo(
            f"perfloop: note: cycle {result.cycle_id} has {len(errors) - len(mine)} error(s) in "
            "other files (`perfloop validate`); this write is checked not to add any",
            err=True,
        )
    return result.data  # type: ignore[return-value]


def write_or_refuse(root: Path, cycle_id: str, changes: Mapping[str, str], what: str) -> None:
    """Write `changes` to the cycle, or print the errors they would add and exit 1."""
    from ..sealing.files import SealingError

    try:
        outcome = write_checked(root, cycle_id, changes)
    except SealingError as exc:  # a sealed cycle whose audience has no key at all
        refuse(f"{what} cannot be sealed: {exc}")
        return
    if not outcome.ok:
        emit_problems(outcome.added, sys.stderr, sys.stderr, title=f"Perfloop: {what} refused")
        click.echo(
            f"perfloop: {what} refused: it would add {len(outcome.added)} error(s); "
            "nothing was written",
            err=True,
        )
        sys.exit(1)
    sealed = outcome.data is not None and outcome.data.cycle.sealed
    for rel in changes:
        suffix = ".age" if sealed and (root / CYCLES / cycle_id / f"{rel}.age").exists() else ""
        click.echo(f"wrote {CYCLES}/{cycle_id}/{rel}{suffix}")


def refuse_existing(root: Path, data: CycleData, rel: str, command: str) -> None:
    """Refuse a scaffold over `rel` in either form: in a sealed cycle the file may already
    be there as `<rel>.age`, and a scaffold never overwrites someone's writing."""
    for form in (rel, f"{rel}.age"):
        if (root / data.dir / form).exists():
            refuse(f"{data.dir}/{form} already exists; {command} never overwrites")


def note_phase(data: CycleData, phase: str, what: str) -> None:
    """A note, not a refusal, when the cycle is not in `phase`: a file may be drafted early,
    but the PR check accepts `what` only in `phase` (`what` says which phase, as read)."""
    if data.cycle.phase != phase:
        click.echo(
            f"perfloop: note: cycle {data.id} is in phase {data.cycle.phase}; {what}",
            err=True,
        )


def refuse(message: str) -> NoReturn:
    """A refusal about the data or the phase (exit 1), not about how the command was typed."""
    click.echo(f"perfloop: {message}", err=True)
    sys.exit(1)
