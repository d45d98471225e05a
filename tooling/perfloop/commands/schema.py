"""`perfloop schema KIND`: print a file kind's JSON Schema (for editors and other tools)."""

from __future__ import annotations

import click

from .. import schema


@click.command()
@click.argument("kind", type=click.Choice(schema.kinds()))
def command(kind: str) -> None:
    """Print the JSON Schema (draft 2020-12) of KIND, self-contained (bundled).

    Save it for tools that take a schema file (`check-jsonschema --schemafile`). Editors
    with the YAML language server follow a file's first line,
    `# yaml-language-server: $schema=…`, to the schemas the site publishes in schemas/.
    """
    click.echo(schema.schema_text(kind), nl=False)
