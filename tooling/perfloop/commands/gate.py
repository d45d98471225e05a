"""`perfloop gate`: pass only when the right people approved the pull request's latest commit.

Online (in Actions): `perfloop gate --pr N` reads the pull request, its files, commits and
reviews from GitHub. Offline: `perfloop gate --base REV --author LOGIN --head SHA --reviews
FILE [--commits FILE] [--default-branch NAME]`. `perfloop gate --base-moved` re-decides what
a push to the default branch changes for every open pull request.

The gate decides on the checked-out commit and nothing else: it must be the pull request's
head, with a clean working tree, containing the current tip of the default branch. Exit 0
approved, 1 not (yet) approved or not decided, 2 usage or API error: never success when
GitHub cannot be read.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..engine import load_revision
from ..gate import FORGE, CommitAuthor, Decision, base_error, decide, other_authors
from ..github import GitHub, GitHubError
from ..gitrepo import GitProblem, GitRepo
from ..permissions import merge
from ..problems import safe_text
from ..pullcheck import CheckResult, run_check
from ..report import append_step_summary, in_github_actions, markdown_cell
from .context import json_option, repository_root

CONTEXT = "perfloop/approval"
APP_TOKEN = "PERFLOOP_APP_TOKEN"
WEAK_TOKEN = (
    "the gate runs with the workflow's GITHUB_TOKEN, so any workflow on a pull request "
    f"branch can post the same {CONTEXT} status: set up the GitHub App ({APP_TOKEN}) and "
    "require its check run (see the guide's trust page)"
)


def _fail(message: str) -> None:
    click.echo(f"perfloop gate: error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--pr", "number", type=int, help="Pull request number (reads the GitHub API).")
@click.option("--repo", metavar="OWNER/NAME", help="Default: $GITHUB_REPOSITORY.")
@click.option(
    "--post-status",
    is_flag=True,
    help=f"Post the decision: a check run when ${APP_TOKEN} is set, else a commit status.",
)
@click.option(
    "--context",
    default=CONTEXT,
    show_default=True,
    help="The status's context (the check run's name).",
)
@click.option(
    "--base-moved",
    is_flag=True,
    help="After a push to the default branch: re-decide every open pull request into it.",
)
@click.option("--base", "base_rev", metavar="REV", help="Offline: the base revision.")
@click.option("--author", "login", metavar="LOGIN", help="Offline: the author's GitHub login.")
@click.option("--head", metavar="SHA", help="Offline: the pull request's head commit.")
@click.option(
    "--reviews",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Offline: a JSON file as GitHub's 'list reviews for a pull request' returns.",
)
@click.option(
    "--commits",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Offline: a JSON file as GitHub's 'list commits on a pull request' returns "
    "(default: commit authors are mapped to people by their email in org.yaml).",
)
@click.option(
    "--default-branch",
    metavar="NAME",
    help="Offline: the repository's default branch (default: origin's, else main).",
)
@json_option
def command(
    number: int | None,
    repo: str | None,
    post_status: bool,
    context: str,
    base_moved: bool,
    base_rev: str | None,
    login: str | None,
    head: str | None,
    reviews: Path | None,
    commits: Path | None,
    default_branch: str | None,
    as_json: bool,
) -> None:
    """Decide whether the pull request may merge: it targets the default branch as it is
    now, every commit is its author's, the check passes, every required approver approved
    its latest commit, and none requests changes."""
    # Trusted code on the pull request's files: a PR can commit a `.perfloop-cache/` whose
    # entries say its broken files are valid, so the gate reads every file itself.
    os.environ["PERFLOOP_CACHE"] = "0"
    from .identity import use_org_identity

    use_org_identity()  # the org key's secret, when given: sealed files are validated too
    offline = [base_rev, login, head, reviews]
    if base_moved:
        if number is not None or any(offline) or commits or default_branch:
            raise click.UsageError("--base-moved reads GitHub; give no other pull request")
        _base_moved(_api(repo), post_status, context)
        return
    root = repository_root()
    if number is None:
        if base_rev is None or login is None or head is None or reviews is None:
            raise click.UsageError("give --pr N, or all of --base, --author, --head, --reviews")
        _offline(root, base_rev, login, head, reviews, commits, default_branch, as_json)
        return  # _offline exits with the decision
    if any(offline) or commits or default_branch:
        raise click.UsageError("--pr reads GitHub; do not combine it with the offline options")
    _online(root, _api(repo), number, post_status, context, as_json)


# --- offline ------------------------------------------------------------------------------


def _offline(
    root: Path,
    base_rev: str,
    login: str,
    head: str,
    reviews: Path,
    commits: Path | None,
    default_branch: str | None,
    as_json: bool,
) -> None:
    review_list = _json_list(reviews, "reviews")
    commit_list = _json_list(commits, "commits") if commits else None
    try:
        git = GitRepo(root)
        default = default_branch or _local_default(git)
        tip = git.resolve(_tracking(git, default))
        head_sha = _read_head(git, git.resolve(head))
        base = git.resolve(base_rev)
    except GitProblem as exc:
        raise click.UsageError(str(exc)) from None
    # Offline the base given stands for the pull request's base: it must be the default
    # branch as it is now (its tip), not a side branch nor an older commit of it.
    base_ref = default if base == tip else base_rev
    if commit_list is None:
        mapped_by = "its email is no one's in org.yaml"
    else:
        mapped_by = f"GitHub's answer in {commits} maps it to no user"
    result, decision = _decide(
        git, root, base_ref, default, tip, login, head_sha, review_list, (),
        lambda found, role: _by_payload(found, commit_list, role) if commit_list is not None
        else _by_email(git, tip, found),
        mapped_by,
    )  # fmt: skip
    _report(result, decision, as_json)
    sys.exit(0 if decision.ok else 1)


def _json_list(path: Path, what: str) -> list:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"{path}: not a JSON file: {exc}") from None
    if not isinstance(found, list):
        raise click.UsageError(f"{path}: expected a JSON list of {what}")
    return found


def _local_default(git: GitRepo) -> str:
    """origin's default branch as this clone knows it (refs/remotes/origin/HEAD), else main."""
    try:
        ref = git.run("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").strip()
    except GitProblem:
        return "main"
    return ref.removeprefix("refs/remotes/origin/") or "main"


