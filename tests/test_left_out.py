"""One mistake, one error: a file left out of the model for its own errors is reported once,
and nothing that follows from its absence is (calibration, completeness, coverage, status,
references), whether the check is cold, answered from the cache, or a pull request's; and
the reports keep working for everyone else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import AS_HR, EXAMPLE_CYCLE, commit_all, run_cli

EXAMPLE = f"cycles/{EXAMPLE_CYCLE}"
BASE = "cycles/2026-h2"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(repo: Path, *args: str, cache: bool = True) -> list[str]:
    """`perfloop validate ARGS` problem lines (it must not crash)."""
    env = None if cache else {"PERFLOOP_CACHE": "0"}
    result = run_cli("validate", "-q", *args, cwd=repo, env=env)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout.splitlines()


def check_lines(repo: Path) -> list[str]:
    """The problems a pull request's check (against HEAD) reports."""
    result = run_cli("check", "--base", "HEAD", "--author", "henryp", "--json", cwd=repo)
    assert "Traceback" not in result.stderr, result.stderr
    return sorted(
        f"{e['path']}:{e['line']}: {e['message']}" for e in json.loads(result.stdout)["errors"]
    )


# --- the example repository, one typo (issue 20, item 3) -------------------------------------


@pytest.fixture
def typo(example_repo: Path) -> tuple[Path, list[str]]:
    """The example, committed and validated (its verdict stored, as after a pull), then
    `current: one` in alice's goals; with the problems of the clean example."""
    commit_all(example_repo, "example")
    clean = problems(example_repo)
    edit(example_repo / EXAMPLE / "goals/alice.yaml", "current: 99.97", "current: one")
    return example_repo, clean


def test_a_typo_is_one_error_and_adds_no_warning(typo: tuple[Path, list[str]]) -> None:
    repo, clean = typo
    alice = f"{EXAMPLE}/goals/alice.yaml"
    for found in (problems(repo), problems(repo, cache=False)):  # warm (derived), cold
        errors = [line for line in found if " error: " in line]
        assert errors == [
            f"{alice}:13:9: error: objectives[0].key_results[0].current: expected a number, "
            "got text 'one'"
        ]
        # no calibration quota, no "incomplete (lacks goals)", no coverage warning
        assert [line for line in found if " warning: " in line] == clean
    # `validate PATH` agrees with `validate` on the file
    assert problems(repo, alice) == [line for line in problems(repo) if line.startswith(alice)]
    checked = check_lines(repo)  # the phase forbids the change too: also said on the file
    assert {line.split(":")[0] for line in checked} == {alice}, checked
    assert (
        f"{alice}:13: objectives[0].key_results[0].current: expected a number, got text 'one'"
        in checked
    )


