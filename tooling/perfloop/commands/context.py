"""What most commands do first: find the repository, pick the cycle, load it valid."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from ..root import RepositoryNotFound, find_root

if TYPE_CHECKING:
    from ..model import CycleData
    from ..problems import Problem

cycle_option = click.option(
    "--cycle", "cycle_id", metavar="ID", help="Cycle id (default: the latest open cycle)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
today_option = click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge deadlines as of this date (default: today).",
)


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


@dataclass(frozen=True)
class Readable:
    """A cycle loaded for a report, with its problems: the report covers everything
    readable, and `finish` then says what was left out and exits 1 if there are errors."""

    data: CycleData
    problems: list[Problem]

    def finish(self, fixed: frozenset[str] = frozenset()) -> None:
        """Exit 1 after the report when the cycle has errors (but in the files `fixed`,
        which the command replaced), with one line on stderr saying what the report lacks
        and pointing at `perfloop validate`; else return."""
        errors = [p for p in self.problems if p.is_error and p.path not in fixed]
        if not errors:
            return
        data = self.data
        cut = len(data.dir) + 1
        left = sorted(p[cut:] for p in data.left_out if p not in fixed)
        line = f"perfloop: cycle {data.id} has {len(errors)} error(s)"
        if left:
            shown = ", ".join(left[:3]) + (f" and {len(left) - 3} more" if len(left) > 3 else "")
            line += f"; left out of this report for their own errors: {shown}"
        click.echo(line + "; run `perfloop validate`", err=True)
        sys.exit(1)


def load_readable(root: Path, cycle_id: str | None) -> Readable:
    """Load and validate a cycle for a report. Files with errors of their own are left out
    of the model, and one person's typo must not blank everyone's report: the command
    prints what is readable and then calls `finish`. Only a cycle without a usable
    cycle.yaml or org.yaml prints its errors and exits 1 here."""
    from ..engine import verdict

    result = verdict(root, pick_cycle(root, cycle_id), whole_model=True)
    if result.data is None:
        _refuse(result.cycle_id, result.problems)
    return Readable(result.data, result.problems)  # type: ignore[arg-type]


def _refuse(cycle_id: str, problems: list[Problem]) -> NoReturn:
    from ..report import emit_problems

    errors = [p for p in problems if p.is_error]
    emit_problems(errors, sys.stderr, sys.stderr, title="Perfloop: invalid data")
    click.echo(
        f"perfloop: cycle {cycle_id} has {len(errors)} error(s); run `perfloop validate`",
        err=True,
    )
    sys.exit(1)


def load_valid(root: Path, cycle_id: str | None, allow_warnings: bool = True) -> CycleData:
    """Load and validate a cycle; on errors print them and exit 1 (commands that change the
    cycle, such as `cycle advance`, act only on a valid one)."""
    from ..engine import verdict  # here: `check` starts git before the rules load
    from ..problems import has_errors

    result = verdict(root, pick_cycle(root, cycle_id), whole_model=True)
    if result.data is None or has_errors(result.problems):
        _refuse(result.cycle_id, result.problems)
    return result.data
