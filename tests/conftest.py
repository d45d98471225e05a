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
# The example's current cycle is sealed; its people's identities are committed, example-only
# (examples/keys/README.md). HR's opens every sealed file: tests that read the example's
# reviews, ratings or results read them as HR, and say so (`env=AS_HR`). Nothing injects it:
# a run without it is the keyless path (what CI and every other reader sees).
EXAMPLE_KEYS = ROOT / "examples" / "keys"
HR_IDENTITY = EXAMPLE_KEYS / "helen.key"
ORG_IDENTITY = EXAMPLE_KEYS / "org.key"
AS_HR = {"PERFLOOP_IDENTITY": str(HR_IDENTITY)}


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
    """A copy of this repository's own example (cycles/, its current cycle sealed, and the
    example keys in examples/keys/)."""
    repo = tmp_path / "example"
    repo.mkdir()
    shutil.copytree(ROOT / "cycles", repo / "cycles", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(EXAMPLE_KEYS, repo / "examples" / "keys")
    return repo


def unseal(repo: Path, cycle: str = EXAMPLE_CYCLE) -> Path:
    """Make `repo`'s copy of the example's `cycle` plain again, as it was before it was
    sealed: every sealed file opened with the example's org key into its plain form, and
    cycle.yaml's `confidentiality` and org.yaml's `org_key` dropped. For the tests of what
    a plain cycle does (the cache's shortcuts, which a sealed cycle bypasses)."""
    from perfloop.sealing.age import load_identities

    org_identity = load_identities(ORG_IDENTITY)
    folder = repo / "cycles" / cycle
    for sealed in sorted(folder.rglob("*.age")):
        plain = org_identity.open(sealed.read_bytes())
        assert plain is not None, sealed
        sealed.with_suffix("").write_bytes(plain)
        sealed.unlink()
    for name, key in (("cycle.yaml", "confidentiality:"), ("org.yaml", "org_key:")):
        file = folder / name
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        file.write_text("".join(x for x in lines if not x.startswith(key)), encoding="utf-8")
    return repo


@pytest.fixture
def hr_reader(monkeypatch: pytest.MonkeyPatch):
    """HR's reader of the example's sealed files, for in-process loads
    (`repository.load_cycle(..., reader=hr_reader)`). The process-wide "a sealed file was
    opened" switch (which keeps the cache from storing) is put back afterwards, so later
    in-process tests still see the keyless path."""
    from perfloop.sealing import reader
    from perfloop.sealing.age import load_identities

    monkeypatch.setattr(reader, "_opened", False)
    return reader.Reader(load_identities(HR_IDENTITY))


def seal_text(repo: Path, path: str, text: str) -> Path:
    """Replace the confidential file `path` (plain form, from `repo`) of a sealed cycle with
    `text`, sealed to its audience by the real `perfloop seal`, as its author would."""
    plain = repo / path
    plain.with_name(plain.name + ".age").unlink(missing_ok=True)
    plain.write_text(text, encoding="utf-8")
    sealed = run_cli("seal", path, cwd=repo)
    assert sealed.returncode == 0, sealed.stderr
    assert not plain.exists()
    return plain.with_name(plain.name + ".age")


@pytest.fixture
def plain_example_repo(example_repo: Path) -> Path:
    """The example's copy with its current cycle plain (`unseal`)."""
    return unseal(example_repo)


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
