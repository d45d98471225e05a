"""`perfloop cycle new|advance|close`: the cycle's lifecycle (see site/guide/lifecycle.md)."""

from __future__ import annotations

import datetime as dt
import sys
from itertools import groupby
from pathlib import Path

import click

from ..frozen import caller_opener, cycle_digests
from ..lifecycle import (
    close_changes,
    next_cycle_files,
    next_phase,
    set_phase,
    uncalibrated_groups,
)
from ..report import emit_problems
from ..repository import CYCLES, ID
from ..scoring import score_cycle
from ..status import Owed, owed
from ..writes import check, create_cycle_folder
from .context import cycle_option, load_valid, pick_cycle, repository_root
from .identity import identity_option, read_as
from .writing import refuse, write_or_refuse

date_option = click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date to record (default: today).",
)


@click.group()
def command() -> None:
    """Create, advance and close cycles."""


def _print_owed(items: list[Owed]) -> None:
    """What is still owed, per department, as `perfloop status` lists it."""
    for department, group in groupby(items, lambda o: o.department):
        click.echo(f"  {department or '-'}:", err=True)
        for item in group:
            who = ", ".join(item.who) or "(nobody)"
            click.echo(f"    {who}: {item.what}: {item.detail}", err=True)


@command.command("new")
@click.argument("new_id", metavar="ID")
@click.option("--from", "prev_id", required=True, metavar="PREV", help="The cycle to start from.")
@click.option("--name", help='Display name of the new cycle, e.g. "H1 2027".')
@identity_option
def new(new_id: str, prev_id: str, name: str | None, identity: str | None) -> None:
    """Create cycle ID from PREV: org, templates and settings copied (phase planning, dates
    moved on), each person's goals drafted with the key results they did not finish and the
    improvement-plan actions of their reviews. Never overwrites."""
    root = repository_root()
    if not ID.match(new_id):
        raise click.UsageError(
            f"{new_id!r} is not a valid cycle id (lower-case letters, digits, '-')"
        )
    if (root / CYCLES / new_id).exists():
        refuse(f"{CYCLES}/{new_id} already exists; cycle new never overwrites")
    read_as(identity)
    prev = load_valid(root, pick_cycle(root, prev_id))
    if prev.unreadable:  # improvement plans in reviews it cannot open would be lost
        refuse(
            f"{prev.id} has {len(prev.unreadable)} sealed file(s) your identity does not "
            "open: start the next cycle with HR's identity or the org key (--identity)"
        )
    if prev.cycle.phase != "closed":
        click.echo(
            f"perfloop: note: {prev.id} is not closed (phase {prev.cycle.phase}); carried values "
            "are as they stand today",
            err=True,
        )
    files = next_cycle_files(prev, new_id, name)
    outcome = check(root, new_id, files)
    if not outcome.ok:
        emit_problems(outcome.added, sys.stderr, sys.stderr, title="Perfloop: cycle new refused")
        refuse(f"cycle new refused: the new cycle would have {len(outcome.added)} error(s)")
    create_cycle_folder(root, new_id, files, outcome.data)
    drafts = sum(rel.startswith("goals/") for rel in files)
    cycle = outcome.data.cycle  # type: ignore[union-attr]
    click.echo(
        f"Created {CYCLES}/{new_id} from {prev.id}: phase planning, "
        f"{cycle.period_start} to {cycle.period_end}, {len(files) - drafts} copied file(s), "
        f"{drafts} draft goals file(s)."
    )
    click.echo(
        "Next: company and department objectives (company.yaml, departments/), then people "
        "align their drafts."
    )
    _refresh_codeowners(root)


