"""`perfloop tree`: the OKR tree with progress bars and alignment warnings."""

from __future__ import annotations

import click

from .. import jsontext
from ..tree import build_tree, render
from .context import cycle_option, json_option, load_readable, repository_root
from .identity import identity_option, read_as


@click.command()
@cycle_option
@click.option(
    "--department", "dept", metavar="D", help="Only this department and what is below it."
)
@click.option("--no-people", is_flag=True, help="Departments only.")
@json_option
@identity_option
def command(
    cycle_id: str | None, dept: str | None, no_people: bool, as_json: bool, identity: str | None
) -> None:
    """Company -> departments -> people: every objective and key result with its progress,
    sums rolled up from contributors, and alignment warnings (coverage of top-down targets,
    objectives aligned to nothing). Goals are public inside the company; no scores here."""
    read_as(identity)
    loaded = load_readable(repository_root(), cycle_id)
    data = loaded.data
    root = build_tree(data)
    if dept is not None:
        found = root.find(dept)
        if found is None or found.kind != "department":
            raise click.UsageError(f"no department {dept!r} in cycle {data.id}")
        root = found
    if as_json:
        click.echo(jsontext.dumps({"cycle": data.id, "tree": root.to_json()}))
    else:
        click.echo(render(root, show_people=not no_people))
        warnings = sum(len(n.warnings()) for n in root.walk())
        click.echo(f"\n{warnings} alignment warning(s)")
    loaded.finish()
