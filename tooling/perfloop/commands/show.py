"""`perfloop show PATH`: print a sealed file the caller can open."""

from __future__ import annotations

import sys

import click

from .context import repository_root
from .identity import identities, identity_option, refuse_in_ci


@click.command()
@click.argument("path")
@identity_option
def command(path: str, identity: str | None) -> None:
    """Print the plaintext of a sealed confidential file, if your identity is among its
    recipients (exit 1 when it is not). Refused in CI: no plaintext reaches a job log."""
    from ..sealing.files import SealingError, locate, open_located

    refuse_in_ci("perfloop show")
    root = repository_root()
    try:
        target = locate(root, path)
        if not target.path.is_file():
            raise SealingError(f"{path}: no such file")
        text = open_located(target, identities(identity))
    except SealingError as exc:
        raise click.UsageError(str(exc)) from None
    if text is None:
        click.echo(f"{target.shown}: sealed, not readable by you", err=True)
        sys.exit(1)
    sys.stdout.buffer.write(text)
