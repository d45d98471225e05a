"""Hostile pull requests as data: one folder per attack under tests/data/hostile/<case>/.

Each case is a real git repository built in tmp_path: the base (tests/data/base, in the
case's phase, with the case's base changes) committed on `main`, the pull request's changes
committed on a branch, then the real `perfloop check --base main --author LOGIN` and, where
the case says so, the offline `perfloop gate` and other commands on the PR's tree.

`case.yaml` (every key but `about`, `author` and `expect` optional):

    about: what the attack is, in one line
    phase: review                  # the base's phase (tests/data/base is in review)
    base:                          # changes to tests/data/base before the base commit
      files: {path: text}          # written (YAML escapes allow odd names: "a\\nb.yaml")
      edits: [{path: p, old: text, new: text}]   # one replacement in a file
      delete: [path]
      symlinks: {path: target}     # git carries symbolic links
    pr: {files, edits, delete, symlinks}   # the pull request's changes, as for base
    author: alicec                 # the PR author's GitHub login
    commit_as: {name: N, email: E} # the PR's commit made (authored and committed) by someone
                                   # else (default: the author, by their org.yaml email)
    expect:
      ok: false
      errors: [substring]          # each in some error's "path: message"
      kinds: {path: kind}          # the change kinds of these paths
      approvers: [person]          # the exact approver list
    gate: {approvals: [login], ok: false}   # approvals on the head commit, the verdict
    runs:                          # other commands on the PR's working tree
      - {args: [validate], code: 1, has: [text], lacks: [text]}

Files under `<case>/base/` and `<case>/pr/` are laid over the tree as they are (for files
too long for the manifest). Every case also runs the check's text output as under GitHub
Actions: no PR text may add a line the runner would read as a workflow command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import BASE, DATA, run_cli

HOSTILE = DATA / "hostile"
CASES = sorted(p.name for p in HOSTILE.iterdir() if (p / "case.yaml").is_file())
CYCLE_FILE = "cycles/2026-h2/cycle.yaml"


def _git(root: Path, *args: str, email: str = "henry@example.com") -> str:
    """Git in `root`, committing as the person with `email` (as the forge maps authors)."""
    name = email.split("@")[0]
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def _apply(root: Path, changes: dict[str, Any], overlay: Path) -> None:
    """Lay one side's changes over the tree at `root`."""
    if overlay.is_dir():
        for file in sorted(overlay.rglob("*")):
            if file.is_file():
                target = root / file.relative_to(overlay)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)
    for rel, text in (changes.get("files") or {}).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for edit in changes.get("edits") or []:
        target = root / edit["path"]
        text = target.read_text(encoding="utf-8")
        assert edit["old"] in text, f"{edit['old']!r} not in {edit['path']}"
        target.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
    for rel in changes.get("delete") or []:
        target = root / rel
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
    for rel, pointing_to in (changes.get("symlinks") or {}).items():
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(pointing_to)


