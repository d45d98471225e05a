"""`perfloop show PATH`: print a sealed file the caller can open."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import repository_root
from .identity import identity_option, in_ci, open_for_caller, refuse_in_ci


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

    if textconv:
        sys.stdout.buffer.write(_textconv(Path(path), identity))
        return
    refuse_in_ci("perfloop show")
    _, text = open_for_caller(repository_root(), path, identity)
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
