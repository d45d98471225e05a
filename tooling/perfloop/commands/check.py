"""`perfloop check --base REV [--author LOGIN] [--json]`: the pull request's check."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

import click

from .. import jsontext
from ..gitrepo import GitProblem, GitRepo
from ..problems import safe_text
from ..report import append_step_summary, emit_problems, in_github_actions, markdown_cell
from .context import json_option, repository_root
from .identity import use_org_identity

if TYPE_CHECKING:
    from ..pullcheck import CheckResult


@click.command()
@click.option("--base", "base_rev", required=True, metavar="REV", help="The pull request's base.")
@click.option("--author", "login", metavar="LOGIN", help="The GitHub login of the author.")
@json_option
@click.option(
    "--summary/--no-summary",
    default=None,
    help="Write the job summary (default: under GitHub Actions).",
)
def command(base_rev: str, login: str | None, as_json: bool, summary: bool | None) -> None:
    """Check the working tree against REV as a pull request: validate, classify each change,
    apply the base's phase and author rules, and list the approvers it needs.

    Without --author, the author is the person in org.yaml whose email is git's
    user.email."""
    started = time.perf_counter()
    root = repository_root()
    use_org_identity()
    try:
        repo = GitRepo(root)
        # git walks the working tree for what changed while the check's modules load
        repo.start_changed(repo.resolve(base_rev))
        from ..pullcheck import run_check, score_moves

        author_login = login or _login_from_email(root)
        result = run_check(root, base_rev, author_login, repo=repo)
    except GitProblem as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        print(jsontext.dumps(result.to_json()))
    else:
        print_text(result)
        emit_problems(result.problems, sys.stdout, sys.stderr, title="Perfloop check")
        verdict = "passed" if result.ok else f"failed: {len(result.errors)} error(s)"
        click.echo(f"check {verdict} in {time.perf_counter() - started:.2f}s", err=True)
    if summary if summary is not None else in_github_actions():
        append_step_summary(summary_markdown(result, score_moves(root, result)))
    sys.exit(0 if result.ok else 1)


def _login_from_email(root) -> str | None:
    """A local run without --author: the login of the person whose email is git's."""
    try:
        out = subprocess.run(
            ["git", "config", "user.email"], cwd=root, capture_output=True, text=True
        )
    except OSError:
        return None
    email = out.stdout.strip()
    if not email:
        return None
    from ..loader import load_file
    from ..repository import CYCLES, current_cycle_id

    # org.yaml alone: loading the whole cycle for one lookup doubled a local check's time.
    cid = current_cycle_id(root)
    path = f"{CYCLES}/{cid}/org.yaml"
    doc, _ = load_file(root / path, path) if cid else (None, [])
    people = doc.data.get("people") if doc and isinstance(doc.data, dict) else None
    for person in people if isinstance(people, list) else []:
        found = person.get("email") if isinstance(person, dict) else None
        if isinstance(found, str) and found.lower() == email.lower():
            login = person.get("github")
            return login if isinstance(login, str) else None
    return None


def _who(result: CheckResult, person: str) -> str:
    login = result.logins.get(person)
    return safe_text(f"{person} (@{login})" if login else person)


def print_text(result: CheckResult) -> None:
    """The check in words. Paths, fields and the login come from the pull request: each is
    printed through `safe_text`, so none can write a workflow command into a CI log."""
    author = (
        _who(result, result.author)
        if result.author
        else (
            f"@{safe_text(result.author_login)} (not in org.yaml)"
            if result.author_login
            else "unknown"
        )
    )
    phases = ", ".join(f"{c} in {p}" for c, p in result.phases.items()) or "no cycle touched"
    print(f"base {result.base[:12]}; author {author}; {phases}")
    if not result.changes:
        print("no changes")
    for change in result.changes:
        detail = f"  ({safe_text(', '.join(change.fields[:5]))})" if change.fields else ""
        print(f"  {change.kind:<18} {change.status:<8} {safe_text(change.path)}{detail}")
        if change.team:  # a department's check-in: whose progress it moves, by name
            print(f"{'':<30}moves team key result(s) {safe_text(', '.join(change.team))}")
    if result.requirements:
        print("approvals needed:")
        for req in result.requirements:
            people = " or ".join(_who(result, p) for p in req.any_of)
            stand_in = f", standing in for {req.instead_of}" if req.instead_of else ""
            print(f"  {people}: {safe_text(req.role + stand_in)}")
    elif result.changes:
        print("approvals needed: none")


def summary_markdown(result: CheckResult, moves: list[dict]) -> str:
    """The job summary: changes and kinds, approvers, and how goal progress moves."""
    out = ["### Perfloop check", ""]
    state = "passed" if result.ok else f"failed with {len(result.errors)} error(s)"
    author = result.author or result.author_login or "unknown"
    out += [f"Check **{state}**. Author: {markdown_cell(author)}. Base: `{result.base[:12]}`.", ""]
    if result.changes:
        out += ["| file | change | kind |", "|---|---|---|"]
        out += [
            f"| `{markdown_cell(c.path)}` | {c.status} | {c.kind}"
            + (f" ({markdown_cell(', '.join(c.fields[:5]))})" if c.fields else "")
            + " |"
            for c in result.changes
        ]
        out.append("")
    if result.requirements:
        out += [
            "**Approvals needed** (one of the people in each row):",
            "",
            "| approver | role | for |",
            "|---|---|---|",
        ]
        for req in result.requirements:
            people = ", ".join(markdown_cell(_who(result, p)) for p in req.any_of)
            role = req.role + (f" (for {req.instead_of})" if req.instead_of else "")
            paths = ", ".join(f"`{markdown_cell(p)}`" for p in req.paths[:3])
            more = f" and {len(req.paths) - 3} more" if len(req.paths) > 3 else ""
            out.append(f"| {people} | {markdown_cell(role)} | {paths}{more} |")
        out.append("")
    else:
        out += ["No approvals needed.", ""]
    if moves:
        out += [
            "**Goal progress** (the OKR section, before → after; KPI actuals, final scores "
            "and ratings are confidential and not shown here):",
            "",
            "| person | OKR |",
            "|---|---|",
        ]
        for m in moves:
            out.append(f"| {markdown_cell(m['person'])} | {_move(m['okr'])} |")
        out.append("")
    return "\n".join(out)


def _move(pair: list) -> str:
    before, after = pair
    shown = [("—" if v is None else f"{v:.2f}") for v in pair]
    if before is not None and after is not None and before != after:
        return f"{shown[0]} → {shown[1]} ({after - before:+.2f})"
    return f"{shown[0]} → {shown[1]}"
