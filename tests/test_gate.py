"""`perfloop gate`: offline from a reviews file, and online against a local GitHub stand-in.

The pull request: dave raises alice's target (a goal adjustment: manager and skip level;
dave is the manager and the author, so carol, the skip level, stands in; alice signs the
plan her manager changed) and records bob's check-in (no approval). So carol and alice must
approve the head commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from conftest import run_cli
from github_server import PAYLOADS, REPO, FakeGitHub, Reply, serve, standard_routes
from test_check import ALICE, CYCLE, KR1, edit, make_repo

DAVE = "Dave Kim <dave@example.com>"  # org.yaml's email for davek: the commits are his


def committed_by(who: str) -> dict[str, str]:
    """Git's environment for a commit `who` ("Name <email>") makes: its committer too (the
    gate counts the committer as another author)."""
    name, email = who.removesuffix(">").split(" <")
    return {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}


def pull_request(tmp_path: Path) -> tuple[git.Repo, dict[str, str]]:
    repo = make_repo(tmp_path, "execution")
    edit(repo, ALICE, KR1, "start: 99.5, target: 99.99, current: 99.8")
    repo.git.commit("-am", "alice: raise the target", "--author", DAVE, env=committed_by(DAVE))
    old = repo.head.commit.hexsha
    edit(repo, f"{CYCLE}/goals/bob.yaml", "target: 12, current: 9", "target: 12, current: 10")
    repo.git.commit("-am", "bob: September check-in", "--author", DAVE, env=committed_by(DAVE))
    subs = {
        "__HEAD_SHA__": repo.head.commit.hexsha,
        "__BASE_SHA__": repo.commit("main").hexsha,
        "__OLD_SHA__": old,
    }
    return repo, subs


def reviews_file(tmp_path: Path, subs: dict[str, str], *pages: str, keep=None) -> Path:
    reviews = [r for page in pages for r in json.loads((PAYLOADS / page).read_text())]
    if keep is not None:
        reviews = [r for i, r in enumerate(reviews) if i in keep]
    text = json.dumps(reviews)
    for key, value in subs.items():
        text = text.replace(key, value)
    path = tmp_path / "reviews.json"
    path.write_text(text)
    return path


def offline(repo: git.Repo, subs: dict[str, str], reviews: Path, author: str = "davek"):
    result = run_cli(
        "gate",
        "--base",
        "main",
        "--author",
        author,
        "--head",
        subs["__HEAD_SHA__"],
        "--reviews",
        str(reviews),
        "--json",
        cwd=repo.working_tree_dir,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_latest_approval_on_the_head_passes(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    code, out = offline(
        repo, subs, reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json")
    )
    assert code == 0, out
    assert out["ok"] is True
    assert [(r["any_of"], r["approved_by"]) for r in out["requirements"]] == [
        (["carol"], "carol"),
        (["alice"], "alice"),
    ]
    assert out["blocking"] == []
    assert "davek is the author; their review does not count" in out["notes"]


def test_a_request_for_changes_from_a_required_approver_blocks(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    # page 1 only: carol's latest review requests changes; alice's approval is not needed
    code, out = offline(repo, subs, reviews_file(tmp_path, subs, "reviews-1.json"))
    assert code == 1
    assert out["blocking"] == ["carol"]
    assert out["summary"] == "changes requested by carol"


def test_an_approval_on_an_older_commit_does_not_count(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    reviews = reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json", keep={4, 5})
    text = reviews.read_text().replace(subs["__HEAD_SHA__"], subs["__OLD_SHA__"])
    reviews.write_text(text)
    code, out = offline(repo, subs, reviews)
    assert code == 1
    assert out["stale_approvals"] == ["carol", "alice"]
    assert out["requirements"][0]["approved_by"] is None
    assert out["summary"] == "waiting for carol; alice"


def test_the_authors_own_approval_never_counts(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    # only dave's reviews: he is the author (and the manager the rules would have asked)
    code, out = offline(
        repo, subs, reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json", keep={2, 3, 5})
    )
    assert code == 1
    assert out["summary"] == "waiting for carol"


def test_a_dismissed_approval_no_longer_counts(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    reviews = reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json", keep={4, 5})
    data = json.loads(reviews.read_text())
    data[0]["state"] = "DISMISSED"
    reviews.write_text(json.dumps(data))
    code, out = offline(repo, subs, reviews)
    assert code == 1
    assert out["summary"] == "waiting for carol"


def test_a_change_the_author_may_not_make_fails_whatever_the_reviews(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    code, out = offline(
        repo, subs, reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json"), author="bobli"
    )
    assert code == 1
    assert any("bob may not make this change" in e for e in out["errors"])


def test_the_gate_never_trusts_a_cache_found_in_the_checkout(tmp_path: Path) -> None:
    """The gate runs trusted code on the PR's files, and a PR can commit anything, also a
    `.perfloop-cache/` whose entry for a broken file's blob id says "valid"."""
    from perfloop.root import cache_folder
    from perfloop.sources import blob_id
    from perfloop.speed.cache import FOLDER, read_pack, write_pack

    repo, subs = pull_request(tmp_path)
    root = Path(repo.working_tree_dir)
    run_cli("validate", cwd=root)  # the cache, as the attacker's own run leaves it
    (pack,) = Path(cache_folder(root)).rglob("2026-h2.pack")
    alice = root / ALICE
    clean = read_pack(pack)[f"goals:{blob_id(alice.read_bytes())}"]
    broken = alice.read_text().replace("title: Make checkout reliable", "titel: x", 1)
    alice.write_text(broken)
    poisoned = read_pack(pack)
    poisoned[f"goals:{blob_id(broken.encode())}"] = clean
    write_pack(pack, poisoned)
    committed = root / FOLDER / pack.parent.name / pack.name  # where older versions kept it
    committed.parent.mkdir(parents=True)
    committed.write_bytes(pack.read_bytes())
    repo.git.add("-A", "--force")  # the poisoned cache is part of the pull request
    repo.git.commit("-m", "alice: retitle", "--author", DAVE, env=committed_by(DAVE))
    subs["__HEAD_SHA__"] = repo.head.commit.hexsha
    assert "unknown field 'titel'" not in run_cli("validate", cwd=root).stdout  # it works
    code, out = offline(
        repo, subs, reviews_file(tmp_path, subs, "reviews-1.json", "reviews-2.json")
    )
    assert code == 1
    assert any("unknown field 'titel'" in e for e in out["errors"])


