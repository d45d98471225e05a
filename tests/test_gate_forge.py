"""The approval gate on a real forge (issue 21; SPEC §5 "What the approval gate must hold"):
the base is the default branch as it is now, the gate decides on exactly the commit it
posts for, every commit is the author's (or is judged against its own author too), and the
decision can be posted where no branch can forge it.

Real git repositories in tmp_path, the real CLI, GitHub's answers recorded in
tests/data/github and served by tests/github_server.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import git

from conftest import run_cli
from github_server import PAYLOADS, REPO, FakeGitHub, Reply, serve, standard_routes
from test_check import ALICE, CYCLE, KR1, edit, make_repo
from test_gate import DAVE, committed_by, pull_request, reviews_file

ALICE_ID = "Alice Chen <alice@example.com>"
BOB_ID = "Bob Li <bob@example.com>"
HENRY_ID = "Henry Park <henry@example.com>"
PULL = f"GET /repos/{REPO}/pulls/42"
CYCLE_FILE = f"{CYCLE}/cycle.yaml"
BOBS_REVIEW = f"{CYCLE}/reviews/alice/bob.yaml"


def commit(repo: git.Repo, message: str, author: str) -> str:
    repo.git.add("-A")
    repo.git.commit("-m", message, "--author", author, env=committed_by(author))
    return repo.head.commit.hexsha


def gate(repo: git.Repo, author: str, *extra: str, base: str = "main", reviews=None):
    """The offline gate on the checked-out head, with no reviews unless given."""
    root = Path(repo.working_tree_dir)
    if reviews is None:
        reviews = root.parent / "no-reviews.json"
        reviews.write_text("[]")
    head = repo.head.commit.hexsha
    args = ["--base", base, "--author", author, "--head", head, "--reviews", str(reviews)]
    result = run_cli("gate", *args, *extra, "--json", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def decided(result) -> dict:
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def approvals(tmp_path: Path, head: str, *logins: str) -> Path:
    file = tmp_path / "approvals.json"
    reviews = [
        {"user": {"login": login}, "state": "APPROVED", "commit_id": head,
         "submitted_at": f"2026-10-01T10:0{i}:00Z"}
        for i, login in enumerate(logins)
    ]  # fmt: skip
    file.write_text(json.dumps(reviews))
    return file


# --- 1. the base is the default branch, as it is now ----------------------------------------


def test_a_pull_request_into_a_side_branch_that_makes_its_author_hr_fails(tmp_path: Path) -> None:
    """Anyone can push a branch whose org.yaml makes them HR and whose cycle.yaml needs no
    approval for cycle changes; a pull request into that branch must not pass."""
    repo = make_repo(tmp_path, "execution")
    repo.git.checkout("-b", "x", "main")
    edit(repo, f"{CYCLE}/org.yaml", "roles: {hr: [henry]", "roles: {hr: [henry, bob]")
    edit(repo, CYCLE_FILE, "  cycle: [hr]", "  cycle: []")
    commit(repo, "x: bob is HR here", BOB_ID)
    repo.git.checkout("-b", "bob/deadlines")
    edit(repo, CYCLE_FILE, "review: 2026-12-10", "review: 2026-12-12")
    commit(repo, "later review deadline", BOB_ID)
    out = decided(result := gate(repo, "bobli", base="x"))
    assert result.returncode == 1
    assert out["ok"] is False
    assert out["summary"] == (
        "it targets x, not the default branch main: only a pull request into main can pass"
    )
    assert out["check"] is None  # nothing judged against the side branch's rules


def test_the_default_branch_can_be_named(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    repo.git.branch("trunk", "main")
    reviews = reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json")
    out = decided(gate(repo, "davek", "--default-branch", "trunk", base="trunk", reviews=reviews))
    assert out["ok"] is True, out
    repo.git.branch("-f", "trunk", subs["__HEAD_SHA__"])  # trunk moved on; main did not
    out = decided(gate(repo, "davek", "--default-branch", "trunk", reviews=reviews))
    assert out["summary"].startswith("it targets main, not the default branch trunk")


def stale_checkin(tmp_path: Path) -> tuple[git.Repo, str]:
    """Alice's check-in, opened in execution; then HR moves main to calibration."""
    repo = make_repo(tmp_path, "execution")
    recorded_base = repo.commit("main").hexsha
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.95, current: 99.9")
    commit(repo, "alice: check-in", ALICE_ID)
    repo.git.checkout("main")
    edit(repo, CYCLE_FILE, "phase: execution", "phase: calibration")
    commit(repo, "calibration starts", HENRY_ID)
    repo.git.checkout("pr")
    return repo, recorded_base


