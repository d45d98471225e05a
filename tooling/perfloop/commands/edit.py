"""`perfloop edit PATH`: open a sealed file in $EDITOR and seal it again."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from .context import repository_root
from .identity import cycle_data, identity_option, open_for_caller, refuse_in_ci


def _private_folder() -> str | None:
    """A memory-backed folder for the plaintext while the editor has it, where there is one:
    the plaintext should not reach a disk (it is removed afterwards either way)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@click.command()
@click.argument("path")
@identity_option
def command(path: str, identity: str | None) -> None:
    """Decrypt a sealed file you can open into a private temporary file, open it in $VISUAL or
    $EDITOR, and seal the result to the file's current audience. Nothing is written when the
    text is unchanged or is not valid YAML."""
    from ..loader import parse_bytes
    from ..sealing.files import SealingError, seal_bytes, write_sealed

    refuse_in_ci("perfloop edit")
    root = repository_root()
    target, before = open_for_caller(root, path, identity, sealed_only=True)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="perfloop-edit-", dir=_private_folder()) as folder:
        os.chmod(folder, 0o700)
        plain = Path(folder) / Path(target.rel).name
        plain.write_bytes(before)
        os.chmod(plain, 0o600)
        if subprocess.call([*shlex.split(editor), str(plain)]) != 0:
            click.echo(f"perfloop edit: {editor} failed; {target.shown} is unchanged", err=True)
            sys.exit(1)
        after = plain.read_bytes()
    if after == before:
        click.echo(f"{target.shown}: no change", err=True)
        return
    doc, problems = parse_bytes(after, target.shown)
    if doc is None:
        for problem in problems:
            click.echo(problem.format(), err=True)
        click.echo(f"perfloop edit: not saved; {target.shown} is unchanged", err=True)
        sys.exit(1)
    try:
        sealed, missing = seal_bytes(cycle_data(root, target.cycle_id), target.rel, after)
    except SealingError as exc:
        raise click.ClickException(str(exc)) from None
    write_sealed(target, sealed)
    note = f" (no key, cannot read it: {', '.join(missing)})" if missing else ""
    click.echo(f"sealed {target.shown}{note}", err=True)
