"""The untracked files found from kept folder listings are the ones git itself finds."""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from perfloop.root import cache_folder
from perfloop.speed import store, untracked
from perfloop.speed.cache import FOLDER
from perfloop.speed.untracked import Unsure, untracked_files


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def _truth(root: Path) -> list[str]:
    """Git's own answer: every file under cycles/ not in its index, ignored ones included;
    hidden names skipped, as the loader skips them."""
    listed = _git(root, "ls-files", "-z", "--others", "--", "cycles").split("\0")
    return sorted(p for p in listed if p and not any(part[0] == "." for part in p.split("/")))


def _ours(root: Path) -> list[str]:
    return untracked_files(root, "cycles", root / ".git" / "index")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """Twelve folders of tracked files, and kept listings trusted at once: the 2 s a real
    run waits before it trusts a folder's stat would hide every kept listing from a test."""
    monkeypatch.setattr(untracked, "RACY_NS", 0)
    root = tmp_path / "repo"
    for team in ("eng", "ops", "sales"):
        for person in ("ann", "bob", "cy", "dee"):
            folder = root / "cycles" / "2026-h2" / "reviews" / team / person
            folder.mkdir(parents=True)
            (folder / "self.yaml").write_text(f"person: {person}\n")
    (root / ".gitignore").write_text(f"{FOLDER}/\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return root


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The folders untracked_files reads (lists) again."""
    seen: list[str] = []
    real = untracked._read_folder

    def spy(base: str, rel: str, known: set[str]) -> untracked.Folder:
        seen.append(rel)
        return real(base, rel, known)

    monkeypatch.setattr(untracked, "_read_folder", spy)
    return seen


def test_only_the_folder_that_changed_is_read_again(repo: Path, reads: list[str]) -> None:
    assert _ours(repo) == []
    assert len(reads) == 18  # cycles, the cycle, reviews, 3 teams, 12 people
    reads.clear()
    assert _ours(repo) == []
    assert reads == []  # nothing changed: one stat per folder, no listing
    new = repo / "cycles/2026-h2/reviews/ops/cy/peer-ann.yaml"
    new.write_text("reviewer: ann\n")
    assert _ours(repo) == ["cycles/2026-h2/reviews/ops/cy/peer-ann.yaml"] == _truth(repo)
    assert reads == ["cycles/2026-h2/reviews/ops/cy"]


def test_a_file_added_to_git_is_no_longer_untracked(repo: Path, reads: list[str]) -> None:
    """Which files git tracks changes with its index, not with any folder's stat."""
    (repo / "cycles/2026-h2/reviews/eng/ann/peer.yaml").write_text("x: 1\n")
    assert _ours(repo) == ["cycles/2026-h2/reviews/eng/ann/peer.yaml"]
    _git(repo, "add", "cycles/2026-h2/reviews/eng/ann/peer.yaml")
    assert _ours(repo) == [] == _truth(repo)
    _git(repo, "rm", "-q", "--cached", "cycles/2026-h2/reviews/eng/ann/peer.yaml")
    assert _ours(repo) == ["cycles/2026-h2/reviews/eng/ann/peer.yaml"] == _truth(repo)


def test_new_and_removed_folders(repo: Path) -> None:
    assert _ours(repo) == []
    deep = repo / "cycles/2026-h2/reviews/eng/eve/drafts"
    deep.mkdir(parents=True)
    (deep / "self.yaml").write_text("x: 1\n")
    assert _ours(repo) == ["cycles/2026-h2/reviews/eng/eve/drafts/self.yaml"] == _truth(repo)
    shutil.rmtree(repo / "cycles/2026-h2/reviews/eng/eve")
    assert _ours(repo) == [] == _truth(repo)
    shutil.rmtree(repo / "cycles/2026-h2/reviews/sales")  # tracked files gone: not untracked
    assert _ours(repo) == [] == _truth(repo)


def test_ignored_files_count_and_hidden_ones_do_not(repo: Path) -> None:
    (repo / ".gitignore").write_text(f"{FOLDER}/\n*.bak\n")
    (repo / "cycles/2026-h2/reviews/eng/bob/self.yaml.bak").write_text("x: 1\n")
    (repo / "cycles/2026-h2/reviews/eng/bob/.self.yaml.swp").write_text("x: 1\n")
    (repo / "cycles/2026-h2/.drafts").mkdir()
    (repo / "cycles/2026-h2/.drafts/goals.yaml").write_text("x: 1\n")
    assert _ours(repo) == ["cycles/2026-h2/reviews/eng/bob/self.yaml.bak"] == _truth(repo)


def test_an_entry_git_is_told_not_to_look_at_makes_it_unsure(repo: Path) -> None:
    _git(repo, "update-index", "--skip-worktree", "cycles/2026-h2/reviews/eng/bob/self.yaml")
    with pytest.raises(Unsure):
        _ours(repo)


def test_damaged_kept_listings_are_read_afresh(repo: Path, reads: list[str]) -> None:
    import marshal

    (repo / "cycles/2026-h2/reviews/ops/dee/extra.yaml").write_text("x: 1\n")
    assert _ours(repo) == _truth(repo) != []
    state = Path(cache_folder(repo)) / untracked.STATE
    good = store.read(state)
    damages = [
        b"",  # bytes: damaged on disk (the cache's MAC fails)
        b"\x00garbage",
        b"\xfb{}",
        # values: sealed with the cache's key, as if a run had written them wrong
        {"format": good["format"], "folder": "cycles"},  # keys missing
        {**good, "stats": good["stats"][:-8]},  # a folder's stat missing
        {**good, "stats": good["stats"][:-3]},  # not whole numbers
        {**good, "found": [7]},
        {**good, "names": 7},
    ]
    for damage in damages:
        if isinstance(damage, bytes):
            state.write_bytes(damage)
        else:
            store.write(state, damage)
        reads.clear()
        assert _ours(repo) == _truth(repo)
        assert len(reads) >= 18, repr(damage)[:40]  # all read afresh
    # What each folder holds is decoded only when one moved: damage it, and move one.
    for tree in (b"", b"\x00garbage", marshal.dumps([(7, 8)]), marshal.dumps([((), 7)] * 18)):
        store.write(state, {**good, "tree": tree})
        (repo / "cycles/2026-h2/reviews/eng/bob/extra.yaml").write_text(str(tree))
        reads.clear()
        assert _ours(repo) == _truth(repo)
        assert len(reads) >= 18, tree[:40]  # all read afresh
    good = store.read(state)
    store.write(state, {**good, "index": None})  # the index's stat unknown
    reads.clear()
    assert _ours(repo) == _truth(repo)
    assert reads == []  # git's listing is asked again; the folders' stats still hold


def test_random_changes_agree_with_git(repo: Path) -> None:
    """Files and folders added, removed, replaced, ignored, staged and committed in random
    order: after each change the kept listings answer what git answers."""
    rng = random.Random(7)
    folders = sorted(str(p.relative_to(repo)) for p in (repo / "cycles").rglob("*") if p.is_dir())

    def some_file() -> Path | None:
        files = [p for p in (repo / "cycles").rglob("*") if p.is_file()]
        return rng.choice(files) if files else None

    for step in range(80):
        action = rng.choice(["add", "add", "folder", "remove", "stage", "commit", "ignore", "swap"])
        folder = repo / rng.choice(folders)
        if action == "add" and folder.is_dir():
            (folder / f"f{step}.yaml").write_text(f"step: {step}\n")
        elif action == "folder" and folder.is_dir():
            new = folder / f"d{step}"
            new.mkdir()
            (new / "x.yaml").write_text("x: 1\n")
            folders.append(str(new.relative_to(repo)))
        elif action == "remove" and (victim := some_file()) is not None:
            victim.unlink()
        elif action == "stage" and (chosen := some_file()) is not None:
            _git(repo, "add", "-A", str(chosen.relative_to(repo)))
        elif action == "commit":
            _git(repo, "add", "-A")
            _git(
                repo,
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "commit",
                "-qm",
                f"{step}",
                "--allow-empty",
            )
        elif action == "ignore":
            with (repo / ".gitignore").open("a") as ignore:
                ignore.write(f"f{rng.randrange(step + 1)}.yaml\n")
        elif action == "swap" and (chosen := some_file()) is not None:
            chosen.unlink()  # a file replaced by a folder of the same name
            chosen.mkdir()
            (chosen / "inside.yaml").write_text("x: 1\n")
            folders.append(str(chosen.relative_to(repo)))
        time.sleep(0.01)  # a filesystem whose clock ticks coarsely must see each change
        assert _ours(repo) == _truth(repo), f"step {step}: {action}"


def test_a_run_in_a_repository_without_gitignore_leaves_git_status_clean(tmp_path: Path) -> None:
    """The cache lives inside `.git/` and touches nothing in the work tree: a root
    `.gitignore` of `*` (written once by mistake beside the kept listings) would hide every
    new file of the repository from git."""
    from conftest import BASE, commit_all, run_cli

    root = tmp_path / "repo"
    shutil.copytree(BASE, root, ignore=shutil.ignore_patterns(FOLDER))
    assert not (root / ".gitignore").exists()
    commit_all(root, "base")
    for command in ("validate", "score", "validate"):
        assert run_cli(command, cwd=root).returncode == 0
    assert (Path(cache_folder(root)) / untracked.STATE).exists()  # kept listings written
    assert not (root / FOLDER).exists()
    assert not (root / ".gitignore").exists()
    assert _git(root, "status", "--porcelain", "--untracked-files=all") == ""
    (root / "cycles/2026-h2/goals/new.yaml").write_text("owner: new\n")
    assert "cycles/2026-h2/goals/new.yaml" in _git(root, "status", "--porcelain", "-uall")
