"""`perfloop status`: who owes what in the current phase, and what is overdue."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from perfloop.model import CycleData
from perfloop.status import owed, render
from perfloop.validation import validate_cycle
from sitebuild import add_minimal_site, main_text, mkdocs_build

CYCLE = "cycles/2026-h2"


def set_phase(repo: Path, phase: str) -> None:
    path = repo / CYCLE / "cycle.yaml"
    path.write_text(path.read_text().replace("phase: review", f"phase: {phase}"))


def load(repo: Path) -> CycleData:
    data = validate_cycle(repo, "2026-h2").data
    assert data is not None
    return data


def items(repo: Path, today: str) -> list[dict]:
    """What `status --json --today TODAY` lists (its "items"), from the core in-process."""
    return [i.to_json() for i in owed(load(repo), dt.date.fromisoformat(today))]


def text(repo: Path, today: str) -> str:
    """What `status --today TODAY` prints."""
    data, day = load(repo), dt.date.fromisoformat(today)
    return render(data, owed(data, day), day)


def test_review_phase_lists_missing_reviews_by_relation(base_repo: Path) -> None:
    owed = items(base_repo, "2026-12-15")
    reviews = {(i["who"][0], i["subject"], i["relation"]) for i in owed if i["what"] == "review"}
    assert reviews == {
        ("carol", "carol", "self"),
        ("dave", "dave", "self"),
        ("carol", "dave", "manager"),
        ("carol", "alice", "skip_level"),
        ("bob", "bob", "self"),
        ("carol", "bob", "skip_level"),
        ("alice", "bob", "peer"),
        ("sam", "sam", "self"),
        ("carol", "sam", "manager"),
        ("henry", "henry", "self"),
        ("carol", "henry", "manager"),
    }  # upward reviews weigh 0 in the engineering template: not owed
    goals = sorted(i["who"][0] for i in owed if i["what"] == "goals")
    assert goals == ["carol", "dave", "henry"]
    incomplete = sorted(i["subject"] for i in owed if i["what"] == "incomplete")
    assert incomplete == ["carol", "dave", "henry", "sam"]
    review = next(i for i in owed if i["relation"] == "peer")
    assert (review["due"], review["overdue_days"], review["department"]) == (
        "2026-12-10",
        5,
        "platform",
    )

    shown = text(base_repo, "2026-12-15")
    assert shown.startswith(
        "Cycle 2026-h2, phase review (today 2026-12-15; review due 2026-12-10, 5 day(s) ago)"
    )
    assert "  alice: review: peer review of bob  OVERDUE by 5 day(s), due 2026-12-10" in shown
    assert "  sam: incomplete: sam has no final score: lacks manager review" in shown
    assert "Platform (platform)\n" in shown and "Sales (sales)\n" in shown

    before = items(base_repo, "2026-12-01")
    assert all(i["overdue_days"] == 0 for i in before if i["phase"] == "review")


def test_execution_phase_lists_stale_checkins(base_repo: Path) -> None:
    set_phase(base_repo, "execution")
    owed = items(base_repo, "2026-10-01")
    checkins = {i["who"][0]: i for i in owed if i["what"] == "check-in"}
    assert set(checkins) == {"alice", "bob", "sam"}
    # alice: last check-in 2026-09-15, interval 14 -> due 2026-09-29, 2 days late
    assert checkins["alice"]["detail"] == "last check-in 2026-09-15, 16 days ago"
    assert (checkins["alice"]["due"], checkins["alice"]["overdue_days"]) == ("2026-09-29", 2)
    # bob never checked in: counted from the period start (2026-07-01)
    assert (checkins["bob"]["detail"], checkins["bob"]["due"]) == ("no check-in yet", "2026-07-15")
    assert not any(i["what"] in ("review", "incomplete") for i in owed)
    # two weeks after alice's last check-in she owes nothing yet
    owed = items(base_repo, "2026-09-29")
    assert "alice" not in {i["who"][0] for i in owed if i["what"] == "check-in"}


def test_too_few_peers_are_a_warning_and_owed_in_planning(base_repo: Path) -> None:
    """A template's `peers.min`: a goals file short of peers is a warning, and in planning
    `status` lists the person (so `cycle advance` waits for them)."""
    goals = base_repo / CYCLE / "goals" / "bob.yaml"
    goals.write_text(goals.read_text().replace("peers: [alice]\n", ""))
    set_phase(base_repo, "planning")
    owed = items(base_repo, "2026-07-05")
    peers = [i for i in owed if i["what"] == "peers"]
    assert [(i["who"], i["detail"]) for i in peers] == [
        (["bob"], "0 of at least 1 peers proposed in goals/bob.yaml")
    ]
    code, checked = validate(base_repo)
    assert code == 0, checked
    assert (
        "cycles/2026-h2/goals/bob.yaml:1:1: warning: 0 peers proposed; template engineering "
        "asks for at least 1" in checked
    )
    set_phase_from(base_repo, "planning", "execution")
    code, checked = validate(base_repo)
    assert code == 0
    assert "goals/bob.yaml:1:1: warning: 0 peers proposed" in checked
    owed = items(base_repo, "2026-07-05")
    assert not [i for i in owed if i["what"] == "peers"]  # owed in planning only


def validate(repo: Path) -> tuple[int, str]:
    """What `perfloop validate` decides and prints: (1 with errors else 0, the problems)."""
    problems = validate_cycle(repo, "2026-h2").problems
    return int(any(p.is_error for p in problems)), "\n".join(p.format() for p in problems)


def set_phase_from(repo: Path, old: str, new: str) -> None:
    path = repo / CYCLE / "cycle.yaml"
    path.write_text(path.read_text().replace(f"phase: {old}", f"phase: {new}"))


def test_calibration_phase_lists_missing_files_and_department_filter(base_repo: Path, cli) -> None:
    set_phase(base_repo, "calibration")
    owed = items(base_repo, "2026-12-21")
    files = {
        (i["subject"], tuple(i["who"]), i["overdue_days"])
        for i in owed
        if i["what"] == "calibration"
    }
    assert files == {("eng", ("carol",), 1), ("sales", ("sam",), 1)}
    (base_repo / CYCLE / "calibration").mkdir(exist_ok=True)
    (base_repo / CYCLE / "calibration/eng.yaml").write_text(
        "ratings:\n  alice: {rating: C}\n  bob: {rating: B}\n"
    )
    owed = items(base_repo, "2026-12-21")
    assert [i["subject"] for i in owed if i["what"] == "calibration"] == ["sales"]
    only = json.loads(
        cli(
            "status", "--json", "--today", "2026-12-21", "--department", "sales", cwd=base_repo
        ).stdout
    )["items"]
    assert {i["department"] for i in only} == {"sales"}


def test_closed_cycle_owes_nothing(base_repo: Path) -> None:
    set_phase(base_repo, "closed")
    assert items(base_repo, "2027-01-10") == []
    assert "The cycle is closed." in text(base_repo, "2027-01-10")


def test_a_file_left_out_is_owed_a_fix_not_what_its_absence_suggests(base_repo: Path, cli) -> None:
    """dave's review of bob has a typo: dave owes its fix, not a "manager review of bob",
    and bob (whose score waits for it) is not listed incomplete; everything else stands."""
    review = base_repo / CYCLE / "reviews/bob/dave.yaml"
    review.write_text("ratings: {impact: three, collaboration: 3}\n")
    result = cli("status", "--json", "--today", "2026-12-15", cwd=base_repo)
    assert result.returncode == 1
    owed = json.loads(result.stdout)["items"]
    fixes = [(i["who"], i["detail"]) for i in owed if i["what"] == "fix"]
    assert fixes == [
        (
            ["dave"],
            "reviews/bob/dave.yaml has errors and is left out "
            f"(run `perfloop validate {CYCLE}/reviews/bob/dave.yaml`)",
        )
    ]
    assert not [i for i in owed if i["subject"] == "bob" and i["relation"] == "manager"]
    assert sorted(i["subject"] for i in owed if i["what"] == "incomplete") == [
        "carol",
        "dave",
        "henry",
        "sam",
    ]
    assert sorted(i["who"][0] for i in owed if i["what"] == "goals") == ["carol", "dave", "henry"]


def test_execution_lists_plan_tasks_past_due_and_not_done(base_repo: Path) -> None:
    """A plan task's due date is tracked: past it and not `done: true`, the person owes it;
    a task marked done, or one not due yet, is not listed."""
    set_phase(base_repo, "execution")
    goals = base_repo / CYCLE / "goals" / "alice.yaml"
    goals.write_text(
        goals.read_text().replace(
            "standard: zero data loss}",
            "standard: zero data loss}\n"
            "  - {task: Write the runbook, due: 2026-09-01, done: true}\n"
            "  - {task: Train the on-call rota, due: 2026-11-30}",
        )
    )
    owed = items(base_repo, "2026-10-05")
    tasks = [i for i in owed if i["what"] == "plan task"]
    assert [(i["who"], i["due"], i["overdue_days"], i["department"]) for i in tasks] == [
        (["alice"], "2026-09-30", 5, "platform")
    ]
    assert tasks[0]["detail"] == (
        '"Migrate payments to the new queue" in goals/alice.yaml is not marked done'
    )
    assert (
        '  alice: plan task: "Migrate payments to the new queue" in goals/alice.yaml is not '
        "marked done  OVERDUE by 5 day(s), due 2026-09-30"
    ) in text(base_repo, "2026-10-05")

    # marked done in a check-in: no longer owed
    goals.write_text(
        goals.read_text().replace(
            "standard: zero data loss}", "standard: zero data loss, done: true}"
        )
    )
    assert not [i for i in items(base_repo, "2026-10-05") if i["what"] == "plan task"]
    # in review the plan is the reviewers' to judge, not a to-do
    set_phase_from(base_repo, "execution", "review")
    goals.write_text(goals.read_text().replace(", done: true}", "}", 1))
    assert not [i for i in items(base_repo, "2026-12-15") if i["what"] == "plan task"]


def test_the_site_shows_a_late_plan_task_on_the_persons_page(base_repo: Path) -> None:
    """The person page marks a plan task past due and not done as overdue (as of the day the
    site is built); a task not due yet stays as it was."""
    set_phase(base_repo, "execution")
    goals = base_repo / CYCLE / "goals" / "alice.yaml"
    goals.write_text(
        goals.read_text().replace(
            "standard: zero data loss}",
            "standard: zero data loss}\n  - {task: Train the on-call rota, due: 2999-12-31}",
        )
    )
    done = mkdocs_build(add_minimal_site(base_repo))
    assert done.returncode == 0, done.stderr
    pages = [p for p in (base_repo / "public").rglob("index.html") if "alice" in p.parts]
    text = " ".join(main_text(p) for p in pages)
    assert "Migrate payments to the new queue 2026-09-30 zero data loss overdue" in text
    assert "Train the on-call rota 2999-12-31 not done" not in text  # no status: done absent
    assert "Train the on-call rota 2999-12-31 overdue" not in text
