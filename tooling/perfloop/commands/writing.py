"""The edge of every command that writes: check, write atomically, or refuse with errors."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click

from ..report import emit_problems
from ..repository import CYCLES
from ..writes import write_checked


def write_or_refuse(root: Path, cycle_id: str, changes: Mapping[str, str], what: str) -> None:
    """Write `changes` to the cycle, or print the errors they would add and exit 1."""
    outcome = write_checked(root, cycle_id, changes)
    if not outcome.ok:
        emit_problems(outcome.added, sys.stderr, sys.stderr, title=f"Perfloop: {what} refused")
        click.echo(
            f"perfloop: {what} refused: it would add {len(outcome.added)} error(s); "
            "nothing was written",
            err=True,
        )
        sys.exit(1)
    for rel in changes:
        click.echo(f"wrote {CYCLES}/{cycle_id}/{rel}")


def refuse(message: str) -> None:
    """A refusal about the data or the phase (exit 1), not about how the command was typed."""
    click.echo(f"perfloop: {message}", err=True)
    sys.exit(1)
