"""The REST client against a local server: pagination, rate limits, retries, fail closed."""

from __future__ import annotations

import json

import pytest

from github_server import REPO, FakeGitHub, Reply, serve, standard_routes
from perfloop.github import GitHub, GitHubError

SUBS = {"__HEAD_SHA__": "a" * 40, "__BASE_SHA__": "b" * 40, "__OLD_SHA__": "c" * 40}
REVIEWS = f"GET /repos/{REPO}/pulls/42/reviews?per_page=100"


def client(fake: FakeGitHub, sleeps: list[float], now: float = 1_000_000.0) -> GitHub:
    return GitHub(REPO, "t0ken", fake.url, sleep=sleeps.append, clock=lambda: now)


def test_lists_follow_link_headers_across_pages() -> None:
    with serve(FakeGitHub(SUBS, standard_routes())) as fake:
        api = client(fake, [])
        assert api.pull_files(42) == [
            "cycles/2026-h2/goals/alice.yaml",
            "cycles/2026-h2/goals/bob.yaml",
        ]
        reviews = api.pull_reviews(42)
    assert [(r["user"]["login"], r["state"]) for r in reviews] == [
        ("alicec", "APPROVED"),
        ("carold", "CHANGES_REQUESTED"),
        ("davek", "COMMENTED"),
        ("davek", "APPROVED"),
        ("carold", "APPROVED"),
        ("alicec", "APPROVED"),  # she signs the plan change her manager made
    ]
    headers = {k.lower(): v for k, v in fake.requests[0][2].items()}
    assert headers["authorization"] == "Bearer t0ken"
    assert headers["x-github-api-version"] == "2022-11-28"


def test_rate_limit_403_waits_for_the_reset_then_retries() -> None:
    routes = standard_routes()
    limited = Reply(
        403,
        text='{"message": "API rate limit exceeded for installation ID 1."}',
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000012"},
    )
    routes[REVIEWS] = [limited, *routes[REVIEWS]]
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake:
        assert len(client(fake, sleeps).pull_reviews(42)) == 6
    assert sleeps == [13.0]  # reset (1000012) - now (1000000) + 1 second of margin


def test_retry_after_is_honoured() -> None:
    routes = standard_routes()
    routes[REVIEWS] = [Reply(429, text="{}", headers={"Retry-After": "7"}), *routes[REVIEWS]]
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake:
        assert len(client(fake, sleeps).pull_reviews(42)) == 6
    assert sleeps == [7.0]


def test_a_reset_too_far_away_fails_at_once() -> None:
    routes = standard_routes()
    routes[REVIEWS] = [
        Reply(
            403,
            text='{"message": "API rate limit exceeded"}',
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1003600"},
        )
    ]
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, sleeps).pull_reviews(42)
    assert sleeps == []
    assert "rate limited by GitHub (HTTP 403): API rate limit exceeded" in str(caught.value)
    assert "resets in 3601s" in str(caught.value)


def test_server_errors_are_retried_a_bounded_number_of_times() -> None:
    routes = standard_routes()
    routes[REVIEWS] = [Reply(502, text='{"message": "Server Error"}')]
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, sleeps).pull_reviews(42)
    assert sleeps == [0.5, 1.0, 2.0]  # 4 attempts, doubling back-off between them
    assert str(caught.value) == (
        "GitHub answered HTTP 502: Server Error (gave up after 4 attempts)"
    )


def test_a_500_then_success_recovers() -> None:
    routes = standard_routes()
    routes[REVIEWS] = [Reply(500, text="{}"), *routes[REVIEWS]]
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake:
        assert len(client(fake, sleeps).pull_reviews(42)) == 6
    assert sleeps == [0.5]


def test_a_forbidden_request_is_not_retried() -> None:
    routes = {
        f"GET /repos/{REPO}/pulls/42": [
            Reply(403, text='{"message": "Resource not accessible by integration"}')
        ]
    }
    sleeps: list[float] = []
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, sleeps).pull(42)
    assert sleeps == []
    assert "HTTP 403 for GET" in str(caught.value)
    assert "Resource not accessible by integration" in str(caught.value)


def test_a_link_to_another_host_is_refused_so_the_token_stays_home() -> None:
    routes = standard_routes()
    routes[REVIEWS] = [
        Reply(
            body="reviews-1.json",
            headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'},
        )
    ]
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, []).pull_reviews(42)
    assert "refusing to follow a link away from" in str(caught.value)
    assert not any("evil" in path for _, path, _, _ in fake.requests)


def test_a_reply_that_is_not_json_fails() -> None:
    routes = {f"GET /repos/{REPO}/pulls/42": [Reply(text="<html>maintenance</html>")]}
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError):
        client(fake, []).pull(42)


def test_unreachable_api_fails_after_bounded_retries() -> None:
    sleeps: list[float] = []
    api = GitHub(REPO, "t", "http://127.0.0.1:9", sleep=sleeps.append, timeout=2)
    with pytest.raises(GitHubError) as caught:
        api.pull(1)
    assert "cannot reach http://127.0.0.1:9" in str(caught.value)
    assert len(sleeps) == 3


def test_status_is_posted_with_a_fixed_context() -> None:
    with serve(FakeGitHub(SUBS, standard_routes())) as fake:
        client(fake, []).set_status("a" * 40, "success", "perfloop/approval", "x" * 200, None)
    method, path, _, body = fake.requests[-1]
    assert (method, path) == ("POST", f"/repos/{REPO}/statuses/{'a' * 40}")
    assert body == {"state": "success", "context": "perfloop/approval", "description": "x" * 140}


def test_the_default_branch_comes_from_the_pull_request_or_else_the_repository() -> None:
    routes = {f"GET /repos/{REPO}": [Reply(body="repo.json")]}
    with serve(FakeGitHub(SUBS, routes)) as fake:
        api = client(fake, [])
        assert api.default_branch({"base": {"repo": {"default_branch": "trunk"}}}) == "trunk"
        assert fake.requests == []
        assert api.default_branch({}) == "main"
    assert [p for _, p, _, _ in fake.requests] == [f"/repos/{REPO}"]


def test_a_branch_tip_that_is_no_commit_fails() -> None:
    routes = {f"GET /repos/{REPO}/branches/main": [Reply(text='{"name": "main"}')]}
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, []).branch_tip("main")
    assert "has no commit" in str(caught.value)


def test_commits_github_cannot_list_in_full_fail_closed() -> None:
    """GitHub lists at most 250 commits of a pull request: the gate cannot check the rest."""
    page = json.dumps([{"sha": f"{i:040x}", "author": {"login": "davek"}} for i in range(100)])
    base = f"/repos/{REPO}/pulls/42/commits"
    link = f'<__API__{base}?per_page=100&page=%d>; rel="next"'
    routes = {
        f"GET {base}?per_page=100": [Reply(text=page, headers={"Link": link % 2})],
        f"GET {base}?per_page=100&page=2": [Reply(text=page, headers={"Link": link % 3})],
        f"GET {base}?per_page=100&page=3": [Reply(text=page)],
    }
    with serve(FakeGitHub(SUBS, routes)) as fake, pytest.raises(GitHubError) as caught:
        client(fake, []).pull_commits(42)
    assert "250 commits or more" in str(caught.value)
