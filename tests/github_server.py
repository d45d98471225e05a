"""A local stand-in for GitHub's REST API: recorded payloads (tests/data/github) served by
`http.server` in a thread, with scripted failures, and every request recorded."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAYLOADS = Path(__file__).parent / "data" / "github"
REPO = "northwind/performance"


@dataclass
class Reply:
    status: int = 200
    body: str | None = None  # a payload file name, or None for an empty JSON object
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # raw text instead of a payload file


@dataclass
class FakeGitHub:
    substitutions: dict[str, str]
    routes: dict[str, list[Reply]] = field(default_factory=dict)  # "GET /path?query" -> replies
    requests: list[tuple[str, str, dict, object]] = field(default_factory=list)
    url: str = ""

    def reply(self, method: str, path: str) -> Reply:
        key = f"{method} {path}"
        queue = self.routes.get(key) or self.routes.get(f"{method} {path.split('?')[0]}")
        if not queue:
            return Reply(404, text=json.dumps({"message": "Not Found"}))
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def render(self, reply: Reply) -> bytes:
        text = (
            reply.text
            if reply.text is not None
            else ((PAYLOADS / reply.body).read_text() if reply.body else "{}")
        )
        for key, value in self.all_substitutions().items():
            text = text.replace(key, value)
        return text.encode()

    def all_substitutions(self) -> dict[str, str]:
        """The test's, the server's address, and the default branch's tip: the base commit
        unless the test says otherwise."""
        tip = self.substitutions.get("__TIP_SHA__") or self.substitutions.get("__BASE_SHA__", "")
        return {**self.substitutions, "__TIP_SHA__": tip, "__API__": self.url}


def standard_routes(pr: int = 42) -> dict[str, list[Reply]]:
    """The pull request, its files and reviews (each list in two pages linked by Link), its
    commits (both by its author, davek) and the default branch's tip (`__TIP_SHA__`)."""
    base = f"/repos/{REPO}/pulls/{pr}"
    return {
        f"GET {base}": [Reply(body="pull.json")],
        f"GET /repos/{REPO}/branches/main": [Reply(body="branch-main.json")],
        f"GET {base}/commits?per_page=100": [Reply(body="commits.json")],
        f"GET {base}/files?per_page=100": [
            Reply(
                body="files-1.json",
                headers={
                    "Link": f'<__API__{base}/files?per_page=100&page=2>; rel="next", '
                    f'<__API__{base}/files?per_page=100&page=2>; rel="last"'
                },
            )
        ],
        f"GET {base}/files?per_page=100&page=2": [
            Reply(
                body="files-2.json",
                headers={"Link": f'<__API__{base}/files?per_page=100&page=1>; rel="prev"'},
            )
        ],
        f"GET {base}/reviews?per_page=100": [
            Reply(
                body="reviews-1.json",
                headers={"Link": f'<__API__{base}/reviews?per_page=100&page=2>; rel="next"'},
            )
        ],
        f"GET {base}/reviews?per_page=100&page=2": [Reply(body="reviews-2.json")],
        f"POST /repos/{REPO}/statuses/__HEAD_SHA__": [Reply(201)],
    }


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[FakeGitHub]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append((method, self.path, dict(self.headers), body))
            path = self.path
            for key, value in fake.substitutions.items():
                path = path.replace(value, key)  # let routes name __HEAD_SHA__
            reply = fake.reply(method, path)
            raw = fake.render(reply)
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in reply.headers.items():
                for name, sub in fake.all_substitutions().items():
                    value = value.replace(name, sub)
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_PATCH(self) -> None:
            self._answer("PATCH")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
