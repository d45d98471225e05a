"""`perfloop show PATH`: print a sealed file the caller can open."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import repository_root
from .identity import identities, identity_option, in_ci, refuse_in_ci


@click.command()
@click.argument("path")
@identity_option
@click.option(
    "--textconv",
    is_flag=True,
    help="As git's diff driver: the plaintext when you can open the file, else the file as "
    "it is (never an error; ciphertext in CI).",
)
def command(path: str, identity: str | None, textconv: bool) -> None:
    """Print the plaintext of a sealed confidential file, if your identity is among its
    recipients (exit 1 when it is not). Refused in CI: no plaintext reaches a job log."""
    from ..sealing.files import SealingError, locate, open_located

    if textconv:
        sys.stdout.buffer.write(_textconv(Path(path), identity))
        return
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


def _textconv(path: Path, identity: str | None) -> bytes:
    """git hands a temporary copy of the blob: open it if we can, else show it as it is."""
    from ..sealing.age import SealError, identity_path, load_identities

    raw = path.read_bytes()
    given = identity_path(identity)
    if given is None or in_ci():
        return raw
    try:
        opened = load_identities(given).open(raw)
    except SealError:
        return raw
    return raw if opened is None else opened