def _tracking(git: GitRepo, branch: str) -> str:
    """The freshest ref of `branch` here: origin's copy when fetched, else the local one."""
    remote = f"refs/remotes/origin/{branch}"
    return remote if git.succeeds("rev-parse", "--verify", "--quiet", remote) else branch


def _read_head(git: GitRepo, head_sha: str) -> str:
    """`head_sha`, when the working tree is exactly that commit: the gate posts on the
    commit whose tree it read, never on another."""
    here = git.head()
    if here != head_sha:
        raise GitProblem(
            f"the checkout is {here[:12]}, not the pull request's head {head_sha[:12]}: "
            "the gate reads only the commit it decides on"
        )
    if not git.is_clean():
        raise GitProblem(
            "the working tree differs from its commit (modified or untracked files): "
            "the gate reads only a clean checkout of the head"
        )
    return head_sha


WEB_FLOW = "web-flow"  # GitHub's committer of what is edited or merged on github.com
WEB_FLOW_EMAIL = "noreply@github.com"


def _committers(git: GitRepo, tip: str, head: str) -> dict[str, tuple[str, str]]:
    """sha -> (committer name, email) of the commits in `head` that `tip` lacks."""
    out = git.run("log", "-z", "--format=%H%x1f%cn%x1f%ce", f"{tip}..{head}")
    found = {}
    for record in filter(None, out.split("\0")):
        sha, name, email = record.strip("\n").split("\x1f")
        found[sha] = (name, email)
    return found


def _by_payload(
    found: list[tuple[str, str]], payload: list[dict[str, Any]], role: str = "author"
) -> dict[str, str | None]:
    """sha -> login of each commit's `role` (author or committer) from GitHub's "list
    commits on a pull request" answer."""
    logins = {}
    for item in payload:
        if isinstance(item, dict) and isinstance(item.get("sha"), str):
            user = item.get(role)
            login = user.get("login") if isinstance(user, dict) else None
            logins[item["sha"]] = login if isinstance(login, str) and login else None
    return {sha: logins.get(sha) for sha, _ in found}


def _by_email(git: GitRepo, tip: str, found: list[tuple[str, str]]) -> dict[str, str | None]:
    """sha -> login of the person whose org.yaml `email:` is the commit author's, in any
    cycle at the tip (a login only when that person has one)."""
    logins: dict[str, str | None] = {}
    for cid in git.cycle_ids(tip):
        data, _ = load_revision(git, tip, cid, ())
        for person in data.org.people.values() if data else ():
            if person.email:
                logins.setdefault(person.email.lower(), person.github)
    return {sha: logins.get(email.lower()) for sha, email in found}


