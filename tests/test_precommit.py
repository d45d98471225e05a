"""The pre-commit hook, as a performance repository runs it: `pre-commit try-repo` against
this repository's .pre-commit-hooks.yaml, on a repository made by `perfloop init`.

The test runs perfloop-validate-system (the perfloop installed here, offline).
perfloop-validate, the same entry with `language: python`, makes pre-commit install
Perfloop from PyPI into its own environment first (about a minute, network): not run here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT, commit_all, run_cli

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def try_repo(repo: Path, hook: str, home: Path, *files: Path) -> subprocess.CompletedProcess:
    args = ["--files", *map(str, files)] if files else []
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), hook, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"},
        timeout=300,
    )


def test_the_manifest_names_both_hooks_with_the_same_entry() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"perfloop-validate", "perfloop-validate-system"}
    assert hooks["perfloop-validate"]["language"] == "python"  # installs this package
    assert {h["entry"] for h in hooks.values()} == {"perfloop validate --quiet"}


def test_pre_commit_try_repo_validates_the_changed_files(tmp_path: Path) -> None:
    repo = tmp_path / "perf"
    assert run_cli("init", str(repo), cwd=tmp_path).returncode == 0
    commit_all(repo, "start")
    home = tmp_path / "pre-commit-home"
    goals = sorted((repo / "cycles").glob("*/goals/*.yaml"))
    assert len(goals) >= 2
    # several files at once, as pre-commit passes them
    for goal in goals:
        goal.write_text(goal.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    passed = try_repo(repo, "perfloop-validate-system", home, *goals)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    # a mistake in one of them fails the hook, located
    broken = goals[0]
    broken.write_text(f"owner: {broken.stem}\nobjectivs: []\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    failed = try_repo(repo, "perfloop-validate-system", home)  # the staged files
    assert failed.returncode == 1, failed.stdout + failed.stderr
    rel = broken.relative_to(repo).as_posix()
    assert f"{rel}:2:1: error: unknown field 'objectivs'" in failed.stdout
    assert "Got unexpected extra argument" not in failed.stdout
    # a change outside cycles/ runs nothing
    (repo / "README.md").write_text("notes\n", encoding="utf-8")
    skipped = try_repo(repo, "perfloop-validate-system", home, repo / "README.md")
    assert skipped.returncode == 0 and "no files to check" in skipped.stdout.lower()
