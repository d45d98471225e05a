"""`perfloop history PERSON [--cycle ID] [--json]`: the audit trail of a person's files."""

from __future__ import annotations

from pathlib import Path

import click

from .. import jsontext
from ..gitrepo import GitProblem
from ..history import checkin_timeline, history
from ..loader import load_file
from ..repository import CYCLES, cycle_ids
from .context import cycle_option, json_option, pick_cycle, repository_root


@click.command()
@click.argument("person")
@cycle_option
@json_option
def command(person: str, cycle_id: str | None, as_json: bool) -> None:
    """Every change to PERSON's goals, to reviews of or by them and to their calibration
    entry (author, date, commit, pull request, change kind; never review text or ratings),
    and the check-in timeline of each of their key results, merged by date."""
    root = repository_root()
    timeline_cycle = pick_cycle(root, cycle_id)
    _known_or_refuse(root, person, cycle_id)
    try:
        events = history(root, person, cycle_id)
    except GitProblem as exc:
        raise click.UsageError(str(exc)) from None
    timeline = checkin_timeline(root, timeline_cycle, person)
    if as_json:
        out = {
            "person": person,
            "cycle": cycle_id,
            "changes": [e.to_json() for e in events],
            "timeline": {
                kr: [{"date": d.isoformat(), "value": v, "commit": c} for d, v, c in points]
                for kr, points in timeline.items()
            },
        }
        print(jsontext.dumps(out))
        return
    if not events:
        click.echo(f"no committed changes to {person}'s files")
    for e in events:
        pr = f"#{e.pr}" if e.pr else "-"
        click.echo(
            f"{e.date[:10]}  {e.commit[:10]}  {pr:>5}  {e.kind:<18} {e.status:<8} "
            f"{e.path}  ({e.author} <{e.email}>)"
        )
    if timeline:
        click.echo(f"\ncheck-in timeline, {timeline_cycle}:")
        for kr, points in timeline.items():
            steps = ", ".join(f"{d.isoformat()} {_shown(v)}" for d, v, _ in points)
            click.echo(f"  {kr}: {steps}")


def _shown(value: float | bool) -> str:
    """A milestone's value as YAML writes it (`true`, not Python's `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _known_or_refuse(root: Path, person: str, cycle_id: str | None) -> None:
    """A person in no cycle's org.yaml (in that cycle's, with --cycle) is a usage error, as
    in every other command: an empty history would read as "nothing ever changed". Someone
    who has left is still in the org.yaml of the cycles they were in."""
    cycles = [cycle_id] if cycle_id else cycle_ids(root)
    for cid in cycles:
        path = f"{CYCLES}/{cid}/org.yaml"
        doc, _ = load_file(root / path, path) if (root / path).is_file() else (None, [])
        people = doc.data.get("people") if doc and isinstance(doc.data, dict) else None
        if not isinstance(people, list):
            return  # an org.yaml that does not read: `validate` says why; no guess here
        if any(isinstance(p, dict) and p.get("id") == person for p in people):
            return
    where = f"cycle {cycle_id}" if cycle_id else "any cycle"
    raise click.UsageError(f"no person {person!r} in {where}")
