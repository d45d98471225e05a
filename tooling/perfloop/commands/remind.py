"""`perfloop remind`: tell each department's head what is overdue (an issue per department,
edited in place) and, optionally, a chat channel (a Slack-compatible webhook)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.request

import click

from .. import jsontext
from ..github import GitHub, GitHubError
from ..model import CycleData
from ..reminders import LABEL, Digest, chat_payload, digests, issue_body, login_of
from ..status import owed
from .context import cycle_option, json_option, load_readable, repository_root, today_option

WEBHOOK = "PERFLOOP_CHAT_WEBHOOK"


@click.command()
@cycle_option
@today_option
@click.option(
    "--post",
    is_flag=True,
    help="Post: one issue per department (found again by its marker and edited, never "
    f"posted twice; needs GITHUB_TOKEN), and a chat message when ${WEBHOOK} is set.",
)
@click.option("--repo", metavar="OWNER/NAME", help="Default: $GITHUB_REPOSITORY.")
@json_option
def command(
    cycle_id: str | None,
    today: dt.datetime | None,
    post: bool,
    repo: str | None,
    as_json: bool,
) -> None:
    """Who owes what that is overdue, per department, for its head: reviews, check-ins,
    plan tasks, goals and other files, with owners by their GitHub login. Nothing
    confidential: no score, rating or review text. Without --post, prints what it would
    post."""
    loaded = load_readable(repository_root(), cycle_id)
    data = loaded.data
    day = today.date() if today else dt.date.today()
    found = digests(data, owed(data, day))
    if post:
        _post(data, found, day, repo)
    if as_json:
        out = {
            "cycle": data.id,
            "today": day.isoformat(),
            "departments": [d.to_json() for d in found],
        }
        click.echo(jsontext.dumps(out))
    elif not post:
        for digest in found:
            click.echo(f"--- {digest.title}")
            click.echo(issue_body(data, digest, day))
        if not found:
            click.echo(f"Nothing is overdue in cycle {data.id} as of {day.isoformat()}.")
    loaded.finish()


def _post(data: CycleData, found: list[Digest], day: dt.date, repo: str | None) -> None:
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    token = os.environ.get("GITHUB_TOKEN")
    if not repo:
        raise click.UsageError("--repo OWNER/NAME or $GITHUB_REPOSITORY is needed with --post")
    if not token:
        raise click.UsageError("GITHUB_TOKEN is needed with --post")
    try:
        api = GitHub(repo, token)
        done = post_issues(api, data, found, day)
    except GitHubError as exc:
        click.echo(f"perfloop remind: error: {exc}", err=True)
        sys.exit(1)
    for line in done:
        click.echo(line)
    url = os.environ.get(WEBHOOK)
    if url:
        problem = post_chat(url, chat_payload(data, found, day))
        if problem:
            click.echo(f"perfloop remind: error: {problem}", err=True)
            sys.exit(1)
        click.echo("chat: message sent")


def post_issues(api: GitHub, data: CycleData, found: list[Digest], day: dt.date) -> list[str]:
    """Create or edit one issue per department with anything overdue; edit a department's
    earlier issue to say nothing is overdue once it has caught up. Only issues a bot
    opened count as ours: a person's issue that copies the marker is never edited."""
    ours: dict[str, dict] = {}
    for issue in api.labelled_issues(LABEL):
        body = issue.get("body") or ""
        bot = (issue.get("user") or {}).get("type") == "Bot"
        if not bot or not isinstance(issue.get("number"), int):
            continue
        for line in body.splitlines()[:1]:
            ours.setdefault(line.strip(), issue)
    done = []
    wanted = {d.marker: d for d in found}
    for digest in found:
        body = issue_body(data, digest, day)
        earlier = ours.get(digest.marker)
        if earlier is None:
            number = api.create_issue(digest.title, body, [LABEL])
            done.append(f"{digest.department}: opened issue #{number}")
        elif earlier.get("body") != body or earlier.get("state") != "open":
            api.update_issue(earlier["number"], title=digest.title, body=body, state="open")
            done.append(f"{digest.department}: updated issue #{earlier['number']}")
        else:
            done.append(f"{digest.department}: issue #{earlier['number']} is up to date")
    for marker, issue in ours.items():
        if marker in wanted or issue.get("state") != "open":
            continue
        dept = marker.removeprefix(f"<!-- {LABEL}: department=").removesuffix(" -->")
        found_dept = data.org.departments.get(dept)
        head = found_dept.head if found_dept else None
        name = found_dept.name if found_dept else dept
        caught_up = Digest(dept, name, head, login_of(data, head), ())
        body = issue_body(data, caught_up, day)
        if issue.get("body") != body:
            api.update_issue(issue["number"], body=body)
            done.append(f"{dept}: updated issue #{issue['number']} (nothing overdue)")
    return done


def post_chat(url: str, payload: dict) -> str | None:
    """POST the payload to the webhook; a problem in words (never the URL: it is a secret),
    or None."""
    if not url.startswith(("https://", "http://")):
        return f"${WEBHOOK} is not an http(s) URL"
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "perfloop"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        return f"the chat webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"cannot reach the chat webhook: {type(exc).__name__}"
    return None
