"""The schemas work in the ecosystem's tools, offline: check-jsonschema without --base-uri,
and the YAML language server (what VS Code's YAML extension runs) on files the tool wrote,
through their `# yaml-language-server: $schema=…` line.

The language server costs about 2 s (Node start and one site build) and an npm package in
.cache/npm (scripts/install.sh --test). It is the only test of what editors show, which is
the schemas' main use, so it stays; when the server is missing the test fails rather than
skipping, so CI cannot lose it silently.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

SCHEMAS = ROOT / "tooling" / "perfloop" / "schemas"
YAML_LS = ROOT / ".cache" / "npm" / "node_modules" / "yaml-language-server" / "bin"
# Any download goes to a closed port: the schemas must resolve from what is on disk.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

VALID = """\
owner: riley
objectives:
  - id: o1
    title: Ship it
    key_results:
      - {id: kr1, title: Releases, target: 4}
"""
INVALID = "owner: Riley\nobjectivs: []\n"  # an id with a capital, a misspelt field


def check_jsonschema(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--no-cache", "--schemafile", str(schema), *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE},
        timeout=120,
    )


def test_check_jsonschema_resolves_the_schemas_offline_without_base_uri(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID, encoding="utf-8")
    bad.write_text(INVALID, encoding="utf-8")
    bundled = tmp_path / "goals.schema.json"
    printed = run_cli("schema", "goals", cwd=tmp_path)
    assert printed.returncode == 0
    bundled.write_text(printed.stdout, encoding="utf-8")
    assert "$id" not in json.loads(printed.stdout)  # nothing it names must be fetched
    for schema in (SCHEMAS / "goals.schema.json", bundled):
        ok = check_jsonschema(schema, good)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        failed = check_jsonschema(schema, bad)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "'objectivs' was unexpected" in failed.stdout
        assert "does not match" in failed.stdout  # the shared id type resolved
    # every other kind's references resolve from the package folder too
    for kind in ("calibration", "cycle", "objectives", "org", "results", "review", "template"):
        result = check_jsonschema(SCHEMAS / f"{kind}.schema.json", good)
        assert result.returncode in (0, 1), (kind, result.stdout + result.stderr)
        assert "validation" in result.stdout, (kind, result.stdout + result.stderr)


class LanguageServer:
    """yaml-language-server over stdio LSP: initialize, open documents, read diagnostics.
    A thread reads the server's messages; requests it makes (configuration) get null."""

    def __init__(self, root: Path) -> None:
        server = YAML_LS / "yaml-language-server"
        if not server.exists():
            pytest.fail(
                f"{server} is missing: `bash scripts/install.sh --test` installs it from npm"
            )
        self.proc = subprocess.Popen(
            ["node", str(server), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **OFFLINE},
        )
        self.lock = threading.Lock()
        self.diagnostics: dict[str, list[dict]] = {}
        self.last_message = time.monotonic()
        self.replies: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.send({"id": 1, "method": "initialize",
                   "params": {"processId": os.getpid(), "rootUri": root.as_uri(),
                              "capabilities": {}}})  # fmt: skip
        self.replies.get(timeout=30)
        self.send({"method": "initialized", "params": {}})
        settings = {"yaml": {"validate": True, "schemaStore": {"enable": False}}}
        self.send({"method": "workspace/didChangeConfiguration", "params": {"settings": settings}})

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return  # the server exited
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            self.last_message = time.monotonic()
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.diagnostics[params["uri"]] = params["diagnostics"]
            elif "method" in message and "id" in message:  # a request to us
                items = message.get("params", {}).get("items", [])
                self.send({"id": message["id"], "result": [None] * len(items) or None})
            elif "id" in message:
                self.replies.put(message)

    def open(self, path: Path) -> str:
        uri = path.as_uri()
        item = {"uri": uri, "languageId": "yaml", "version": 1, "text": path.read_text()}
        self.send({"method": "textDocument/didOpen", "params": {"textDocument": item}})
        return uri

    def settle(self, uris: list[str], seconds: float = 30) -> None:
        """Wait until each document has diagnostics and the server was quiet for 2 s."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.2)
            quiet = time.monotonic() - self.last_message > 2
            if quiet and all(u in self.diagnostics for u in uris):
                return
        raise AssertionError(f"no diagnostics in {seconds} s: {self.diagnostics}")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_the_yaml_language_server_checks_files_the_tool_wrote(tmp_path: Path) -> None:
    repo = tmp_path / "perf"
    assert run_cli("init", str(repo), "--no-git", cwd=tmp_path).returncode == 0
    # the site publishes the schemas the files' first lines point to
    built = run_cli("site", cwd=repo)
    assert built.returncode == 0, built.stderr
    goals = next((repo / "cycles").glob("*/goals"))
    valid = sorted(goals.glob("*.yaml"))[0]
    first_line = valid.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    invalid = goals / "zz-broken.yaml"
    invalid.write_text(f"{first_line}\n{INVALID}", encoding="utf-8")
    server = LanguageServer(repo)
    try:
        uris = [server.open(valid), server.open(invalid)]
        server.settle(uris)
    finally:
        server.close()
    assert server.diagnostics[uris[0]] == []
    messages = [d["message"] for d in server.diagnostics[uris[1]]]
    assert any("objectivs" in m for m in messages), messages
    assert any("does not match the pattern" in m for m in messages), messages  # Riley


def test_the_reference_a_written_file_gets(tmp_path: Path) -> None:
    from perfloop.schemaref import placed, schema_ref

    rel = "cycles/2026-h2/goals/bob.yaml"
    # no mkdocs.yml: the built site's copy (perfloop init's site_dir, public/)
    assert schema_ref(tmp_path, rel, "goals") == "../../../public/schemas/goals.schema.json"
    # mkdocs.yml's site_url: where the site publishes them
    site = tmp_path / "site-url"
    site.mkdir()
    (site / "mkdocs.yml").write_text(
        "site_name: P\nsite_url: https://perf.example.com/okr/\nsite_dir: !ENV [OUT, public]\n"
    )
    url = "https://perf.example.com/okr/schemas/review.schema.json"
    assert schema_ref(site, "cycles/c/reviews/a/b.yaml", "review") == url
    # a repository that carries the package (this project): the package's own files
    assert schema_ref(ROOT, rel, "org") == "../../../tooling/perfloop/schemas/org.schema.json"
    # only a line the tool just made is placed; a file's own line is kept
    new = "# yaml-language-server: $schema=perfloop:schemas/goals.schema.json\nowner: bob\n"
    assert placed(site, rel, new).startswith(
        "# yaml-language-server: $schema=https://perf.example.com/okr/schemas/goals.schema.json\n"
    )
    own = "# yaml-language-server: $schema=../x.json\nowner: bob\n"
    assert placed(site, rel, own) == own
