"""`perfloop gate`: pass only when the right people approved the pull request's latest commit.

Online (in Actions): `perfloop gate --pr N` reads the pull request, its files and reviews
from GitHub. Offline: `perfloop gate --base REV --author LOGIN --head SHA --reviews FILE`.
Exit 0 approved, 1 not (yet) approved or not allowed, 2 usage or API error: never success
when GitHub cannot be read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..gate import Decision, decide
from ..github import GitHub, GitHubError
from ..gitrepo import GitProblem
from ..problems import safe_text
from ..pullcheck import CheckResult, run_check
from ..report import append_step_summary, in_github_actions, markdown_cell
from .context import json_option, repository_root

CONTEXT = "perfloop/approval"


def _fail(message: str) -> None:
    click.echo(f"perfloop gate: error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--pr", "number", type=int, help="Pull request number (reads the GitHub API).")
@click.option("--repo", metavar="OWNER/NAME", help="Default: $GITHUB_REPOSITORY.")
@click.option("--post-status", is_flag=True, help=f"Post the decision as the {CONTEXT} status.")
@click.option("--context", default=CONTEXT, show_default=True, help="The status's context.")
@click.option("--base", "base_rev", metavar="REV", help="Offline: the base revision.")
@click.option("--author", "login", metavar="LOGIN", help="Offline: the author's GitHub login.")
@click.option("--head", metavar="SHA", help="Offline: the pull request's head commit.")
@click.option(
    "--reviews",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Offline: a JSON file as GitHub's 'list reviews for a pull request' returns.",
)
@json_option
def command(
    number: int | None,
    repo: str | None,
    post_status: bool,
    context: str,
    base_rev: str | None,
    login: str | None,
    head: str | None,
    reviews: Path | None,
    as_json: bool,
) -> None:
    """Decide whether the pull request may merge: the check passes, every required approver
    approved its latest commit, and none requests changes."""
    # Trusted code on the pull request's files: a PR can commit a `.perfloop-cache/` whose
    # entries say its broken files are valid, so the gate reads every file itself.
    os.environ["PERFLOOP_CACHE"] = "0"
    root = repository_root()
    offline = [base_rev, login, head, reviews]
    if number is None:
        if not all(offline):
            raise click.UsageError("give --pr N, or all of --base, --author, --head, --reviews")
        try:
            review_list = json.loads(reviews.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"{reviews}: not a JSON file: {exc}") from None
        if not isinstance(review_list, list):
            raise click.UsageError(f"{reviews}: expected a JSON list of reviews")
        result, decision = _decide(root, base_rev, login, head, review_list, ())
        _report(result, decision, as_json)
        sys.exit(0 if decision.ok else 1)
    if any(offline):
        raise click.UsageError("--pr reads GitHub; do not combine it with the offline options")
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        raise click.UsageError("--repo OWNER/NAME or $GITHUB_REPOSITORY is needed with --pr")
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        _fail("GITHUB_TOKEN is not set")
    head_sha = None
    try:
        api = GitHub(repo, token)
        pull = api.pull(number)
        head_sha = pull["head"]["sha"]
        if post_status:
            api.set_status(head_sha, "pending", context, "checking approvals", _run_url())
        files = api.pull_files(number)
        review_list = api.pull_reviews(number)
    except GitHubError as exc:
        if post_status and head_sha:  # the pending status stays if this fails too
            _post(api, head_sha, "error", context, "cannot read the pull request from GitHub")
        _fail(str(exc))
    try:
        result, decision = _decide(
            root, pull["base"]["sha"], pull["user"]["login"], head_sha, review_list, tuple(files)
        )
    except (GitProblem, click.UsageError) as exc:
        if post_status:
            _post(api, head_sha, "error", context, str(exc))
        _fail(str(exc))
    _report(result, decision, as_json)
    if post_status:
        state = "success" if decision.ok else "failure"
        if not _post(api, head_sha, state, context, decision.summary()):
            sys.exit(2)
    sys.exit(0 if decision.ok else 1)


def _decide(
    root: Path, base: str, login: str, head: str, reviews: list, files: tuple[str, ...]
) -> tuple[CheckResult, Decision]:
    try:
        result = run_check(root, base, login, extra_paths=files)
    except GitProblem as exc:
        raise click.UsageError(str(exc)) from None
    errors = [p.format() for p in result.errors]
    decision = decide(result.requirements, errors, reviews, head, login, result.people_by_login)
    return result, decision


def _post(api: GitHub, sha: str, state: str, context: str, description: str) -> bool:
    try:
        api.set_status(sha, state, context, description, _run_url())
        return True
    except GitHubError as exc:
        click.echo(f"perfloop gate: error: cannot post the status: {exc}", err=True)
        return False


def _run_url() -> str | None:
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def _report(result: CheckResult, decision: Decision, as_json: bool) -> None:
    if as_json:
        print(json.dumps({**decision.to_json(), "check": result.to_json()}, indent=2))
    else:
        # commit authors' names and the check's errors come from the pull request: safe_text
        print(f"gate {'passed' if decision.ok else 'failed'}: {safe_text(decision.summary())}")
        for error in decision.errors:
            print(f"  {safe_text(error)}")
        for s in decision.standings:
            state = f"approved by {s.approved_by}" if s.approved_by else "waiting"
            print(f"  {' or '.join(s.requirement.any_of)} ({s.requirement.role}): {state}")
        for person in decision.blocking:
            print(f"  {person} requests changes: blocks until they approve or are dismissed")
        for person in decision.stale:
            print(f"  {person} approved an older commit: approve the latest one again")
        for note in decision.notes:
            print(f"  note: {safe_text(note)}")
    if in_github_actions():
        append_step_summary(_markdown(decision))


def _markdown(decision: Decision) -> str:
    lines = [
        "### Perfloop approval gate",
        "",
        f"**{'Passed' if decision.ok else 'Not yet'}**: {markdown_cell(decision.summary())}",
        "",
    ]
    if decision.standings:
        lines += ["| approver | role | state |", "|---|---|---|"]
        for s in decision.standings:
            state = f"approved by {s.approved_by}" if s.approved_by else "waiting"
            who = markdown_cell(" or ".join(s.requirement.any_of))
            lines.append(f"| {who} | {markdown_cell(s.requirement.role)} | {state} |")
    return "\n".join(lines) + "\n"
