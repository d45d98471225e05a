"""What most commands do first: find the repository, pick the cycle, load it valid."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..root import RepositoryNotFound, find_root

if TYPE_CHECKING:
    from ..model import CycleData

cycle_option = click.option(
    "--cycle", "cycle_id", metavar="ID", help="Cycle id (default: the latest open cycle)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def repository_root(path: str | Path | None = None) -> Path:
    try:
        return find_root(Path(path or "."))
    except RepositoryNotFound as exc:
        raise click.UsageError(str(exc)) from None


def pick_cycle(root: Path, cycle_id: str | None) -> str:
    from ..repository import current_cycle_id, cycle_ids

    if cycle_id:
        if cycle_id not in cycle_ids(root):
            known = ", ".join(cycle_ids(root)) or "none"
            raise click.UsageError(f"no cycle {cycle_id!r} (cycles: {known})")
        return cycle_id
    current = current_cycle_id(root)
    if current is None:
        raise click.UsageError(f"no cycles under {root / 'cycles'}")
    return current


def load_valid(root: Path, cycle_id: str | None, allow_warnings: bool = True) -> CycleData:
    """Load and validate a cycle; on errors print them and exit 1."""
    from ..problems import has_errors
    from ..report import emit_problems
    from ..validation import validate_cycle  # here: `check` starts git before the rules load

    result = validate_cycle(root, pick_cycle(root, cycle_id), recall=True)
    if result.data is None or has_errors(result.problems):
        errors = [p for p in result.problems if p.is_error]
        emit_problems(errors, sys.stderr, sys.stderr, title="Perfloop: invalid data")
        click.echo(
            f"perfloop: cycle {result.cycle_id} has {len(errors)} error(s); "
            "run `perfloop validate`",
            err=True,
        )
        sys.exit(1)
    return result.data
