"""`perfloop export`: results with their breakdown as CSV or XLSX, for one audience."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..export import AudienceError, parse_audience, results, to_csv, to_xlsx
from ..frozen import recorded_rows
from ..writes import atomic_write
from .context import cycle_option, load_readable, repository_root
from .identity import identity_option, read_as


@click.command()
@cycle_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "--audience",
    default="hr",
    show_default=True,
    metavar="hr|dept:D|person:P",
    help="Whose view: HR (everyone), a department (with the ones below it), or one person.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: CSV to standard output; XLSX to "
    "results-<cycle>-<audience>.xlsx).",
)
@identity_option
def command(
    cycle_id: str | None, fmt: str, audience: str, output: Path | None, identity: str | None
) -> None:
    """Export scores, ratings and bonus with their breakdown (confidential).

    Only the rows the audience may see are written: hr all, dept:D the people of D and
    its sub-departments, person:P only P. Files are written whole (temporary file, then
    rename) and readable by their owner only.
    """
    read_as(identity)
    loaded = load_readable(repository_root(), cycle_id)
    data = loaded.data
    try:
        who = parse_audience(audience, data)
    except AudienceError as exc:
        raise click.BadParameter(str(exc), param_hint="--audience") from None
    rows = recorded_rows(data, who) or results(data, who)  # a closed cycle: its record
    if fmt == "csv":
        text = to_csv(rows)
        if output is None:
            sys.stdout.write(text)
            loaded.finish()
            return
        # a byte-order mark: Excel reads a CSV file without one as the local code page
        atomic_write(output, text.encode("utf-8-sig"), mode=0o600)
    else:
        output = output or Path(f"results-{data.id}-{who.label}.xlsx")
        atomic_write(output, to_xlsx(data, rows), mode=0o600)
    click.echo(f"wrote {output} ({len(rows)} people, audience {audience})", err=True)
    loaded.finish()