def test_a_checkin_decided_in_execution_fails_once_main_moved_to_calibration(
    tmp_path: Path,
) -> None:
    repo, recorded_base = stale_checkin(tmp_path)
    # the base the pull request recorded when it was opened is not main as it is now
    out = decided(gate(repo, "alicec", base=recorded_base))
    assert out["ok"] is False
    assert out["summary"].startswith(f"it targets {recorded_base}, not the default branch main")
    # main as it is now: the pull request lacks its tip, so it was not read as what merges
    tip = repo.commit("main").hexsha
    out = decided(gate(repo, "alicec"))
    assert out["ok"] is False
    assert out["summary"] == (
        f"it lacks the latest commit of main ({tip[:12]}): update the branch, and the gate "
        "decides again on what would merge"
    )
    # updated, it is decided in the phase main is in now
    repo.git.merge("main", "--no-edit", env={"GIT_AUTHOR_NAME": "Alice Chen",
                                            "GIT_AUTHOR_EMAIL": "alice@example.com"})  # fmt: skip
    out = decided(gate(repo, "alicec"))
    assert out["ok"] is False
    assert any("calibration" in e for e in out["errors"]), out["errors"]


def test_online_the_tip_of_the_default_branch_is_the_base_not_the_recorded_one(
    tmp_path: Path,
) -> None:
    repo, recorded_base = stale_checkin(tmp_path)
    subs = {
        "__HEAD_SHA__": repo.head.commit.hexsha,
        "__BASE_SHA__": recorded_base,  # pull.json's base.sha: what GitHub recorded
        "__TIP_SHA__": repo.commit("main").hexsha,
        "__OLD_SHA__": recorded_base,
    }
    routes = standard_routes()
    routes[PULL] = [Reply(text=(PAYLOADS / "pull.json").read_text().replace("davek", "alicec"))]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 1, result.stdout + result.stderr
    assert statuses(fake) == [("pending", None), ("failure", "it lacks the latest commit of "
                              f"main ({subs['__TIP_SHA__'][:12]}): update the branch, and "
                              "the gate decides again on what would merge")]  # fmt: skip


def test_online_a_pull_request_retargeted_away_from_the_default_branch_fails(
    tmp_path: Path,
) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    text = (PAYLOADS / "pull.json").read_text().replace('"ref": "main"', '"ref": "x"')
    routes[PULL] = [Reply(text=text)]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 1
    assert "gate failed: it targets x, not the default branch main" in result.stdout
    assert statuses(fake)[-1][0] == "failure"


