"""`perfloop checkin`: values set, one entry appended, the rest of the file untouched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import run_cli
from perfloop.checkin import CheckinError, apply_checkin, parse_assignments
from perfloop.model import CycleData
from perfloop.validation import validate_cycle
from perfloop.writes import write_checked

GOALS = "cycles/2026-h2/goals/bob.yaml"


def load(repo: Path) -> CycleData:
    """The cycle, free of errors."""
    result = validate_cycle(repo, "2026-h2")
    assert not [p.format() for p in result.problems if p.is_error]
    assert result.data is not None
    return result.data


def checkin(
    repo: Path,
    values: list[str],
    date: str,
    note: str | None = None,
    confidence: float | None = None,
    blockers: str | None = None,
) -> None:
    """bob's check-in as `perfloop checkin bob VALUES…` makes it, in-process: the values
    parsed against his goals, the file edited, the cycle as it will be checked, written."""
    goals = load(repo).goals["bob"]
    source = (repo / GOALS).read_text(encoding="utf-8")
    assignments = parse_assignments(goals, values)
    day = dt.date.fromisoformat(date)
    text = apply_checkin(source, goals, assignments, day, confidence, note, blockers)
    outcome = write_checked(repo, "2026-h2", {"goals/bob.yaml": text})
    assert outcome.ok, [p.format() for p in outcome.added]


COMMENTED = """\
# Bob's goals: agreed with Dave on 2026-07-10.
owner: bob
objectives:
  - id: o1
    title: Observability for checkout   # the team's top priority
    aligns_to: platform/o1
    key_results:
      - {id: kr1, title: Services with SLO dashboards, target: 12, current: 9}
      - id: kr2
        type: milestone
        title: Alert runbooks
        done: false
      - {id: kr3, title: Quality of the runbooks, score: 0.5}
peers: [alice]
kpis:  # targets from the team plan
  incidents: {target: 1, actual: 1}
  availability: {target: 99.9, actual: 99.8}
checkins:
  - date: 2026-08-01
    values: {o1/kr1: 9}
    note: "Started"
"""

EXPECTED = """\
# yaml-language-server: $schema=../../../public/schemas/goals.schema.json
# Bob's goals: agreed with Dave on 2026-07-10.
owner: bob
objectives:
  - id: o1
    title: Observability for checkout   # the team's top priority
    aligns_to: platform/o1
    key_results:
      - {id: kr1, title: Services with SLO dashboards, target: 12, current: 10.5}
      - id: kr2
        type: milestone
        title: Alert runbooks
        done: true
      - {id: kr3, title: Quality of the runbooks, score: 0.8}
peers: [alice]
kpis:  # targets from the team plan
  incidents: {target: 1, actual: 1}
  availability: {target: 99.9, actual: 99.95}
checkins:
  - date: 2026-08-01
    values: {o1/kr1: 9}
    note: "Started"
  - date: 2026-09-15
    values:
      o1/kr1: 10.5
      o1/kr2: true
      o1/kr3: 0.8
    confidence: 0.7
    note: Dashboards for the payment services
    blockers: Waiting for the new metrics pipeline
"""


@pytest.fixture
def repo(base_repo: Path) -> Path:
    (base_repo / GOALS).write_text(COMMENTED)
    load(base_repo)  # a valid cycle
    return base_repo


def test_checkin_keeps_comments_and_key_order(repo: Path) -> None:
    checkin(
        repo,
        ["o1/kr1=10.5", "o1/kr2=done", "o1/kr3=0.8", "kpi:availability=99.95"],
        "2026-09-15",
        note="Dashboards for the payment services",
        confidence=0.7,
        blockers="Waiting for the new metrics pipeline",
    )
    assert (repo / GOALS).read_text() == EXPECTED


FLUSH = """\
owner: bob
objectives:
- id: o1
  title: Observability for checkout
  aligns_to: platform/o1
  key_results:
  - {id: kr1, title: Services with SLO dashboards, target: 12, current: 9}
peers: [alice]
kpis:
  incidents: {target: 1, actual: 1}
  availability: {target: 99.9, actual: 99.8}
checkins:
- date: 2026-08-01
  values: {o1/kr1: 9}