@command.command("advance")
@click.option("--force", is_flag=True, help="Move on even though items are missing.")
@cycle_option
def advance(force: bool, cycle_id: str | None) -> None:
    """Move the cycle to its next phase (planning -> execution -> review -> calibration).

    Lists what the current phase still lacks and refuses without --force. Writes only
    cycle.yaml. From calibration, use `perfloop cycle close`.
    """
    root = repository_root()
    data = load_valid(root, cycle_id)
    phase = data.cycle.phase
    target = next_phase(phase)
    if target is None:
        refuse(f"cycle {data.id} is closed; nothing in it may change")
    if target == "closed":
        refuse(f"cycle {data.id} is in calibration: `perfloop cycle close` closes it")
    missing = owed(data, dt.date.today())
    if missing:
        click.echo(f"Still owed in phase {phase} of {data.id} ({len(missing)}):", err=True)
        _print_owed(missing)
        if not force:
            refuse(f"not advancing to {target}; finish these or pass --force")
    text = set_phase((root / data.dir / "cycle.yaml").read_text(encoding="utf-8"), target)
    write_or_refuse(root, data.id, {"cycle.yaml": text}, "cycle advance")
    click.echo(f"Cycle {data.id}: {phase} -> {target}")


@command.command("close")
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help="Close although some people are incomplete (they get no rating and no bonus).",
)
@date_option
@cycle_option
@identity_option
def close(
    allow_incomplete: bool, on: dt.datetime | None, cycle_id: str | None, identity: str | None
) -> None:
    """Close a cycle in calibration: write results.yaml (scores with breakdown, proposed and
    final rating, reason, bonus) and set the phase to closed. The closed cycle is frozen.

    Requires the cycle to validate, including every calibration file, and a calibration
    file for every group with rated members.
    """
    read_as(identity)
    root = repository_root()
    chosen = pick_cycle(root, cycle_id)
    data = load_valid(root, chosen)
    if data.cycle.phase == "closed":
        refuse(f"cycle {data.id} is already closed")
    if data.unreadable:  # results computed without them would be wrong
        shown = ", ".join(sorted(data.unreadable.values())[:3])
        refuse(
            f"cycle {data.id} has {len(data.unreadable)} sealed file(s) your identity does not "
            f"open ({shown}…): close it with HR's identity or the org key (--identity)"
        )
    if data.cycle.phase != "calibration":
        refuse(
            f"cycle {data.id} is in phase {data.cycle.phase}; only a cycle in calibration can "
            "be closed (`perfloop cycle advance`)"
        )
    scores = score_cycle(data)
    missing = uncalibrated_groups(data, scores)
    if missing:
        for group in missing:
            heads = ", ".join(group.heads) or "hr"
            click.echo(f"  no calibration/{group.id}.yaml (owed by {heads})", err=True)
        refuse(f"cycle {data.id} cannot close: every group with rated members needs its file")
    incomplete = [s for s in scores.values() if not s.complete]
    if incomplete and not allow_incomplete:
        click.echo(f"{len(incomplete)} incomplete (no rating, no bonus):", err=True)
        for s in incomplete:
            click.echo(f"  {s.id}: lacks {', '.join(s.missing)}", err=True)
        refuse("not closing; complete them or pass --allow-incomplete")
    closed_on = on.date() if on else dt.date.today()
    text = (root / data.dir / "cycle.yaml").read_text(encoding="utf-8")
    # a sealed cycle's record (sealed to HR and the org key) digests its sealed files'
    # plaintext, which the caller's identity opens (checked above): a reseal keeps it true
    digests = cycle_digests(root, data.id, caller_opener() if data.cycle.sealed else None)
    changes, closing = close_changes(data, text, closed_on, digests), data.id
    del data  # the check loads the cycle again, as it would be: not both in memory at once
    write_or_refuse(root, closing, changes, "cycle close")
    rated = len(scores) - len(incomplete)
    click.echo(
        f"Cycle {closing} closed on {closed_on}: {rated} rated, {len(incomplete)} incomplete."
    )
    _refresh_codeowners(root)


def _refresh_codeowners(root: Path) -> None:
    """A new or closed cycle changes who owns which files: a `.github/CODEOWNERS` kept by
    `perfloop codeowners` is written again, so the same pull request carries it (the PR
    check refuses a stale one)."""
    from .. import codeowners

    target = root / codeowners.PATH
    if not target.is_file():
        return
    text, _ = codeowners.expected(root)
    if text is not None and text != target.read_text(encoding="utf-8"):
        codeowners.write(root, text)
        click.echo(f"updated {codeowners.PATH} for the changed cycle", err=True)
