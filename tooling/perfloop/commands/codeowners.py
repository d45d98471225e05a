"""`perfloop codeowners [--check]`: write `.github/CODEOWNERS` from org.yaml."""

from __future__ import annotations

import sys

import click

from .. import codeowners
from ..report import emit_problems
from .context import repository_root


@click.command()
@click.option("--check", is_flag=True, help="Only report whether the file is up to date (exit 1).")
def command(check: bool) -> None:
    """Write .github/CODEOWNERS: a person's goals to them and their manager, a review to its
    reviewer, a calibration file to the group's heads and HR, everything else to admins."""
    root = repository_root()
    text, problems = codeowners.expected(root)
    if text is None:
        emit_problems(problems, sys.stderr, sys.stderr, title="Perfloop codeowners")
        if not problems:
            click.echo("perfloop codeowners: no readable cycle.yaml and org.yaml", err=True)
        sys.exit(1)
    target = root / codeowners.PATH
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if check:
        if current != text:
            click.echo(f"{codeowners.PATH} is stale: run `perfloop codeowners`", err=True)
            sys.exit(1)
        click.echo(f"{codeowners.PATH} is up to date", err=True)
        return
    if current == text:
        click.echo(f"{codeowners.PATH} is up to date", err=True)
        return
    codeowners.write(root, text)
    click.echo(f"wrote {codeowners.PATH} ({text.count(chr(10))} lines)", err=True)