def test_offline_usage_errors_exit_2(tmp_path: Path) -> None:
    repo, _ = pull_request(tmp_path)
    result = run_cli("gate", "--base", "main", cwd=repo.working_tree_dir)
    assert result.returncode == 2
    assert "give --pr N, or all of --base, --author, --head, --reviews" in result.stderr


# --- online ---------------------------------------------------------------------------------


def online(repo: git.Repo, fake: FakeGitHub, *args: str):
    env = {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": REPO}
    return run_cli("gate", "--pr", "42", *args, cwd=repo.working_tree_dir, env=env)


def statuses(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(body["state"], body["context"]) for m, _, _, body in fake.requests if m == "POST"]


def test_online_gate_reads_every_page_and_posts_success(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    with serve(FakeGitHub(subs, standard_routes())) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gate passed: approved by carol, alice" in result.stdout
    assert statuses(fake) == [("pending", "perfloop/approval"), ("success", "perfloop/approval")]
    last = [body for m, _, _, body in fake.requests if m == "POST"][-1]
    assert last["description"] == "approved by carol, alice"


def test_online_gate_rate_limited_then_passes(tmp_path: Path) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    key = f"GET /repos/{REPO}/pulls/42/reviews?per_page=100"
    routes[key] = [
        Reply(
            403,
            text='{"message": "You have exceeded a secondary rate limit."}',
            headers={"retry-after": "1"},
        ),
        *routes[key],
    ]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(1 for m, p, _, _ in fake.requests if "reviews" in p and "page=2" not in p) == 2


@pytest.mark.parametrize("broken", ["pulls/42", "pulls/42/reviews?per_page=100"])
def test_online_gate_fails_closed_on_server_errors(tmp_path: Path, broken: str) -> None:
    repo, subs = pull_request(tmp_path)
    routes = standard_routes()
    routes[f"GET /repos/{REPO}/{broken}"] = [Reply(500, text='{"message": "Server Error"}')]
    with serve(FakeGitHub(subs, routes)) as fake:
        result = online(repo, fake, "--post-status")
    assert result.returncode == 2
    assert (
        "perfloop gate: error: GitHub answered HTTP 500: Server Error (gave up after 4 "
        "attempts)" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert ("success", "perfloop/approval") not in statuses(fake)
    if broken != "pulls/42":  # the head was known: pending, then an explicit error
        assert statuses(fake) == [("pending", "perfloop/approval"), ("error", "perfloop/approval")]


def test_online_gate_without_a_token_exits_2(tmp_path: Path) -> None:
    repo, _ = pull_request(tmp_path)
    result = run_cli(
        "gate", "--pr", "42", cwd=repo.working_tree_dir, env={"GITHUB_REPOSITORY": REPO}
    )
    assert result.returncode == 2
    assert "neither PERFLOOP_APP_TOKEN nor GITHUB_TOKEN is set" in result.stderr