def test_reports_cover_everyone_else_and_mark_the_left_out(
    typo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """tree, status, score, calibrate and export print their report, mark alice as left
    out, say so in one line on stderr, and exit 1; JSON stays JSON. Read as HR: the
    example's reviews and calibration are sealed."""
    repo, _ = typo
    note = (
        f"perfloop: cycle {EXAMPLE_CYCLE} has 1 error(s); left out of this report for their "
        "own errors: goals/alice.yaml; run `perfloop validate`\n"
    )
    reports = {
        ("tree",): "(left out: goals/alice.yaml has errors; see perfloop validate)",
        ("status",): "alice: fix: goals/alice.yaml has errors and is left out",
        ("score",): "alice: lacks a valid goals/alice.yaml",
        ("calibrate", "--group", "eng"): "FLAG: provisional: alice cannot be scored while "
        "goals/alice.yaml has errors; the quotas count the 11 complete member(s)",
        ("export",): "a valid goals/alice.yaml",
    }
    for args, mark in reports.items():
        result = run_cli(*args, cwd=repo, env=AS_HR)
        assert result.returncode == 1, (args, result.stderr)
        assert mark in result.stdout, (args, result.stdout)
        assert result.stderr.endswith(note), (args, result.stderr)
        others = "no calibration/" if args == ("status",) else "ben-carter"
        assert others in result.stdout.lower().replace("ben carter", "ben-carter")
    for args in (
        ("tree", "--json"),
        ("status", "--json"),
        ("score", "--json"),
        ("calibrate", "--json"),
    ):
        result = run_cli(*args, cwd=repo, env=AS_HR)
        assert result.returncode == 1 and result.stderr == note, (args, result.stderr)
        json.loads(result.stdout)
    people = {
        p["id"]: p
        for p in json.loads(run_cli("score", "--json", cwd=repo, env=AS_HR).stdout)["people"]
    }
    assert people["alice"]["complete"] is False and people["ben-carter"]["complete"] is True
    groups = json.loads(run_cli("calibrate", "--json", cwd=repo, env=AS_HR).stdout)["groups"]
    eng = next(g for g in groups if g["id"] == "eng")
    assert eng["left_out"] == {"alice": "goals/alice.yaml"} and "alice" not in eng["proposed"]
    out = tmp_path / "r.xlsx"
    result = run_cli("export", "--format", "xlsx", "-o", str(out), cwd=repo, env=AS_HR)
    assert result.returncode == 1 and out.exists()


# --- what a left-out file may contribute to ----------------------------------------------------


CONTRIBUTING = {
    "departments/platform.yaml": (
        "      - {id: kr2, title: Retry queue shipped, type: milestone, done: false}\n",
        "      - {id: kr2, title: Retry queue shipped, type: milestone, done: false}\n"
        "      - {id: kr3, title: SLO dashboards, target: 20, aggregate: sum}\n",
    ),
    "goals/bob.yaml": (
        "target: 12, current: 9}",
        "target: 12, current: 9, contributes_to: platform/o1/kr3}",
    ),
    "goals/alice.yaml": (
        "current: 450, unit: ms, direction: lower}\n",
        "current: 450, unit: ms, direction: lower}\n"
        "      - {id: kr2, title: SLO dashboards, target: 8, current: 4, "
        "contributes_to: platform/o1/kr3}\n",
    ),
}


@pytest.mark.parametrize(
    "mistake",
    [("target: 8, current: 4", "target: 8, current: four"), ("owner: alice", "owner: [alice")],
    ids=["schema", "syntax"],
)
def test_a_left_out_contributor_leaves_no_under_coverage(
    base_repo: Path, mistake: tuple[str, str]
) -> None:
    """bob (12) and alice (8) add into platform/o1/kr3 (20). With alice's file left out,
    bob's 12 alone is no under-coverage: alice's file says it adds in; the pull request's
    check and a cold check agree."""
    for rel, (old, new) in CONTRIBUTING.items():
        edit(base_repo / BASE / rel, old, new)
    assert problems(base_repo) == []
    commit_all(base_repo, "base")
    problems(base_repo)  # the base's verdict, as CI restores it
    edit(base_repo / BASE / "goals/alice.yaml", *mistake)
    for found in (problems(base_repo), problems(base_repo, cache=False)):
        assert len(found) == 1 and found[0].startswith(f"{BASE}/goals/alice.yaml:"), found
    assert {line.split(":")[0] for line in check_lines(base_repo)} == {f"{BASE}/goals/alice.yaml"}
    # a file that does not claim to add in leaves the parent short, as before
    edit(base_repo / BASE / "goals/alice.yaml", "contributes_to: platform/o1/kr3", "unit: x")
    warned = problems(base_repo, cache=False)
    assert any("platform/o1/kr3 is under-covered" in line for line in warned), warned


def test_a_left_out_objectives_file_is_not_also_unresolved(base_repo: Path) -> None:
    """alice and bob align to platform/o1: a typo in departments/platform.yaml is its own
    error, not theirs too."""
    edit(base_repo / BASE / "departments/platform.yaml", "target: 99.95", "target: high")
    found = problems(base_repo)
    assert len(found) == 1 and found[0].startswith(f"{BASE}/departments/platform.yaml:"), found


def test_a_sum_short_of_a_left_out_contributor_is_not_scored(base_repo: Path) -> None:
    """bob's key result adds into alice's `aggregate: sum`: with bob's file left out,
    alice's sum (so her score, so her rating) is not known, and no calibration error may
    follow from a score computed without it."""
    goals = base_repo / BASE / "goals"
    edit(goals / "alice.yaml", 'current: 99.8, unit: "%"', 'unit: "%", aggregate: sum')
    edit(
        goals / "bob.yaml",
        "target: 12, current: 9}",
        'target: 12, current: 9, unit: "%", contributes_to: alice/o1/kr1}',
    )
    assert not [line for line in problems(base_repo) if " error: " in line]
    edit(goals / "bob.yaml", "current: 9,", "current: nine,")
    result = run_cli("score", cwd=base_repo)
    assert result.returncode == 1
    assert "  alice: lacks a valid goals/bob.yaml" in result.stdout
    assert "  bob: lacks a valid goals/bob.yaml" in result.stdout


def test_a_left_out_file_at_the_base_is_judged_alike_warm_and_cold(
    plain_example_repo: Path,
) -> None:
    """The typo is on the base (committed, its verdict stored); a change elsewhere, then the
    fix, are derived from that verdict (incremental.py) and must match a cold check: the
    group waits while alice is left out, and its quotas are checked once she is back. The
    example as a plain company: a sealed cycle is never derived from a verdict."""
    example_repo = plain_example_repo
    alice = example_repo / EXAMPLE / "goals/alice.yaml"
    edit(alice, "current: 99.97", "current: one")
    commit_all(example_repo, "a typo on the base")
    problems(example_repo)
    calibration = example_repo / EXAMPLE / "calibration/eng.yaml"
    edit(calibration, '  hugo:\n    rating: "A"', '  hugo:\n    rating: "S"')
    waiting = problems(example_repo)
    assert waiting == problems(example_repo, cache=False)
    on_file = [line.split(": ", 2)[1:] for line in waiting if "calibration/eng.yaml" in line]
    assert on_file == [
        [
            "error",
            "hugo is rated S, not the rating their score proposes: give "
            "a reason (`perfloop calibrate` shows the proposal; scores stay out of "
            "CI logs)",
        ]
    ], waiting  # neither a quota nor "alice is incomplete"
    edit(alice, "current: one", "current: 99.97")
    fixed = problems(example_repo)
    assert fixed == problems(example_repo, cache=False)
    assert any("people rated S; the quota allows at most 1" in line for line in fixed), fixed
