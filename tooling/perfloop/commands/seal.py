"""`perfloop seal [PATH…]`: seal plain confidential files of a sealed cycle to their audience."""

from __future__ import annotations

import sys

import click

from .context import repository_root
from .identity import cycle_data


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def command(paths: tuple[str, ...]) -> None:
    """Encrypt each confidential file (reviews, calibration, results, development plans) of a
    sealed cycle to exactly its audience (SPEC section 7) and remove the plain file. Without
    PATH: every plain confidential file of every open sealed cycle. Needs no identity: anyone
    may seal; only the audience can open."""
    from ..repository import cycle_ids
    from ..sealing.files import SealingError, confidential_files, locate, seal_bytes, write_sealed

    root = repository_root()
    try:
        targets = [locate(root, p) for p in paths]
    except SealingError as exc:
        raise click.UsageError(str(exc)) from None
    if not paths:
        targets = [f for cid in cycle_ids(root) for f in confidential_files(root, cid)]
    loaded: dict = {}
    failed = sealed = 0
    for target in targets:
        if target.sealed:
            if paths:
                click.echo(f"{target.shown}: already sealed", err=True)
            continue
        if target.cycle_id not in loaded:
            loaded[target.cycle_id] = cycle_data(root, target.cycle_id)
        data = loaded[target.cycle_id]
        if not data.cycle.sealed or data.cycle.phase == "closed":
            if paths:
                why = "closed (frozen)" if data.cycle.phase == "closed" else "plain"
                click.echo(
                    f"{target.shown}: cycle {target.cycle_id} is {why}; only an open cycle with "
                    "`confidentiality: sealed` in cycle.yaml seals its files",
                    err=True,
                )
                failed += 1
            continue
        try:
            blob, missing = seal_bytes(data, target.rel, target.path.read_bytes())
            written = write_sealed(target, blob)
        except (SealingError, OSError) as exc:
            click.echo(f"perfloop seal: {exc}", err=True)
            failed += 1
            continue
        sealed += 1
        note = f" (no key, cannot read it: {', '.join(missing)})" if missing else ""
        click.echo(f"sealed {written.relative_to(root).as_posix()}{note}", err=True)
    click.echo(f"{sealed} file(s) sealed, {failed} failed", err=True)
    sys.exit(1 if failed else 0)
