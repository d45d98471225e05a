"""`perfloop reseal`: re-encrypt sealed files whose audience changed."""

from __future__ import annotations

import sys

import click

from .context import repository_root
from .identity import cycle_data, identities, identity_option


@click.command()
@click.option("--all", "everything", is_flag=True, help="Re-encrypt every file you can open.")
@click.option("--cycle", "cycle_id", metavar="ID", help="Only this cycle.")
@identity_option
def command(everything: bool, cycle_id: str | None, identity: str | None) -> None:
    """After the audience changed (a new manager, a new key, someone left), seal each sealed
    file of the open sealed cycles again to its audience as org.yaml now has it (a closed
    cycle only when --cycle names it). A file's recipients are compared by their number and
    kinds of keys; after replacing a key with another of the same kind, use --all. You need
    an identity that opens the files (HR's or the org key's opens all); files you cannot
    open are listed, and exit 1."""
    from ..repository import cycle_ids
    from ..sealing.files import (
        SealingError,
        confidential_files,
        open_located,
        seal_bytes,
        stale,
        write_sealed,
    )

    root = repository_root()
    keys = identities(identity)
    ids = [cycle_id] if cycle_id else cycle_ids(root)
    done = unreadable = 0
    for cid in ids:
        data = cycle_data(root, cid)
        if not data.cycle.sealed:
            continue
        if data.cycle.phase == "closed" and not cycle_id:
            # named only: no pull request may change a closed cycle (an admin's repair, such
            # as a file sealed to a stranger's key too). Its record holds each sealed file's
            # plaintext digest (frozen.py), so the same text sealed again to its audience (as
            # its own frozen org.yaml has it) keeps the record true
            continue
        for target in confidential_files(root, cid):
            if not target.sealed or not (everything or stale(data, target)):
                continue
            try:
                plain = open_located(target, keys)
                if plain is None:
                    click.echo(f"{target.shown}: sealed, not readable by you", err=True)
                    unreadable += 1
                    continue
                sealed, _ = seal_bytes(data, target.rel, plain)
            except SealingError as exc:
                click.echo(f"perfloop reseal: {exc}", err=True)
                unreadable += 1
                continue
            write_sealed(target, sealed)
            done += 1
            click.echo(f"resealed {target.shown}", err=True)
    click.echo(f"{done} file(s) resealed, {unreadable} not readable by you", err=True)
    sys.exit(1 if unreadable else 0)
