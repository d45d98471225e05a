"""`perfloop checkin PERSON KR=VALUE…`: update key results and append a check-in."""

from __future__ import annotations

import datetime as dt

import click

from ..checkin import CheckinError, apply_checkin, parse_assignments
from .context import cycle_option, repository_root
from .writing import load_for_write, refuse, write_or_refuse

OPEN_PHASES = ("planning", "execution", "review")


@click.command()
@click.argument("person")
@click.argument("values", nargs=-1, metavar="KR=VALUE…")
@click.option("--note", help="What happened since the last check-in.")
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1),
    help="How likely the key results are met, 0..1.",
)
@click.option("--blockers", help="What is in the way.")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date of the check-in (default: today).",
)
@cycle_option
def command(
    person: str,
    values: tuple[str, ...],
    note: str | None,
    confidence: float | None,
    blockers: str | None,
    on: dt.datetime | None,
    cycle_id: str | None,
) -> None:
    """Record a check-in in goals/PERSON.yaml.

    VALUES are OBJECTIVE/KR=NUMBER (sets `current`), OBJECTIVE/KR=done|false for a milestone,
    OBJECTIVE/KR=0..1 for a key result graded by hand (sets `score`), and kpi:ID=NUMBER
    (sets a KPI's `actual`). The file keeps its comments and key order; the write is refused
    if it would make the cycle invalid.
    """
    root = repository_root()
    data = load_for_write(root, cycle_id, f"goals/{person}.yaml")
    if data.cycle.phase not in OPEN_PHASES:
        refuse(
            f"cycle {data.id} is in phase {data.cycle.phase}: check-ins are taken in "
            f"{', '.join(OPEN_PHASES)}"
        )
    goals = data.goals.get(person)
    if goals is None:
        hint = "" if person in data.org.people else f" ({person!r} is not in org.yaml)"
        raise click.UsageError(f"{person} has no goals file in cycle {data.id}{hint}")
    if not values and not note and confidence is None and not blockers:
        raise click.UsageError("give at least one KR=VALUE, --note, --confidence or --blockers")
    try:
        assignments = parse_assignments(goals, list(values))
    except CheckinError as exc:
        raise click.UsageError(str(exc)) from None
    date = on.date() if on else dt.date.today()
    if goals.checkins and date < goals.checkins[-1].date:
        raise click.UsageError(
            f"the last check-in is of {goals.checkins[-1].date}; check-ins are kept oldest "
            "first, so give a date on or after it"
        )
    rel = f"goals/{person}.yaml"
    source = (root / data.dir / rel).read_text(encoding="utf-8")
    text = apply_checkin(source, goals, assignments, date, confidence, note, blockers)
    write_or_refuse(root, data.id, {rel: text}, f"check-in for {person}")