# --- online -------------------------------------------------------------------------------


def _api(repo: str | None) -> GitHub:
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    if not repo:
        raise click.UsageError("--repo OWNER/NAME or $GITHUB_REPOSITORY is needed with --pr")
    token = os.environ.get(APP_TOKEN) or os.environ.get("GITHUB_TOKEN")
    if not token:
        _fail(f"neither {APP_TOKEN} nor GITHUB_TOKEN is set")
    try:
        api = GitHub(repo, token)
    except GitHubError as exc:
        _fail(str(exc))
    if not os.environ.get(APP_TOKEN):
        click.echo(f"perfloop gate: warning: {WEAK_TOKEN}", err=True)
        if in_github_actions():
            append_step_summary(f"> **Warning:** {WEAK_TOKEN}.\n")
    return api


class Poster:
    """Posts the decision on one commit: a check run with the app's token (which no branch
    can use), else a commit status with the workflow's token."""

    def __init__(self, api: GitHub, sha: str, context: str, enabled: bool):
        self.api, self.sha, self.context, self.enabled = api, sha, context, enabled
        self.as_check = bool(os.environ.get(APP_TOKEN))
        self.run_id: int | None = None

    def start(self, description: str) -> None:
        if not self.enabled:
            return
        if self.as_check:
            self.run_id = self.api.start_check_run(self.sha, self.context, _run_url())
        else:
            self.api.set_status(self.sha, "pending", self.context, description, _run_url())

    def finish(self, state: str, description: str, details: str = "") -> bool:
        """Post `state` (success, failure, error or pending); False when it failed."""
        if not self.enabled:
            return True
        try:
            if not self.as_check:
                self.api.set_status(self.sha, state, self.context, description, _run_url())
                return True
            if self.run_id is None:
                self.run_id = self.api.start_check_run(self.sha, self.context, _run_url())
            if state != "pending":  # a check run in progress is pending already
                conclusion = "success" if state == "success" else "failure"
                summary = details or description
                self.api.finish_check_run(self.run_id, conclusion, description, summary)
            return True
        except GitHubError as exc:
            click.echo(f"perfloop gate: error: cannot post the decision: {exc}", err=True)
            return False


def _online(
    root: Path, api: GitHub, number: int, post_status: bool, context: str, as_json: bool
) -> None:
    try:
        git = GitRepo(root)
        pull = api.pull(number)
        head_sha = pull["head"]["sha"]
        _read_head(git, head_sha)
    except GitHubError as exc:
        _fail(str(exc))
    except GitProblem as exc:
        # a push during this run (or a lagging ref): the run for the new head decides;
        # posting here could put a stale word on the commit that run already decided
        click.echo(f"perfloop gate: not deciding: {exc}", err=True)
        sys.exit(1)
    poster = Poster(api, head_sha, context, post_status)
    try:
        poster.start("checking approvals")
        default = api.default_branch(pull)
        tip = api.branch_tip(default)
        files = tuple(api.pull_files(number))
        review_list = api.pull_reviews(number)
        commit_list = api.pull_commits(number)
    except GitHubError as exc:
        poster.finish("error", "cannot read the pull request from GitHub")
        _fail(str(exc))
    try:
        result, decision = _decide(
            git, root, pull["base"]["ref"], default, tip, pull["user"]["login"], head_sha,
            review_list, files, lambda found, role: _by_payload(found, commit_list, role),
            "GitHub maps its author to no user",
        )  # fmt: skip
    except click.UsageError as exc:
        poster.finish("error", exc.message)
        _fail(exc.message)
    try:  # did anything the decision stands on move while it was made?
        now = api.pull(number)
        moved = now["head"]["sha"] != head_sha or now["base"]["ref"] != pull["base"]["ref"]
        moved = moved or api.branch_tip(default) != tip
    except GitHubError as exc:
        poster.finish("error", "cannot read the pull request from GitHub")
        _fail(str(exc))
    _report(result, decision, as_json)
    if moved:
        click.echo(
            "perfloop gate: not posting: the pull request or its base moved during this run; "
            "the run for the new state decides",
            err=True,
        )
        sys.exit(1)
    state = "success" if decision.ok else "failure"
    if not poster.finish(state, decision.summary(), _markdown(decision)):
        sys.exit(2)
    sys.exit(0 if decision.ok else 1)


