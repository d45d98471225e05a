"""A small client for GitHub's REST API (v3): pull requests, their files, commits and
reviews, branches, commit statuses, check runs, and issues (reminders). It fails closed:
any answer it cannot trust raises GitHubError.

Pagination follows `Link: <…>; rel="next"` (only to the same API host, so the token never
leaves it). Retries are bounded: a 5xx or a dropped connection is retried with back-off; a
rate limit (403/429 with `retry-after`, or `x-ratelimit-remaining: 0`) waits as told, unless
the wait is longer than `max_wait`.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

DEFAULT_API = "https://api.github.com"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubError(Exception):
    """The API could not be used; the message says why in plain words."""


class GitHub:
    def __init__(
        self,
        repo: str,
        token: str | None,
        api_url: str | None = None,
        *,
        attempts: int = 4,
        max_wait: float = 60.0,
        timeout: float = 30.0,
        max_pages: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo or ""):
            raise GitHubError(f"not a repository name (OWNER/NAME): {repo!r}")
        self.repo = repo
        self.token = token
        self.api = (api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")
        self.attempts, self.max_wait, self.timeout = attempts, max_wait, timeout
        self.max_pages = max_pages
        self.sleep, self.clock = sleep, clock

    # --- transport ------------------------------------------------------------------------

    def _request(self, method: str, url: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        if not url.startswith(self.api + "/"):
            raise GitHubError(f"refusing to follow a link away from {self.api}: {url}")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "perfloop",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        last = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                    answer = {k.lower(): v for k, v in response.headers.items()}
            except urllib.error.HTTPError as exc:
                answer = {k.lower(): v for k, v in (exc.headers or {}).items()}
                message = _message(exc)
                wait = self._rate_limit_wait(exc.code, answer)
                if wait is not None:
                    last = f"rate limited by GitHub (HTTP {exc.code}): {message}"
                    if wait > self.max_wait:
                        raise GitHubError(
                            f"{last}; the limit resets in {wait:.0f}s, more than the "
                            f"{self.max_wait:.0f}s this run waits"
                        ) from None
                elif exc.code >= 500:
                    last = f"GitHub answered HTTP {exc.code}: {message}"
                    wait = min(0.5 * 2 ** (attempt - 1), self.max_wait)
                else:
                    raise GitHubError(
                        f"GitHub answered HTTP {exc.code} for {method} {_short(url)}: {message}"
                    ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"cannot reach {self.api}: {reason}"
                wait = min(0.5 * 2 ** (attempt - 1), self.max_wait)
            else:
                try:
                    return (json.loads(raw) if raw else None), answer
                except ValueError:
                    raise GitHubError(f"GitHub sent a reply that is not JSON for {url}") from None
            if attempt < self.attempts:
                self.sleep(wait)
        raise GitHubError(f"{last} (gave up after {self.attempts} attempts)")

    def _rate_limit_wait(self, code: int, headers: dict[str, str]) -> float | None:
        """Seconds to wait before retrying a rate-limited request; None if not rate limited."""
        if code not in (403, 429):
            return None
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return self.max_wait + 1  # unreadable: treat as too long, fail closed
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, float(headers.get("x-ratelimit-reset", "")) - self.clock()) + 1
            except ValueError:
                return self.max_wait + 1
        return 60.0 if code == 429 else None  # 429 without headers: GitHub says wait a minute

    def get(self, path: str, **params: Any) -> Any:
        return self._request("GET", self._url(path, params))[0]

    def get_all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a paginated list, following Link headers."""
        url: str | None = self._url(path, {"per_page": 100, **params})
        items: list[Any] = []
        for _ in range(self.max_pages):
            if url is None:
                return items
            page, headers = self._request("GET", url)
            if not isinstance(page, list):
                raise GitHubError(f"expected a list from {_short(url)}")
            items += page
            found = _NEXT.search(headers.get("link", ""))
            url = found.group(1) if found else None
        if url is not None:
            raise GitHubError(f"more than {self.max_pages} pages from {path}; refusing to guess")
        return items

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", self._url(path, {}), body)[0]

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("PATCH", self._url(path, {}), body)[0]

    def _url(self, path: str, params: dict[str, Any]) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        tail = f"/{path.lstrip('/')}" if path else ""
        return f"{self.api}/repos/{self.repo}{tail}{query}"

    # --- the calls Perfloop makes ---------------------------------------------------------

    def user_keys(self, login: str) -> list[str]:
        """A user's public SSH keys (`perfloop keys import`); not scoped to the repository."""
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", login):
            raise GitHubError(f"not a GitHub login: {login!r}")
        listed, _ = self._request("GET", f"{self.api}/users/{login}/keys")
        if not isinstance(listed, list):
            raise GitHubError(f"expected a list of keys for {login}")
        return [str(k.get("key", "")) for k in listed if isinstance(k, dict)]

    def pull(self, number: int) -> dict[str, Any]:
        pull = self.get(f"pulls/{number}")
        try:
            _ = pull["base"]["ref"], pull["head"]["sha"], pull["user"]["login"]
        except (TypeError, KeyError):
            msg = f"pull request #{number}: GitHub's answer lacks base/head/user"
            raise GitHubError(msg) from None
        return pull

    def default_branch(self, pull: dict[str, Any]) -> str:
        """The repository's default branch: from the pull request's payload
        (`base.repo.default_branch`), else from the repository itself."""
        found = ((pull.get("base") or {}).get("repo") or {}).get("default_branch")
        if not found:
            found = (self.get("") or {}).get("default_branch")
        if not isinstance(found, str) or not found:
            raise GitHubError("GitHub's answer does not say which branch is the default")
        return found

    def branch_tip(self, branch: str) -> str:
        """The commit `branch` points at now."""
        answer = self.get(f"branches/{urllib.parse.quote(branch, safe='')}")
        sha = ((answer or {}).get("commit") or {}).get("sha")
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha):
            raise GitHubError(f"GitHub's answer for branch {branch!r} has no commit")
        return sha

    def open_pulls(self, base: str) -> list[dict[str, Any]]:
        """The open pull requests into `base`."""
        return self.get_all("pulls", state="open", base=base)

    def behind_by(self, base: str, head: str) -> int:
        """How many commits of `base` `head` lacks (GitHub's compare `base...head`)."""
        answer = self.get(f"compare/{base}...{head}")
        behind = (answer or {}).get("behind_by")
        if not isinstance(behind, int):
            raise GitHubError(f"GitHub's comparison of {base[:12]}...{head[:12]} lacks behind_by")
        return behind

    def pull_commits(self, number: int) -> list[dict[str, Any]]:
        """The pull request's commits, each with `author.login` as GitHub maps its author
        (None when it maps to no user). GitHub lists at most 250: a longer list fails."""
        commits = self.get_all(f"pulls/{number}/commits")
        if len(commits) >= 250:
            raise GitHubError(
                f"pull request #{number} has 250 commits or more, more than GitHub lists; "
                "squash them so every author can be checked"
            )
        return commits

    def pull_files(self, number: int) -> list[str]:
        files = self.get_all(f"pulls/{number}/files")
        out = []
        for f in files:
            out.append(f["filename"])
            if f.get("previous_filename"):
                out.append(f["previous_filename"])
        return out

    def pull_reviews(self, number: int) -> list[dict[str, Any]]:
        return self.get_all(f"pulls/{number}/reviews")

    def set_status(
        self, sha: str, state: str, context: str, description: str, target_url: str | None
    ) -> None:
        body = {"state": state, "context": context, "description": description[:140]}
        if target_url:
            body["target_url"] = target_url
        self.post(f"statuses/{sha}", body)

    def start_check_run(self, sha: str, name: str, details_url: str | None) -> int:
        """A check run `name` in progress on `sha`; its id. Only a GitHub App can create
        one, and branch protection can require it from that app alone."""
        body: dict[str, Any] = {"name": name, "head_sha": sha, "status": "in_progress"}
        if details_url:
            body["details_url"] = details_url
        answer = self.post("check-runs", body)
        run_id = (answer or {}).get("id")
        if not isinstance(run_id, int):
            raise GitHubError("GitHub's answer for the new check run has no id")
        return run_id

    def finish_check_run(self, run_id: int, conclusion: str, title: str, summary: str) -> None:
        body = {
            "status": "completed",
            "conclusion": conclusion,
            "output": {"title": title[:255], "summary": summary[:65535]},
        }
        self.patch(f"check-runs/{run_id}", body)

    # --- issues (reminders) ----------------------------------------------------------------

    def labelled_issues(self, label: str) -> list[dict[str, Any]]:
        """Issues (open or closed, not pull requests) that carry `label`."""
        found = self.get_all("issues", state="all", labels=label)
        return [i for i in found if isinstance(i, dict) and "pull_request" not in i]

    def create_issue(self, title: str, body: str, labels: list[str]) -> int:
        answer = self.post("issues", {"title": title, "body": body, "labels": labels})
        number = (answer or {}).get("number")
        if not isinstance(number, int):
            raise GitHubError("GitHub's answer for the new issue has no number")
        return number

    def update_issue(self, number: int, **fields: Any) -> None:
        """Edit issue `number` in place (`body`, `title`, `state`)."""
        self.patch(f"issues/{number}", fields)


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
        return str(body.get("message") or exc.reason)
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)


def _short(url: str) -> str:
    return url.split("?")[0]
