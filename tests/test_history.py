"""`perfloop history` and `checkin_timeline`: the audit trail from a real git history with a
merge commit (#7) and a squash merge (#9)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import git

from conftest import BASE, run_cli
from perfloop.history import checkin_timeline, history

CYCLE = "cycles/2026-h2"
ALICE = f"{CYCLE}/goals/alice.yaml"


def commit(repo: git.Repo, message: str, who: str, date: str) -> str:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    repo.git.add("-A")
    with repo.git.custom_environment(**env):
        repo.git.commit("-m", message, "--author", f"{who} <{who}@example.com>")
    return repo.head.commit.hexsha


def replace(root: Path, rel: str, old: str, new: str) -> None:
    file = root / rel
    assert old in file.read_text()
    file.write_text(file.read_text().replace(old, new, 1))


def build(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    cycle = root / CYCLE / "cycle.yaml"
    cycle.write_text(re.sub(r"(?m)^phase: \w+", "phase: planning", cycle.read_text()))
    repo = git.Repo.init(root, initial_branch="main")
    shas = {"base": commit(repo, "Start H2", "henry", "2026-07-01T09:00:00")}
    # PR #7, merged with a merge commit: alice raises her target in planning
    repo.git.checkout("-b", "alice/goals")
    replace(root, ALICE, "target: 99.95", "target: 99.97")
    shas["goals"] = commit(repo, "Raise the availability target", "alice", "2026-07-05T10:00:00")
    repo.git.checkout("main")
    with repo.git.custom_environment(
        GIT_COMMITTER_DATE="2026-07-06T10:00:00", GIT_AUTHOR_DATE="2026-07-06T10:00:00"
    ):
        repo.git.merge(
            "--no-ff", "alice/goals", "-m", "Merge pull request #7 from northwind/alice/goals"
        )
    # HR moves to execution
    cycle.write_text(cycle.read_text().replace("phase: planning", "phase: execution"))
    commit(repo, "Execution phase", "henry", "2026-07-16T09:00:00")
    # PR #9, squash-merged: a check-in
    replace(root, ALICE, "current: 99.8,", "current: 99.9,")
    with open(root / ALICE, "a") as handle:
        handle.write("  - {date: 2026-09-30, values: {o1/kr1: 99.9}, confidence: 0.9}\n")
    shas["checkin"] = commit(repo, "September check-in (#9)", "alice", "2026-10-01T08:00:00")
    # an unrelated change, not in alice's history
    replace(root, f"{CYCLE}/goals/bob.yaml", "current: 9}", "current: 10}")
    commit(repo, "bob: check-in (#10)", "bob", "2026-10-02T08:00:00")
    return root, shas


def changes(root: Path, person: str, cycle_id: str | None = None) -> list[dict]:
    """`history PERSON [--cycle ID] --json`'s "changes", from the core in-process."""
    return [e.to_json() for e in history(root, person, cycle_id)]


def test_history_lists_commits_prs_and_kinds(tmp_path: Path) -> None:
    root, shas = build(tmp_path)
    out = {"changes": changes(root, "alice", "2026-h2")}
    goals = [
        (c["commit"], c["pr"], c["kind"], c["author"]) for c in out["changes"] if c["path"] == ALICE
    ]
    assert goals == [
        (shas["base"], None, "cycle", "henry"),  # the cycle's first commit
        (shas["goals"], 7, "goals", "alice"),  # planning: any change is `goals`
        (shas["checkin"], 9, "checkin", "alice"),  # execution: progress fields only
    ]
    # reviews of alice (by alice, bob, dave, sam) and by alice (of bob? none) are listed too
    reviews = sorted(c["path"] for c in out["changes"] if "/reviews/" in c["path"])
    assert reviews == [f"{CYCLE}/reviews/alice/{r}.yaml" for r in ("alice", "bob", "dave", "sam")]
    assert out["changes"][-1]["date"].startswith("2026-10-01T08:00:00")


def test_checkin_timeline_of_each_key_result(tmp_path: Path) -> None:
    root, shas = build(tmp_path)
    timeline = checkin_timeline(root, "2026-h2", "alice")
    # first commit: each of its (back-dated) check-ins is a point of its own
    assert timeline["alice/o1/kr1"] == [
        (dt.date(2026, 8, 1), 99.6, shas["base"]),
        (dt.date(2026, 9, 15), 99.8, shas["base"]),
        (dt.date(2026, 9, 30), 99.9, shas["checkin"]),
    ]
    assert timeline["alice/o1/kr2"] == [(dt.date(2026, 7, 1), False, shas["base"])]
    assert timeline["alice/o2/kr1"] == [(dt.date(2026, 9, 15), 450, shas["base"])]


