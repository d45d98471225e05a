"""The site reads every check-in timeline of a cycle from git in one pass; it must give what
`perfloop.history.checkin_timeline` gives person by person, on a history with branches, an
evil merge, a deletion, a file that does not parse at one commit and uncommitted edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import git

from conftest import BASE
from perfloop.history import checkin_timeline
from perfloop.site.history import cycle_timelines
from perfloop.site.loading import load_for_site

CYCLE = "2026-h2"
GOALS = f"cycles/{CYCLE}/goals"


def commit(repo: git.Repo, message: str, date: str) -> None:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    repo.git.add("-A")
    with repo.git.custom_environment(**env):
        repo.git.commit("-m", message, "--author", "Henry <henry@example.com>")


def edit(root: Path, person: str, old: str, new: str) -> None:
    file = root / GOALS / f"{person}.yaml"
    text = file.read_text()
    assert old in text, (person, old)
    file.write_text(text.replace(old, new, 1))


def history_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, "Start", "2026-07-01T09:00:00")
    edit(root, "bob", "current: 9", "current: 10")
    commit(repo, "bob checks in", "2026-08-01T09:00:00")
    repo.git.checkout("-b", "side")
    edit(root, "alice", "current: 99.8", "current: 99.85")
    commit(repo, "side: alice", "2026-08-10T09:00:00")
    repo.git.checkout("main")
    edit(root, "bob", "target: 12", "target: 13")
    commit(repo, "main: bob's target", "2026-08-12T09:00:00")
    repo.git.merge("side", "--no-commit", "--no-ff", with_exceptions=False)
    edit(root, "bob", "current: 10", "current: 12")  # differs from both parents
    commit(repo, "Merge side", "2026-08-15T09:00:00")
    (root / GOALS / "sam.yaml").write_text("owner: sam\nobjectives: [\n")  # does not parse
    commit(repo, "sam breaks his file", "2026-08-20T09:00:00")
    shutil.copy(BASE / GOALS / "sam.yaml", root / GOALS)
    commit(repo, "sam fixes it", "2026-08-21T09:00:00")
    (root / GOALS / "sam.yaml").unlink()
    commit(repo, "sam leaves", "2026-08-22T09:00:00")
    shutil.copy(BASE / GOALS / "sam.yaml", root / GOALS)
    commit(repo, "sam is back", "2026-08-23T09:00:00")
    edit(root, "alice", "current: 99.85", "current: 99.9")  # not committed
    return root


def test_one_pass_equals_person_by_person(tmp_path: Path) -> None:
    root = history_repo(tmp_path)
    data, _ = load_for_site(root, CYCLE, restricted=False)
    assert data is not None
    batch = cycle_timelines(root, CYCLE, data.documents)
    people = sorted(p.stem for p in (root / GOALS).glob("*.yaml"))
    assert sorted(batch) == people
    for person in people:
        assert batch[person] == checkin_timeline(root, CYCLE, person), person
    assert [v for _, v, _ in batch["bob"]["bob/o1/kr1"]] == [9, 10, 12]


def test_repository_in_a_subfolder(tmp_path: Path) -> None:
    top = tmp_path / "top"
    top.mkdir()
    root = top / "perf"
    shutil.copytree(BASE, root)
    repo = git.Repo.init(top, initial_branch="main")
    commit(repo, "Start", "2026-07-01T09:00:00")
    edit(root, "bob", "current: 9", "current: 10")
    commit(repo, "bob checks in", "2026-08-01T09:00:00")
    data, _ = load_for_site(root, CYCLE, restricted=False)
    batch = cycle_timelines(root, CYCLE, data.documents)
    for person in ("alice", "bob", "sam"):
        assert batch[person] == checkin_timeline(root, CYCLE, person), person
    assert [v for _, v, _ in batch["bob"]["bob/o1/kr1"]] == [9, 10]
