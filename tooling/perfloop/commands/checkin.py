"""`perfloop checkin PERSON KR=VALUE…`: update key results and append a check-in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..checkin import CheckinError, apply_checkin, parse_assignments
from ..repository import CYCLES
from .context import cycle_option, pick_cycle, repository_root
from .writing import load_for_write, refuse, write_or_refuse

OPEN_PHASES = ("planning", "execution", "review")


@click.command()
@click.argument("person", metavar="PERSON|DEPARTMENT")
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
    """Record a check-in in goals/PERSON.yaml (or departments/DEPARTMENT.yaml, for its
    team key results).

    VALUES are OBJECTIVE/KR=NUMBER (sets `current`), OBJECTIVE/KR=done|false for a milestone,
    OBJECTIVE/KR=0..1 for a key result graded by hand (sets `score`), and kpi:ID=NUMBER
    (sets a KPI's `actual`). The file keeps its comments and key order; the write is refused
    if it would make the cycle invalid.
    """
    root = repository_root()
    cycle_id = pick_cycle(root, cycle_id)
    # a department's check-in is of its team key results
    department = _is_department(root / CYCLES / cycle_id, person)
    rel = f"departments/{person}.yaml" if department else f"goals/{person}.yaml"
    data = load_for_write(root, cycle_id, rel)
    if data.cycle.phase not in OPEN_PHASES:
        refuse(
            f"cycle {data.id} is in phase {data.cycle.phase}: check-ins are taken in "
            f"{', '.join(OPEN_PHASES)}"
        )
    goals = data.departments.get(person) if department else data.goals.get(person)
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
    source = (root / data.dir / rel).read_text(encoding="utf-8")
    text = apply_checkin(source, goals, assignments, date, confidence, note, blockers)
    write_or_refuse(root, data.id, {rel: text}, f"check-in for {person}")


def _is_department(folder: Path, name: str) -> bool:
    """Whether `name` has a department file and no goals file in the cycle `folder` (ids
    are one namespace); asked of the files, not the load, since a department file with
    errors is left out of it but is still the one to check in to (and to report on)."""
    return (folder / "departments" / f"{name}.yaml").is_file() and not (
        folder / "goals" / f"{name}.yaml"
    ).is_file()
