"""`perfloop schema KIND`: print a file kind's JSON Schema (for editors and other tools)."""

from __future__ import annotations

import click

from .. import schema


@click.command()
@click.argument("kind", type=click.Choice(schema.kinds()))
def command(kind: str) -> None:
    """Print the JSON Schema (draft 2020-12) of KIND.

    Editors with the YAML language server pick a schema up from a first line such as
    `# yaml-language-server: $schema=../../tooling/perfloop/schemas/goals.schema.json`.
    """
    click.echo(schema.schema_text(kind), nl=False)
