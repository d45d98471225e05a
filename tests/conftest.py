"""Shared fixtures: the real CLI in a subprocess, and copies of data repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BASE = DATA / "base"
EXAMPLE_CYCLE = "2026-h2"


# The installed console script, as users run it (`python -m perfloop` imports more of the
# standard library at start-up and once hid a missing import); -m only when not installed.
_SCRIPT = Path(sys.executable).with_name("perfloop")
PERFLOOP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "perfloop"]


def run_cli(
    *args: str, cwd: Path | str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `perfloop ARGS` as a user would, in `cwd`; never raises on a non-zero exit."""
    # a user's shell, not a CI job's (the tool behaves differently under CI: no plaintext)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "CI"}
    full_env.update(env or {})
    return subprocess.run(
        [*PERFLOOP, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        input=input,
        timeout=600,
    )


@pytest.fixture(autouse=True, scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The cache of a repository outside git goes to the user's cache directory: the
    tests' go to a temporary one, never to ~/.cache."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def base_repo(tmp_path: Path) -> Path:
    """A small valid performance repository (tests/data/base), copied so tests may edit it."""
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo, ignore=shutil.ignore_patterns(".perfloop-cache"))
    return repo


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A copy of this repository's own example (cycles/ and the site)."""
    repo = tmp_path / "example"
    repo.mkdir()
    shutil.copytree(ROOT / "cycles", repo / "cycles", ignore=shutil.ignore_patterns(".*"))
    return repo


def make_demo(folder: Path, people: int, seed: int) -> Path:
    """A demo company (`perfloop demo`, committed in git) at `folder`/company."""
    root = folder / "company"
    made = run_cli("demo", str(root), "--people", str(people), "--seed", str(seed), cwd=folder)
    assert made.returncode == 0, made.stderr
    return root


def commit_all(root: Path, message: str) -> None:
    """Commit everything in `root` (a git repository is made there first if need be)."""
    import git

    try:
        repo = git.Repo(root)
    except git.InvalidGitRepositoryError:
        repo = git.Repo.init(root)
    repo.git.add("-A")
    with repo.git.custom_environment(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    ):
        repo.git.commit("-q", "-m", message)
