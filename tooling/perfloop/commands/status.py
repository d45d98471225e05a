"""`perfloop status`: who still owes what in this phase, per department; what is overdue."""

from __future__ import annotations

import datetime as dt

import click

from .. import jsontext
from ..status import owed, render
from .context import cycle_option, json_option, load_readable, repository_root, today_option
from .identity import identity_option, read_as


@click.command()
@cycle_option
@today_option
@click.option("--department", "dept", metavar="D", help="Only items owed in D and below it.")
@json_option
@identity_option
def command(
    cycle_id: str | None,
    today: dt.datetime | None,
    dept: str | None,
    as_json: bool,
    identity: str | None,
) -> None:
    """Missing goals, late check-ins (execution), missing reviews by relation, incomplete
    people, missing calibration files, and which of them are past their deadline."""
    read_as(identity)
    loaded = load_readable(repository_root(), cycle_id)
    data = loaded.data
    day = today.date() if today else dt.date.today()
    items = owed(data, day)
    if dept is not None:
        if dept not in data.org.departments:
            raise click.UsageError(f"no department {dept!r} in cycle {data.id}")
        inside = set(data.org.subdepartments(dept))
        items = [i for i in items if i.department in inside]
    if as_json:
        out = {
            "cycle": data.id,
            "phase": data.cycle.phase,
            "today": day.isoformat(),
            "items": [i.to_json() for i in items],
        }
        click.echo(jsontext.dumps(out))
    else:
        click.echo(render(data, items, day))
    loaded.finish()