def test_timeline_outside_git_uses_the_checkins(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    shutil.copytree(BASE, root)
    os.environ.pop("GIT_DIR", None)
    timeline = checkin_timeline(root, "2026-h2", "alice")
    assert timeline["alice/o1/kr1"] == [
        (dt.date(2026, 8, 1), 99.6, ""),
        (dt.date(2026, 9, 15), 99.8, ""),
    ]


def test_text_output(tmp_path: Path) -> None:
    root, shas = build(tmp_path)
    result = run_cli("history", "alice", cwd=root)
    assert result.returncode == 0, result.stderr
    assert f"2026-10-01  {shas['checkin'][:10]}     #9  checkin" in result.stdout
    assert "alice/o1/kr1: 2026-08-01 99.6, 2026-09-15 99.8, 2026-09-30 99.9\n" in result.stdout
    assert "alice/o1/kr2: 2026-07-01 false\n" in result.stdout  # a milestone, as YAML says it


CAROL = f"{CYCLE}/goals/carol.yaml"
CAROL_GOALS = """\
owner: carol
objectives:
  - id: o1
    title: Hire the team
    key_results:
      - {id: kr1, title: Engineers hired, start: 0, target: 100}
"""


def test_back_dated_checkins_and_later_values_are_merged_by_date(tmp_path: Path) -> None:
    """Goals committed late (value at start), check-ins back-dated in a later commit: the
    line ends where the key result is, not at the late commit's start value."""
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, "Start H2", "henry", "2026-07-01T09:00:00")
    (root / CAROL).write_text(CAROL_GOALS)
    late = commit(repo, "carol: goals, late", "carol", "2026-12-01T09:00:00")
    back = CAROL_GOALS.replace("target: 100}", "target: 100, current: 87}") + (
        "checkins:\n"
        "  - {date: 2026-09-01, values: {o1/kr1: 50}}\n"
        "  - {date: 2026-11-01, values: {o1/kr1: 87}}\n"
    )
    (root / CAROL).write_text(back)
    filled = commit(repo, "carol: the autumn's check-ins", "carol", "2026-12-02T09:00:00")
    timeline = checkin_timeline(root, "2026-h2", "carol")
    assert timeline["carol/o1/kr1"] == [
        (dt.date(2026, 9, 1), 50, filled),
        (dt.date(2026, 11, 1), 87, filled),
        (dt.date(2026, 12, 1), 0, late),  # what the file said that day
        (dt.date(2026, 12, 2), 87, filled),  # and what it says since: the line ends here
    ]
    text = run_cli("history", "carol", cwd=root).stdout
    assert "carol/o1/kr1: 2026-09-01 50, 2026-11-01 87, 2026-12-01 0, 2026-12-02 87\n" in text


def test_one_commit_with_reviews_of_two_subjects_labels_each(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    repo = git.Repo.init(root, initial_branch="main")
    commit(repo, "Start H2 (review phase)", "henry", "2026-11-01T09:00:00")
    reviews = root / CYCLE / "reviews"
    (reviews / "alice/alice.yaml").write_text("ratings: {impact: 3, collaboration: 3}\n")
    (reviews / "bob/alice.yaml").write_text("ratings: {impact: 4, collaboration: 5}\n")
    sha = commit(repo, "alice: my self-review and bob's peer review", "alice", "2026-12-01T09:00")
    kinds = {c["path"]: c["kind"] for c in changes(root, "alice") if c["commit"] == sha}
    assert kinds == {
        f"{CYCLE}/reviews/alice/alice.yaml": "self_review",
        f"{CYCLE}/reviews/bob/alice.yaml": "peer_review",  # bob's goals name alice a peer
    }


def test_unknown_person_is_a_usage_error(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    result = run_cli("history", "nobody", cwd=root)
    assert result.returncode == 2
    assert "no person 'nobody'" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("history", "alice", "--cycle", "2026-h2", cwd=root).returncode == 0


def test_calibration_changes_are_in_the_history_of_whom_they_rate(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    repo = git.Repo(root)
    calibration = root / CYCLE / "calibration" / "eng.yaml"
    calibration.parent.mkdir()
    calibration.write_text("ratings:\n  alice: {rating: B}\n  bob: {rating: B}\n")
    first = commit(repo, "Calibration of eng (#12)", "henry", "2026-12-20T09:00:00")
    calibration.write_text(
        "ratings:\n  alice: {rating: A, reason: Led the outage response}\n  bob: {rating: B}\n"
    )
    second = commit(repo, "alice to A (#13)", "henry", "2026-12-21T09:00:00")
    path = f"{CYCLE}/calibration/eng.yaml"

    def of(person: str) -> list[tuple[str, int | None, str]]:
        return [
            (c["commit"], c["pr"], c["kind"]) for c in changes(root, person) if c["path"] == path
        ]

    assert of("alice") == [(first, 12, "calibration"), (second, 13, "calibration")]
    assert of("bob") == [(first, 12, "calibration")]  # the second did not rate him anew
    assert of("sam") == []  # not in the file