def build(case: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The case's repository: its base on `main`, its pull request committed on `pr`."""
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    root = tmp_path / "repo"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns(".perfloop-cache"))
    if "phase" in spec:
        cycle = root / CYCLE_FILE
        text = re.sub(r"(?m)^phase: \w+", f"phase: {spec['phase']}", cycle.read_text())
        cycle.write_text(text)
    _apply(root, spec.get("base") or {}, case / "base")
    _git(root, "init", "-q", "--initial-branch=main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "pr")
    _apply(root, spec.get("pr") or {}, case / "pr")
    _git(root, "add", "-A")
    if "commit_as" in spec:  # someone else's commit in the pull request
        name, email = spec["commit_as"]["name"], spec["commit_as"]["email"]
        _git(root, "-c", f"user.name={name}", "commit", "-q", "-m", "x", email=email)
        _git(
            root, "commit", "-q", "--amend", "--no-edit", f"--author={name} <{email}>", email=email
        )
    else:
        _git(root, "commit", "-q", "-m", "the pull request", email=_email(root, spec["author"]))
    return root, spec


def _email(root: Path, login: str) -> str:
    """The base's org.yaml email of the person with GitHub `login` (one made up for a
    stranger)."""
    org = yaml.safe_load(_git(root, "show", "main:cycles/2026-h2/org.yaml"))
    found = [p["email"] for p in org["people"] if p.get("github") == login]
    return found[0] if found else f"{login}@users.noreply.github.com"


def _errors(out: dict) -> str:
    return "\n".join(f"{e['path']}: {e['message']}" for e in out["errors"])


def _workflow_commands(stdout: str) -> list[str]:
    """Lines the Actions runner would read as commands: `::` after leading white space
    (its v2 syntax), or `##[` anywhere (the older one)."""
    return [line for line in stdout.splitlines() if line.lstrip().startswith("::") or "##[" in line]


@pytest.mark.parametrize("name", CASES)
def test_hostile_pull_request(name: str, tmp_path: Path) -> None:
    root, spec = build(HOSTILE / name, tmp_path)
    author, expect = spec["author"], spec["expect"]
    done = run_cli("check", "--base", "main", "--author", author, "--json", cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    out = json.loads(done.stdout)
    errors = _errors(out)
    assert out["ok"] is expect["ok"], errors or "the check passed"
    assert done.returncode == (0 if expect["ok"] else 1)
    for fragment in expect.get("errors") or []:
        assert fragment in errors, f"{fragment!r} not in:\n{errors}"
    kinds = {c["path"]: c["kind"] for c in out["changes"]}
    for path, kind in (expect.get("kinds") or {}).items():
        assert kinds.get(path) == kind, kinds
    if "approvers" in expect:
        assert out["approvers"] == expect["approvers"], out["required"]

    # The same check as CI runs it: only the tool's own annotations are workflow commands.
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    text = run_cli("check", "--base", "main", "--author", author, cwd=root, env=env)
    assert "Traceback" not in text.stderr, text.stderr
    assert text.returncode == done.returncode, text.stdout + text.stderr
    problems = len(out["errors"]) + len(out["warnings"])
    annotations = min(problems, 10) + (problems > 10)
    commands = _workflow_commands(text.stdout)
    assert len(commands) == annotations, "\n".join(commands)
    assert all(re.match(r"::(error|warning) file=|::notice::", c) for c in commands), commands

    if "gate" in spec:
        _gate(root, author, spec["gate"], tmp_path)
    for run in spec.get("runs") or []:
        done = run_cli(*run["args"], cwd=root)
        shown = done.stdout + done.stderr
        assert "Traceback" not in shown, shown
        assert done.returncode == run.get("code", 0), shown
        for fragment in run.get("has") or []:
            assert fragment in shown, f"{fragment!r} not in:\n{shown}"
        for fragment in run.get("lacks") or []:
            assert fragment not in shown, f"{fragment!r} in:\n{shown}"


def _gate(root: Path, author: str, gate: dict[str, Any], tmp_path: Path) -> None:
    """The offline gate with `approvals` (logins) given on the head commit."""
    head = _git(root, "rev-parse", "HEAD").strip()
    reviews = [
        {
            "user": {"login": login},
            "state": "APPROVED",
            "commit_id": head,
            "submitted_at": f"2026-10-01T10:{i:02d}:00Z",
        }
        for i, login in enumerate(gate.get("approvals") or [])
    ]
    file = tmp_path / "reviews.json"
    file.write_text(json.dumps(reviews))
    args = ["--base", "main", "--author", author, "--head", head, "--reviews", str(file)]
    done = run_cli("gate", *args, "--json", cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    decision = json.loads(done.stdout)
    assert decision["ok"] is gate["ok"], decision
    assert done.returncode == (0 if gate["ok"] else 1)
    # its words in a CI log: nothing from the pull request becomes a workflow command
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "gate.md")}
    text = run_cli("gate", *args, cwd=root, env=env)
    assert text.returncode == done.returncode, text.stdout + text.stderr
    commands = _workflow_commands(text.stdout)
    assert all(re.match(r"::(error|warning) file=|::notice::", c) for c in commands), commands