def test_a_push_to_the_default_branch_re_decides_every_open_pull_request(tmp_path: Path) -> None:
    """#42 lacks main's new tip: it fails until updated (the update re-runs the gate); #43
    has it already (a fast-forward), so it waits for a re-run rather than keep a pass."""
    subs = {
        "__HEAD_SHA__": "a" * 40,
        "__OTHER_SHA__": "b" * 40,
        "__TIP_SHA__": "c" * 40,
        "__BASE_SHA__": "d" * 40,
    }
    routes = {
        f"GET /repos/{REPO}": [Reply(body="repo.json")],
        f"GET /repos/{REPO}/branches/main": [Reply(body="branch-main.json")],
        f"GET /repos/{REPO}/pulls?per_page=100&state=open&base=main": [
            Reply(body="pulls-open.json")
        ],
        f"GET /repos/{REPO}/compare/__TIP_SHA__...__HEAD_SHA__": [
            Reply(body="compare-behind.json")
        ],
        f"GET /repos/{REPO}/compare/__TIP_SHA__...__OTHER_SHA__": [
            Reply(body="compare-ahead.json")
        ],
        f"POST /repos/{REPO}/statuses/__HEAD_SHA__": [Reply(201)],
        f"POST /repos/{REPO}/statuses/__OTHER_SHA__": [Reply(201)],
    }
    with serve(FakeGitHub(subs, routes)) as fake:
        result = run_cli(
            "gate",
            "--base-moved",
            "--post-status",
            cwd=tmp_path,
            env=env_for(fake, GITHUB_TOKEN="t0ken"),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    posted = [(p.rsplit("/", 1)[-1][:1], b["state"]) for m, p, _, b in fake.requests if m == "POST"]
    assert posted == [("a", "failure"), ("b", "pending")]
    assert "#42 aaaaaaaaaaaa: failure: it lacks the latest commit of main" in result.stdout


# --- 2. the commit it reads is the commit it posts on ----------------------------------------


def test_online_a_checkout_that_is_not_the_head_posts_nothing(tmp_path: Path) -> None:
    """The run checked out the check-in commit; the pull request's head is now a target
    change. Deciding on the tree it read and posting on the head is what let it through."""
    repo, subs = pull_request(tmp_path)
    repo.git.checkout(subs["__OLD_SHA__"])  # the tree read is not the head's
    with serve(FakeGitHub(subs, standard_routes())) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 1
    assert "not deciding: the checkout is" in result.stderr
    assert statuses(fake) == []


def test_online_a_push_during_the_run_posts_no_decision(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    moved = (PAYLOADS / "pull.json").read_text().replace("__HEAD_SHA__", "e" * 40)
    routes[PULL] = [Reply(body="pull.json"), Reply(text=moved)]  # the second read: moved
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 1
    assert "not posting: the pull request or its base moved during this run" in result.stderr
    assert [s for s, _ in statuses(fake)] == ["pending"]


def test_offline_a_dirty_or_other_checkout_is_a_usage_error(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    reviews = reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json")
    edit(repo, f"{CYCLE}/goals/bob.yaml", "current: 10", "current: 11")
    result = gate(repo, "davek", reviews=reviews)
    assert result.returncode == 2
    assert "the working tree differs from its commit" in result.stderr
    repo.git.checkout("--", ".")
    args = ["--author", "davek", "--head", subs["__OLD_SHA__"], "--reviews", str(reviews)]
    result = run_cli("gate", "--base", "main", *args, cwd=repo.working_tree_dir)
    assert result.returncode == 2
    assert "the gate reads only the commit it decides on" in result.stderr


# --- 4. someone else's commits --------------------------------------------------------------


def peer_review_with_alices_commit(tmp_path: Path) -> git.Repo:
    """Bob's pull request with his peer review of Alice, and Alice's commit rewriting it."""
    repo = make_repo(tmp_path, "review")
    edit(repo, BOBS_REVIEW, "impact: 5, collaboration: 4", "impact: 4, collaboration: 4")
    commit(repo, "bob: peer review of alice", BOB_ID)
    edit(repo, BOBS_REVIEW, "impact: 4, collaboration: 4", "impact: 5, collaboration: 5")
    commit(repo, "better", ALICE_ID)
    return repo


def test_someone_elses_commit_is_judged_against_its_own_author(tmp_path: Path) -> None:
    repo = peer_review_with_alices_commit(tmp_path)
    alices = repo.head.commit.hexsha
    out = decided(gate(repo, "bobli"))
    assert out["ok"] is False
    assert [e for e in out["errors"] if "alice may not make this change" in e] == [
        f"{BOBS_REVIEW}:1:1: error: alice may not make this change: only the reviewer (bob) "
        f"may (commit {alices[:12]} is alicec's)"
    ], out["errors"]


def test_commit_authors_from_githubs_answer(tmp_path: Path) -> None:
    """--commits: GitHub's mapping wins over emails (here GitHub maps both to bob)."""
    repo = peer_review_with_alices_commit(tmp_path)
    shas = [c.hexsha for c in repo.iter_commits("main..HEAD")]
    payload = [{"sha": s, "author": {"login": "bobli"}, "commit": {}} for s in shas]
    file = tmp_path / "commits.json"
    file.write_text(json.dumps(payload))
    assert decided(gate(repo, "bobli", "--commits", str(file)))["ok"] is True
    payload[0]["author"] = None  # an email on no GitHub account
    file.write_text(json.dumps(payload))
    out = decided(gate(repo, "bobli", "--commits", str(file)))
    assert out["summary"] == (
        f"commit {shas[0][:12]} by Alice Chen <alice@example.com> maps to no GitHub user "
        f"(GitHub's answer in {file} maps it to no user): every commit must be by a known "
        "person"
    )


def test_a_commit_whose_email_is_nobodys_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "review")
    edit(repo, BOBS_REVIEW, "impact: 5, collaboration: 4", "impact: 4, collaboration: 4")
    sha = commit(repo, "bob: peer review of alice", "Bob Li <bob@laptop.local>")
    out = decided(gate(repo, "bobli"))
    assert out["ok"] is False
    assert (
        f"commit {sha[:12]} by Bob Li <bob@laptop.local> maps to no GitHub user" in (out["summary"])
    )


def test_a_coauthor_may_make_the_change_but_cannot_approve_it(tmp_path: Path) -> None:
    """Dave's commit in Alice's planning pull request: he may edit her goals (her manager),
    and carol approves for him, but Alice's part needs her manager, and he cannot approve a
    change he made: the gate says so rather than wait for him."""
    repo = make_repo(tmp_path, "planning")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    commit(repo, "alice: goals", ALICE_ID)
    edit(repo, ALICE, "target: 99.99", "target: 99.98")
    head = commit(repo, "dave: a little less", DAVE)
    out = decided(gate(repo, "alicec", reviews=approvals(tmp_path, head, "davek", "carold")))
    assert out["ok"] is False, out
    assert "davek authored a commit here; their review does not count" in out["notes"]
    assert sorted(p for r in out["requirements"] for p in r["any_of"]) == ["alice", "carol", "dave"]
    # and alice, whose plan dave changed, cannot approve his commit in her own pull request
    assert out["errors"] == [
        f"pull request: {who} must approve it but made a commit in it, and nobody approves "
        "their own change: move their commits to a pull request of their own"
        for who in ("dave", "alice")
    ]


def test_a_plain_merge_of_main_by_someone_else_counts_as_nobodys(tmp_path: Path) -> None:
    """Carol presses "Update branch" on Dave's pull request: her merge commit adds nothing
    of its own, so it neither needs judging nor stops her approval from counting."""
    repo, _ = pull_request(tmp_path)
    repo.git.checkout("main")
    (Path(repo.working_tree_dir) / "README.md").write_text("Northwind performance\n")
    commit(repo, "readme", HENRY_ID)
    repo.git.checkout("pr")
    carol = {"GIT_AUTHOR_NAME": "Carol Diaz", "GIT_AUTHOR_EMAIL": "carol@example.com"}
    carol.update(committed_by("Carol Diaz <carol@example.com>"))
    repo.git.merge("main", "--no-edit", env=carol)
    head = repo.head.commit.hexsha
    out = decided(gate(repo, "davek", reviews=approvals(tmp_path, head, "carold", "alicec")))
    assert out["ok"] is True, out


def test_online_a_commit_github_maps_to_someone_else_fails(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    routes[f"{PULL}/commits?per_page=100"] = [Reply(body="commits-someone-else.json")]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status", "--json")
    assert result.returncode == 1, result.stderr
    errors = json.loads(result.stdout)["errors"]
    old = subs["__OLD_SHA__"][:12]
    assert any(e.endswith(f"(commit {old} is alicec's)") and "alice may not" in e for e in errors)
    assert statuses(fake)[-1][0] == "failure"


def test_online_an_unmapped_commit_fails_closed(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    routes[f"{PULL}/commits?per_page=100"] = [Reply(body="commits-unmapped.json")]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake)
    assert result.returncode == 1
    assert "maps to no GitHub user (GitHub maps its author to no user)" in result.stdout


# --- the committer is an author too (a signature verifies the committer, not the author) ---


def test_a_commit_authored_as_the_author_but_committed_by_someone_else_fails(
    tmp_path: Path,
) -> None:
    """Alice pushes to Bob's pull request a commit authored "Bob Li" but committed (and
    signed) by herself: she made it, so it is judged as hers too."""
    repo = make_repo(tmp_path, "review")
    edit(repo, BOBS_REVIEW, "impact: 5, collaboration: 4", "impact: 4, collaboration: 4")
    commit(repo, "bob: peer review of alice", BOB_ID)
    edit(repo, BOBS_REVIEW, "impact: 4, collaboration: 4", "impact: 5, collaboration: 5")
    repo.git.commit("-am", "better", "--author", BOB_ID, env=committed_by(ALICE_ID))
    alices = repo.head.commit.hexsha
    out = decided(gate(repo, "bobli"))
    assert out["ok"] is False
    assert (
        f"{BOBS_REVIEW}:1:1: error: alice may not make this change: only the reviewer (bob) "
        f"may (commit {alices[:12]} is alicec's)"
    ) in out["errors"]


def committed_by_others(tmp_path: Path, first: str) -> tuple[git.Repo, dict[str, str]]:
    """Dave's pull request (tests/test_gate.py's), its first commit committed by `first`,
    its second by GitHub (web-flow: an edit on github.com), as the recorded answer says."""
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    repo.git.commit("-am", "alice: raise the target", "--author", DAVE, env=committed_by(first))
    old = repo.head.commit.hexsha
    edit(repo, f"{CYCLE}/goals/bob.yaml", "target: 12, current: 9", "target: 12, current: 10")
    web = committed_by("GitHub <noreply@github.com>")
    repo.git.commit("-am", "bob: September check-in", "--author", DAVE, env=web)
    subs = {
        "__HEAD_SHA__": repo.head.commit.hexsha,
        "__BASE_SHA__": repo.commit("main").hexsha,
        "__OLD_SHA__": old,
    }
    return repo, subs


def test_online_a_commit_committed_by_someone_else_fails(tmp_path: Path) -> None:
    repo, subs = committed_by_others(tmp_path, ALICE_ID)
    routes = standard_routes()
    routes[f"{PULL}/commits?per_page=100"] = [Reply(body="commits-committed-by-someone-else.json")]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status", "--json")
    assert result.returncode == 1, result.stderr
    out = json.loads(result.stdout)
    assert "alicec authored a commit here; their review does not count" in out["notes"]
    assert statuses(fake)[-1][0] == "failure"


def test_online_githubs_web_flow_committer_is_nobody_more(tmp_path: Path) -> None:
    """GitHub commits web edits and merges as web-flow: not another author."""
    repo, subs = committed_by_others(tmp_path, DAVE)
    payload = json.loads((PAYLOADS / "commits-committed-by-someone-else.json").read_text())
    payload[0]["committer"] = payload[1]["committer"]  # web-flow
    payload[0]["commit"]["committer"] = payload[1]["commit"]["committer"]
    routes = standard_routes()
    routes[f"{PULL}/commits?per_page=100"] = [Reply(text=json.dumps(payload))]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(fake)[-1] == ("success", "approved by carol, alice")


# --- 9. a decision no branch can forge --------------------------------------------------------


def env_for(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    return {"GITHUB_API_URL": fake.url, "GITHUB_REPOSITORY": REPO, **extra}


def online(repo: git.Repo, fake: FakeGitHub, *args: str, **env: str):
    env = env_for(fake, **(env or {"GITHUB_TOKEN": "t0ken"}))
    return run_cli("gate", "--pr", "42", *args, cwd=repo.working_tree_dir, env=env)


def statuses(fake: FakeGitHub) -> list[tuple[str, str | None]]:
    return [
        (body["state"], body.get("description") if body["state"] != "pending" else None)
        for m, path, _, body in fake.requests
        if m == "POST" and "/statuses/" in path
    ]


def test_with_the_app_token_the_decision_is_a_check_run(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    routes[f"POST /repos/{REPO}/check-runs"] = [Reply(201, body="check-run.json")]
    routes[f"PATCH /repos/{REPO}/check-runs/24300000042"] = [Reply(200, body="check-run.json")]
    summary = tmp_path / "summary.md"
    env = {"PERFLOOP_APP_TOKEN": "ghs_app", "GITHUB_TOKEN": "t0ken", "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary)}  # fmt: skip
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [(m, p.split("?")[0].removeprefix(f"/repos/{REPO}/")) for m, p, _, _ in fake.requests]
    assert ("POST", "check-runs") in calls and ("PATCH", "check-runs/24300000042") in calls
    assert statuses(fake) == []  # no commit status, which any workflow could post
    start = next(b for m, p, _, b in fake.requests if m == "POST")
    assert start == {"name": "perfloop/approval", "head_sha": subs["__HEAD_SHA__"],
                     "status": "in_progress"}  # fmt: skip
    done = next(b for m, _, _, b in fake.requests if m == "PATCH")
    assert (done["conclusion"], done["output"]["title"]) == ("success", "approved by carol, alice")
    tokens = {h.get("Authorization") for _, _, h, _ in fake.requests}
    assert tokens == {"Bearer ghs_app"}
    assert "GITHUB_TOKEN" not in result.stderr and "GITHUB_TOKEN" not in summary.read_text()


def test_with_the_default_token_the_gate_says_it_is_forgeable(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_TOKEN": "t0ken", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    with serve(FakeGitHub(subs, standard_routes())) as fake:
        result = online(repo, fake, "--post-status", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    warning = "the gate runs with the workflow's GITHUB_TOKEN, so any workflow on a pull"
    assert f"perfloop gate: warning: {warning}" in result.stderr
    assert warning in summary.read_text()
    assert [s for s, _ in statuses(fake)] == ["pending", "success"]
