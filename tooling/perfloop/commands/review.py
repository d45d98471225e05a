"""`perfloop review new SUBJECT --by REVIEWER`: a review file with the template's questions."""

from __future__ import annotations

import click

from ..scaffold import review_scaffold
from .context import cycle_option, repository_root
from .writing import load_for_write, note_phase, refuse, refuse_existing, write_or_refuse


@click.group()
def command() -> None:
    """Scaffold review files."""


@command.command("new")
@click.argument("subject")
@click.option("--by", "reviewer", required=True, metavar="REVIEWER", help="Who writes it.")
@cycle_option
def new(subject: str, reviewer: str, cycle_id: str | None) -> None:
    """Write reviews/SUBJECT/REVIEWER.yaml: one rating per question of the subject's
    template, the question as a comment above it. Never overwrites."""
    root = repository_root()
    data = load_for_write(root, cycle_id, f"reviews/{subject}/{reviewer}.yaml")
    for role, pid in (("subject", subject), ("reviewer", reviewer)):
        if pid not in data.org.people:
            raise click.UsageError(f"{role} {pid!r} is not a person in cycle {data.id}")
    if data.cycle.phase == "closed":
        refuse(f"cycle {data.id} is closed; nothing in it may change")
    if data.relation(subject, reviewer) is None:
        refuse(
            f"{reviewer} may not review {subject}: not self, manager, skip-level, designated, "
            "a proposed peer or a direct report"
        )
    if data.template_for(subject) is None:
        refuse(f"{subject} has no template in cycle {data.id}")
    rel = f"reviews/{subject}/{reviewer}.yaml"
    refuse_existing(root, data, rel, "review new")
    note_phase(data, "review", "reviews are accepted by the PR check only in the review phase")
    write_or_refuse(root, data.id, {rel: review_scaffold(data, subject, reviewer)}, "review")