"""


def test_lists_written_at_their_keys_indentation_stay_there(base_repo: Path) -> None:
    # the layout of files perfloop drafts from plain data (`cycle new`, `goals new`)
    (base_repo / GOALS).write_text(FLUSH)
    checkin(base_repo, ["o1/kr1=10"], "2026-09-01")
    header = "# yaml-language-server: $schema=../../../public/schemas/goals.schema.json\n"
    after = FLUSH.replace("current: 9}", "current: 10}")
    expected = f"{header}{after}- date: 2026-09-01\n  values:\n    o1/kr1: 10\n"
    assert (base_repo / GOALS).read_text() == expected  # the diff is the check-in alone


def test_a_note_alone_is_a_checkin(repo: Path) -> None:
    result = run_cli("checkin", "bob", "--note", "On track", "--date", "2026-09-01", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert (repo / GOALS).read_text().endswith("  - date: 2026-09-01\n    note: On track\n")


def test_first_checkin_starts_the_list(base_repo: Path) -> None:
    result = run_cli("checkin", "bob", "o1/kr1=10", "--date", "2026-08-01", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {GOALS}\n"
    text = (base_repo / GOALS).read_text()
    assert text.endswith("checkins:\n  - date: 2026-08-01\n    values:\n      o1/kr1: 10\n")
    assert "target: 12, current: 10}" in text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["o1/kr9=3"], "o1/kr9 is not a key result of bob's goals"),
        (["o1/kr2=3"], "o1/kr2 is a milestone: give done (true) or false"),
        (["o1/kr3=1.5"], "o1/kr3 is graded by hand: give a score in [0, 1]"),
        (["o1/kr1=lots"], "o1/kr1: 'lots' is not a number"),
        (["o1/kr1"], "write OBJECTIVE/KR=VALUE or kpi:ID=VALUE"),
        (["kpi:uptime=3"], "bob has no KPI 'uptime'"),
    ],
)
def test_bad_values_are_refused_with_what_is_wrong(
    repo: Path, values: list[str], message: str
) -> None:
    with pytest.raises(CheckinError) as refused:
        parse_assignments(load(repo).goals["bob"], values)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["o1/kr9=3"], "o1/kr9 is not a key result of bob's goals"),  # any bad value, above
        (["o1/kr1=3", "--date", "2026-07-31"], "the last check-in is of 2026-08-01"),
        ([], "give at least one KR=VALUE"),
    ],
)
def test_bad_arguments_are_usage_errors(repo: Path, args: list[str], message: str) -> None:
    result = run_cli("checkin", "bob", *args, cwd=repo)
    assert result.returncode == 2
    assert message in result.stderr
    assert (repo / GOALS).read_text() == COMMENTED


def test_no_checkin_in_calibration(repo: Path) -> None:
    cycle = repo / "cycles/2026-h2/cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    result = run_cli("checkin", "bob", "o1/kr1=10", cwd=repo)
    assert result.returncode == 1 and "phase calibration" in result.stderr
    assert (repo / GOALS).read_text() == COMMENTED


def test_person_without_goals(base_repo: Path) -> None:
    result = run_cli("checkin", "carol", "o1/kr1=1", cwd=base_repo)
    assert result.returncode == 2 and "carol has no goals file" in result.stderr
    result = run_cli("checkin", "nobody", "o1/kr1=1", cwd=base_repo)
    assert result.returncode == 2 and "not in org.yaml" in result.stderr


def test_someone_elses_broken_file_does_not_block_a_checkin(repo: Path) -> None:
    sam = repo / "cycles/2026-h2/goals/sam.yaml"
    sam.write_text(sam.read_text() + "bogus: 1\n")
    result = run_cli("checkin", "bob", "o1/kr1=10", "--date", "2026-09-01", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "1 error(s) in other files" in result.stderr
    assert "current: 10}" in (repo / GOALS).read_text()


def test_a_broken_goals_file_is_not_checked_into(repo: Path) -> None:
    broken = COMMENTED.replace("peers: [alice]", "peers: [alice]\nbogus: 1")
    (repo / GOALS).write_text(broken)
    result = run_cli("checkin", "bob", "o1/kr1=10", cwd=repo)
    assert result.returncode == 1
    assert f"{GOALS}:15:1: error:" in result.stderr and "bogus" in result.stderr
    assert (repo / GOALS).read_text() == broken


def test_the_validate_after_a_checkin_takes_the_verdict_the_write_checked(repo: Path) -> None:
    """A check-in checks the cycle as it will be; the `validate` that follows (locally or in
    CI) finds that verdict instead of checking 70,000 files again at 10,000 people, and
    says what an uncached run says."""
    from perfloop.speed.verdict import folder

    result = run_cli("checkin", "bob", "o1/kr1=11", "--date", "2026-09-20", cwd=repo)
    assert result.returncode == 0, result.stderr
    stored = set(folder(repo).glob("*"))
    validated = run_cli("validate", cwd=repo)
    assert set(folder(repo).glob("*")) == stored
    fresh = run_cli("validate", cwd=repo, env={"PERFLOOP_CACHE": "0"})
    assert (validated.returncode, validated.stdout) == (fresh.returncode, fresh.stdout)
    assert validated.returncode == 0