def _base_moved(api: GitHub, post_status: bool, context: str) -> None:
    """The default branch moved: no open pull request keeps a decision made on the old tip.
    One that lacks the new tip fails until it is updated (its update re-decides); one that
    has it already (a rare fast-forward) waits for a re-run."""
    try:
        default = api.default_branch({})
        tip = api.branch_tip(default)
        pulls = api.open_pulls(default)
    except GitHubError as exc:
        _fail(str(exc))
    failed = False
    for pull in pulls:
        number, sha = pull.get("number"), (pull.get("head") or {}).get("sha")
        if not isinstance(number, int) or not isinstance(sha, str):
            continue
        try:
            behind = api.behind_by(tip, sha)
        except GitHubError as exc:
            click.echo(f"perfloop gate: error: #{number}: {exc}", err=True)
            failed = True
            behind = 1  # unknown: fail closed
        if behind:
            state = "failure"
            words = base_error(default, default, tip, False) or ""
            words = words.removeprefix(FORGE)
        else:
            state, words = "pending", f"{default} moved to {tip[:12]}: re-run the gate"
        print(f"#{number} {sha[:12]}: {state}: {safe_text(words)}")
        if not Poster(api, sha, context, post_status).finish(state, words):
            failed = True
    sys.exit(2 if failed else 0)


# --- the decision -------------------------------------------------------------------------


def _decide(
    git: GitRepo,
    root: Path,
    base_ref: str,
    default: str,
    tip: str,
    login: str,
    head: str,
    reviews: list,
    files: tuple[str, ...],
    map_logins: Any,
    mapped_by: str,
) -> tuple[CheckResult | None, Decision]:
    """The decision on `head` (checked out) against `tip`, the default branch now.

    The pull request's changes are judged against its author and, when someone else
    authored or committed a commit, against that person too (both sets of approvals are
    needed, and neither's review counts). A pull request the gate cannot read as what would merge
    fails on that alone: reading it anyway would list consequential errors."""
    problem = base_error(base_ref, default, tip, git.contains(head, tip))
    if problem is not None:
        return None, decide([], [problem], reviews, head, login, {})
    commits = [c for c in git.commits_between(tip, head) if not git.is_plain_merge(c)]
    logins = map_logins([(c.sha, c.email) for c in commits], "author")
    authors = [CommitAuthor(c.sha, f"{c.name} <{c.email}>", logins[c.sha]) for c in commits]
    # The committer made the commit as much as its author (and is whom a signature
    # verifies): another author, unless the same address or GitHub's own web-flow.
    committed = _committers(git, tip, head)
    by_others = [
        (c.sha, *committed[c.sha])
        for c in commits
        if c.sha in committed
        and committed[c.sha][1].lower() not in (c.email.lower(), WEB_FLOW_EMAIL)
    ]
    logins = map_logins([(sha, email) for sha, _, email in by_others], "committer")
    authors += [
        CommitAuthor(sha, f"{name} <{email}> (its committer)", logins[sha])
        for sha, name, email in by_others
        if logins[sha] != WEB_FLOW
    ]
    others, errors = other_authors(authors, login, mapped_by)
    try:
        result = run_check(root, tip, login, extra_paths=files)
        requirements = list(result.requirements)
        for other, shas in sorted(others.items()):
            theirs = run_check(root, tip, other, extra_paths=files, validate=False)
            commit = f"{shas[0][:12]}" + (f" and {len(shas) - 1} more" if len(shas) > 1 else "")
            errors += [f"{p.format()} (commit {commit} is {other}'s)" for p in theirs.errors]
            requirements += theirs.requirements
    except GitProblem as exc:
        raise click.UsageError(str(exc)) from None
    errors = [p.format() for p in result.errors] + errors
    decision = decide(
        merge(requirements), errors, reviews, head, login, result.people_by_login, others
    )
    return result, decision


def _run_url() -> str | None:
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def _report(result: CheckResult | None, decision: Decision, as_json: bool) -> None:
    if as_json:
        check = result.to_json() if result is not None else None
        print(json.dumps({**decision.to_json(), "check": check}, indent=2))
    else:
        # commit authors' names and the check's errors come from the pull request: safe_text
        print(f"gate {'passed' if decision.ok else 'failed'}: {safe_text(decision.summary())}")
        for error in decision.errors:
            if error != FORGE + decision.summary():  # the summary line said it already
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
