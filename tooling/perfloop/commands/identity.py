"""What the sealing commands share: the caller's identity and a cycle's data for audiences."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..model import CycleData
    from ..sealing.age import Identities
    from ..sealing.files import Located

identity_option = click.option(
    "--identity",
    "-i",
    "identity",
    metavar="FILE",
    help="Your age identity file or SSH private key (default: $PERFLOOP_IDENTITY, "
    "else ~/.ssh/id_ed25519).",
)


def identities(option: str | None) -> Identities:
    """The caller's identities, or a usage error saying where they were looked for."""
    from ..sealing.age import SealError, identity_path, load_identities

    path = identity_path(option)
    if path is None:
        raise click.UsageError(
            "no identity: pass --identity FILE, set PERFLOOP_IDENTITY, or create ~/.ssh/id_ed25519"
        )
    try:
        return load_identities(path)
    except SealError as exc:
        raise click.UsageError(str(exc)) from None


def in_ci() -> bool:
    """Under GitHub Actions or another CI (which set CI=true): output lands in a job log."""
    return os.environ.get("GITHUB_ACTIONS") == "true" or os.environ.get("CI") == "true"


def refuse_in_ci(what: str) -> None:
    """Plaintext of a sealed file never reaches CI output (SPEC section 7)."""
    if in_ci():
        raise click.UsageError(f"{what} prints a sealed file's plaintext: not in CI")


def cycle_data(root: Path, cycle_id: str) -> CycleData:
    """The cycle's plain data (org, cycle, goals): what a confidential file's audience needs."""
    from ..engine import load_cycle

    data, problems = load_cycle(root, cycle_id)
    if data is None:
        errors = "; ".join(p.format() for p in problems if p.is_error)[:500]
        raise click.ClickException(f"cycle {cycle_id} cannot be read: {errors}")
    return data


def read_as(option: str | None) -> None:
    """Let what this command loads open sealed files with the caller's identity
    (`--identity`, else PERFLOOP_IDENTITY, else ~/.ssh/id_ed25519). A given identity that
    cannot be used is a usage error naming the file. In CI nothing is opened: a report's
    numbers in a job log would be plaintext (SPEC section 7)."""
    from .. import engine
    from ..sealing.reader import IdentityError, reader_for

    if in_ci():
        if option or os.environ.get("PERFLOOP_IDENTITY"):
            raise click.UsageError(
                "--identity/PERFLOOP_IDENTITY in CI: a sealed file's plaintext would reach "
                "the job log"
            )
        return
    try:
        engine.read_as(reader_for(option))
    except IdentityError as exc:
        raise click.UsageError(str(exc)) from None


def use_org_identity() -> None:
    """The PR check and the gate: with the org identity (PERFLOOP_ORG_IDENTITY, the text
    of the org key file) they open every sealed file and validate its plaintext too; its
    problems are reported without the file's values."""
    from .. import engine
    from ..sealing.reader import IdentityError, org_reader

    try:
        reader = org_reader()
    except IdentityError as exc:
        raise click.UsageError(str(exc)) from None
    if reader is not None:
        engine.read_as(reader)


def open_for_caller(
    root: Path, path: str, identity: str | None, sealed_only: bool = False
) -> tuple[Located, bytes]:
    """The confidential file at `path` and its plaintext as the caller's identity opens it:
    a usage error when it is no such file, exit 1 "sealed, not readable by you" when the
    identity is not among its recipients. `sealed_only`: a plain file is a usage error."""
    from ..sealing.files import SealingError, locate, open_located

    try:
        target = locate(root, path)
        if not target.path.is_file():
            raise SealingError(f"{path}: no such file")
        if sealed_only and not target.sealed:
            raise SealingError(f"{path}: not a sealed file (edit a plain file directly)")
        text = open_located(target, identities(identity))
    except SealingError as exc:
        raise click.UsageError(str(exc)) from None
    if text is None:
        click.echo(f"{target.shown}: sealed, not readable by you", err=True)
        sys.exit(1)
    return target, text
