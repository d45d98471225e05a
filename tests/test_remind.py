"""`perfloop remind`: overdue work per department, posted as one issue per department (found
again by its marker and edited in place) and a Slack-compatible chat message, against
recorded GitHub payloads and a chat webhook on local HTTP servers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ruamel.yaml import YAML

from conftest import ROOT, run_cli
from github_server import REPO, FakeGitHub, Reply, serve
from perfloop.reminders import Digest, Item, chat_payload, issue_body

try:
    from perfloop.engine import load_cycle
except ImportError:  # before the engine's restructure (issue 22) lands
    from perfloop.repository import load_cycle  # type: ignore[attr-defined,no-redef]

CYCLE = "cycles/2026-h2"
ISSUES = f"/repos/{REPO}/issues"
HOOK = "/services/T000/B000/not-a-real-secret"
# A plan task title (goals are public, but come from a pull request) that tries to ping
# everyone and to plant links, in Markdown and in Slack's syntax.
HOSTILE_TASK = (
    "@everyone see [the fix](https://evil.example) <!channel> <https://evil.example|here>"
)


def reminded_repo(repo: Path) -> Path:
    """The base in execution, a plan task with a hostile title overdue, and a department
    name with chat markup in it."""
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: execution"))
    goals = repo / CYCLE / "goals" / "alice.yaml"
    goals.write_text(
        goals.read_text().replace(
            "standard: zero data loss}",
            "standard: zero data loss}\n"
            f"  - {{task: {json.dumps(HOSTILE_TASK)}, due: 2026-10-01}}",
        )
    )
    org = repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("name: Sales,", 'name: "Sales <!here> @channel",'))
    return repo


def routes() -> dict[str, list[Reply]]:
    return {
        f"GET {ISSUES}?per_page=100&state=all&labels=perfloop-reminders": [
            Reply(body="issues-reminders.json")
        ],
        f"POST {ISSUES}": [Reply(201, body="issue-created.json")],
        f"PATCH {ISSUES}/57": [Reply(200, text="{}")],
    }


def remind(repo: Path, github: FakeGitHub, hook: FakeGitHub | None, *extra: str):
    env = {"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": github.url}
    if hook is not None:
        env["PERFLOOP_CHAT_WEBHOOK"] = hook.url + HOOK
    args = ("remind", "--post", "--repo", REPO, "--today", "2026-10-05", *extra)
    return run_cli(*args, cwd=repo, env=env)


def test_one_issue_per_department_edited_in_place_and_a_chat_message(base_repo: Path) -> None:
    repo = reminded_repo(base_repo)
    with (
        serve(FakeGitHub({}, routes())) as github,
        serve(FakeGitHub({}, {f"POST {HOOK}": [Reply(200, text="ok")]})) as hook,
    ):
        done = remind(repo, github, hook)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [(m, p.split("?")[0]) for m, p, _, _ in github.requests]
    # platform's issue (#57, the bot's) is edited, never posted again; eng and sales get one
    # each: bob's issue copying sales's marker is not ours, nor is the pull request (#64)
    assert calls == [("GET", ISSUES), ("POST", ISSUES), ("PATCH", f"{ISSUES}/57"), ("POST", ISSUES)]
    posted = [body for m, _, _, body in github.requests if m in ("POST", "PATCH")]
    eng, platform, sales = posted
    assert eng["title"] == "Perfloop: overdue in eng" and eng["labels"] == ["perfloop-reminders"]
    assert eng["body"].startswith("<!-- perfloop-reminders: department=eng -->\n")
    assert "for @carold." in eng["body"]
    assert "- @carold: `no goals/carol.yaml` — due 2026-07-15, overdue by 82 day(s)" in eng["body"]
    assert platform["state"] == "open"
    assert platform["body"].startswith("<!-- perfloop-reminders: department=platform -->\n")
    body = platform["body"]
    assert "- @alicec: `check-in by alice (last check-in 2026-09-15, 20 days ago)`" in body
    assert "- @bobli: `check-in by bob (no check-in yet)` — due 2026-07-15" in body
    # the hostile title only ever inside a code span: no mention, no link, no markup
    assert f'- @alicec: `"{HOSTILE_TASK}" in goals/alice.yaml is not marked done`' in body
    assert "@everyone" not in body.replace(f'`"{HOSTILE_TASK}', "")
    assert "**`Sales <!here> @channel`** (sales)" in sales["body"]
    # nothing confidential: no rating, score or review text reaches the forge or the chat
    reviews = sorted((base_repo / CYCLE / "reviews").rglob("*.yaml"))
    secrets = ["ratings", "rating", "score", "Alice carried the checkout reliability work"]
    secrets += [line for r in reviews for line in r.read_text().splitlines() if "comments" in line]
    chat = [body for m, p, _, body in hook.requests if m == "POST"]
    assert len(chat) == 1 and set(chat[0]) == {"text", "mrkdwn"}
    shown = json.dumps(posted) + json.dumps(chat)
    for secret in secrets:
        assert secret.split(": ", 1)[-1] not in shown, secret
    text = chat[0]["text"]
    assert text.startswith("Perfloop: overdue in cycle 2026-h2 as of 2026-10-05\n")
    assert "*Sales &lt;!here&gt; @\u200bchannel* (sales): " in text
    assert "<!" not in text and "<http" not in text and "@everyone" not in text
    assert "&lt;https://evil.example|here&gt;" in text
    assert "opened issue #70" in done.stdout and "platform: updated issue #57" in done.stdout


def test_a_second_run_edits_the_same_issues_and_posts_none(base_repo: Path) -> None:
    repo = reminded_repo(base_repo)
    with serve(FakeGitHub({}, routes())) as github:
        assert remind(repo, github, None).returncode == 0
    bodies = {b["title"]: b["body"] for m, _, _, b in github.requests if m == "POST"}
    assert set(bodies) == {"Perfloop: overdue in eng", "Perfloop: overdue in sales"}
    # the forge now lists the issues the first run opened, as the bot's
    recorded = json.loads(
        (Path(__file__).parent / "data" / "github" / "issues-reminders.json").read_text()
    )
    bot = recorded[0]["user"]
    listed = [
        {**recorded[0], "number": 70 + i, "title": title, "body": body, "user": bot}
        for i, (title, body) in enumerate(sorted(bodies.items()))
    ] + recorded
    second = routes()
    second[f"GET {ISSUES}?per_page=100&state=all&labels=perfloop-reminders"] = [
        Reply(text=json.dumps(listed))
    ]
    second[f"PATCH {ISSUES}/57"] = [Reply(200, text="{}")]
    with serve(FakeGitHub({}, second)) as github:
        done = remind(repo, github, None)
    assert done.returncode == 0, done.stderr
    methods = [m for m, _, _, _ in github.requests]
    assert "POST" not in methods  # never posted again
    assert "eng: issue #70 is up to date" in done.stdout
    assert "sales: issue #71 is up to date" in done.stdout


def test_a_department_that_caught_up_has_its_issue_edited_to_say_so(base_repo: Path) -> None:
    """Platform's issue stays (edited: nothing overdue) when platform owes nothing late."""
    repo = base_repo
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: execution"))
    with serve(FakeGitHub({}, routes())) as github:
        done = run_cli(
            "remind", "--post", "--repo", REPO, "--today", "2026-07-10", cwd=repo,
            env={"GITHUB_TOKEN": "t0ken", "GITHUB_API_URL": github.url},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    edits = [(p, b) for m, p, _, b in github.requests if m == "PATCH"]
    assert [p for p, _ in edits] == [f"{ISSUES}/57"]
    assert "Nothing is overdue." in edits[0][1]["body"]
    assert not [m for m, _, _, _ in github.requests if m == "POST"]


def test_failures_are_plain_errors_and_never_show_the_webhook(base_repo: Path) -> None:
    repo = reminded_repo(base_repo)
    with (
        serve(FakeGitHub({}, routes())) as github,
        serve(FakeGitHub({}, {f"POST {HOOK}": [Reply(500, text="{}")]})) as hook,
    ):
        done = remind(repo, github, hook)
    assert done.returncode == 1
    assert "perfloop remind: error: the chat webhook answered HTTP 500" in done.stderr
    assert HOOK not in done.stdout + done.stderr and "Traceback" not in done.stderr
    no_token = run_cli("remind", "--post", "--repo", REPO, cwd=repo)
    assert no_token.returncode == 2 and "GITHUB_TOKEN is needed" in no_token.stderr
    with serve(FakeGitHub({}, {})) as github:  # the issues list answers 404
        done = remind(repo, github, None)
    assert done.returncode == 1 and "GitHub answered HTTP 404" in done.stderr


def test_without_post_it_prints_what_it_would_post(base_repo: Path) -> None:
    repo = reminded_repo(base_repo)
    done = run_cli("remind", "--today", "2026-10-05", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    depts = {d["department"]: d for d in out["departments"]}
    assert set(depts) == {"eng", "platform", "sales"}
    whats = {i["what"] for i in depts["platform"]["items"]}
    assert whats == {"goals", "check-in", "plan task"}
    assert depts["platform"]["head_login"] == "davek"


def test_the_scheduled_workflow_posts_with_the_issues_permission_only() -> None:
    flow = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "reminders.yml").read_text())
    assert set(flow["on"]) == {"schedule", "workflow_dispatch"}
    assert flow["permissions"] == {"contents": "read", "issues": "write"}
    step = flow["jobs"]["remind"]["steps"][-1]
    assert step["run"] == "perfloop remind --post"
    assert step["env"]["PERFLOOP_CHAT_WEBHOOK"] == "${{ secrets.PERFLOOP_CHAT_WEBHOOK }}"


def test_a_long_list_fits_an_issue_and_a_chat_message(base_repo: Path) -> None:
    """A department with thousands of overdue items still makes an issue GitHub accepts
    (at most 65,536 characters) and a short chat message: the rest is counted."""
    data, _ = load_cycle(base_repo, "2026-h2")
    assert data is not None
    item = Item(("alice",), ("alicec",), "review", "peer review of bob by alice", None, 3)
    digest = Digest("platform", "Platform", "dave", "davek", (item,) * 3000)
    body = issue_body(data, digest, dt.date(2026, 12, 15))
    assert len(body) < 65_536 and body.endswith("Run `perfloop status` for everything owed._\n")
    assert "- … and 2600 more\n" in body
    chat = chat_payload(data, [digest], dt.date(2026, 12, 15))["text"]
    assert chat.count("peer review of bob by alice") == 10
    assert chat.endswith("• … and 2990 more (see the issue)")
