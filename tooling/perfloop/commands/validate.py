"""`perfloop validate [PATH]...`: schemas and every rule that needs no git."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import engine, jsontext
from ..frozen import frozen_problems, with_changes
from ..problems import Problem, has_errors
from ..report import emit_problems
from ..repository import CYCLES, cycle_ids, symlinked_cycles
from ..validation import CycleResult
from .context import json_option, repository_root
from .identity import identity_option, read_as


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@json_option
@click.option("--quiet", "-q", is_flag=True, help="Print problems only, no summary line.")
@identity_option
def command(paths: tuple[Path, ...], as_json: bool, quiet: bool, identity: str | None) -> None:
    """Validate the repository at PATH (default: here), cycle folders, or files.

    Several paths (as pre-commit passes the changed files) check each one's cycle once and
    report the problems in any of them."""
    read_as(identity)
    first = paths[0] if paths else None
    root = repository_root(first if first is None or first.is_dir() else first.parent)
    only: list[str] | None = None  # None: every cycle
    file_filters: list[str] | None = []  # None: every problem of the cycles checked
    for path in paths:
        rel = path.resolve().relative_to(root).parts if _inside(path, root) else None
        if rel is None:
            raise click.UsageError(f"{path} is not in the repository at {root}")
        if rel and rel[0] != CYCLES:  # README.md, site/: nothing perfloop validates
            raise click.UsageError(
                f"{path} is not under {CYCLES}/: give the repository, a cycle folder or a "
                "file of one"
            )
        if len(rel) < 2:  # the repository or cycles/: everything
            only, file_filters = None, None
            break
        if rel[1] not in cycle_ids(root):
            raise click.UsageError(f"{path} is not in a cycle with a cycle.yaml")
        only = (only or []) + ([rel[1]] if rel[1] not in (only or []) else [])
        if file_filters is not None:
            file_filters.append("/".join(rel))
    results = [engine.verdict(root, cid) for cid in only or cycle_ids(root)]
    problems = [p for r in results for p in _frozen(root, r)]
    problems += [] if only else symlinked_cycles(root)  # ignored as cycles: said so here
    if file_filters:
        problems = [
            p
            for p in problems
            if any(p.path == f or p.path.startswith(f + "/") for f in file_filters)
        ]
    if as_json:
        print(
            jsontext.dumps(
                {
                    "ok": not has_errors(problems),
                    "cycles": [r.cycle_id for r in results],
                    "problems": [p.to_json() for p in problems],
                }
            )
        )
    else:
        emit_problems(problems, sys.stdout, sys.stderr, title="Perfloop validate")
        if not quiet:
            errors = sum(p.is_error for p in problems)
            files = sum(r.file_count for r in results)
            # sealed files the identity does not open were checked as sealed files only
            # (form, recipients, who may write them): say so rather than count them as read
            sealed = sum(len(r.data.unreadable) for r in results if r.data is not None)
            unread = f"; {sealed} sealed file(s) not readable by you" if sealed else ""
            click.echo(
                f"{len(results)} cycle(s), {files} file(s): {errors} error(s), "
                f"{len(problems) - errors} warning(s){unread}",
                err=True,
            )
    sys.exit(1 if has_errors(problems) else 0)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _frozen(root: Path, result: CycleResult) -> list[Problem]:
    """A cycle's problems, and a closed cycle's files that changed since its close
    (frozen.py): results.yaml is its record, and branch protection alone does not keep it
    true. What follows from such a change in files that did not change is left out."""
    results = result.data.results if result.data is not None else None

    def whole():  # a model derived from HEAD's verdict holds the changed files only
        if result.files is None:
            return result.data
        return engine.verdict(root, result.cycle_id, whole_model=True).data

    changed = frozen_problems(root, result.cycle_id, results, whole)
    return with_changes(result.problems, changed, f"{CYCLES}/{result.cycle_id}")
