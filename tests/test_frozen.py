"""A closed cycle is frozen in its data: results.yaml records every file's digest, `validate`
names a file changed since the close, and `score` and `export` answer from the record.

The cycle is tests/data/base's, closed through the real CLI and committed in a real git
repository; then a goals file is edited outside any pull request, as a push past branch
protection would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest

from conftest import commit_all, run_cli
from perfloop.frozen import changed_since_close, digest
from perfloop.loader import load_file

CYCLE = "cycles/2026-h2"
ALICE = f"{CYCLE}/goals/alice.yaml"
CLOSED = "after the cycle closed on 2026-12-31; results.yaml is the record of a closed cycle"


@pytest.fixture
def closed(base_repo: Path) -> Path:
    """tests/data/base's cycle, calibrated and closed on 2026-12-31, committed."""
    cycle = base_repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    calibration = base_repo / CYCLE / "calibration" / "eng.yaml"
    calibration.parent.mkdir()
    calibration.write_text(
        "ratings:\n  alice: {rating: B, reason: Agreed}\n  bob: {rating: B, reason: Agreed}\n"
    )
    (base_repo / ".gitignore").write_text(".perfloop-cache/\n")
    result = run_cli("cycle", "close", "--allow-incomplete", "--date", "2026-12-31", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    commit_all(base_repo, "Close 2026-h2")
    return base_repo


def _scores(root: Path) -> dict[str, float | None]:
    result = run_cli("score", "--cycle", "2026-h2", "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    return {p["id"]: p["final"] for p in json.loads(result.stdout)["people"]}


def test_close_records_a_digest_of_every_file(closed: Path) -> None:
    doc, problems = load_file(closed / CYCLE / "results.yaml", "results.yaml")
    assert not problems and doc is not None
    files = doc.data["files"]
    tracked = sorted(
        p.relative_to(closed / CYCLE).as_posix()
        for p in (closed / CYCLE).rglob("*.yaml")
        if p.name != "results.yaml"
    )
    assert sorted(files) == tracked
    for rel in ("goals/alice.yaml", "cycle.yaml", "calibration/eng.yaml"):
        assert files[rel] == digest((closed / CYCLE / rel).read_bytes())  # cycle.yaml: closed
    assert "phase: closed" in (closed / CYCLE / "cycle.yaml").read_text()
    assert run_cli("validate", cwd=closed).returncode == 0


def test_an_edit_after_close_is_a_located_error_and_changes_no_result(closed: Path) -> None:
    before = _scores(closed)
    export_before = run_cli("export", "--cycle", "2026-h2", cwd=closed).stdout
    goals = closed / ALICE
    goals.write_text(goals.read_text().replace("current: 99.8,", "current: 99.95,"))
    git.Repo(closed).git.commit("-qam", "alice: a better number, pushed past protection")

    result = run_cli("validate", cwd=closed)
    assert result.returncode == 1
    assert f"{ALICE}:1:1: error: changed {CLOSED}" in result.stdout
    assert result.stdout.count("error:") == 1  # nothing else: one mistake, one error
    alone = run_cli("validate", ALICE, cwd=closed)  # the file alone says the same
    assert alone.returncode == 1 and f"{ALICE}:1:1: error: changed {CLOSED}" in alone.stdout

    # score and export read the record, not the edited file
    assert _scores(closed) == before
    assert run_cli("export", "--cycle", "2026-h2", cwd=closed).stdout == export_before


def test_files_added_or_deleted_after_close_are_named(closed: Path) -> None:
    (closed / CYCLE / "reviews/bob/dave.yaml").unlink()
    extra = closed / CYCLE / "reviews/bob/alice.yaml"
    extra.write_text("ratings: {impact: 5, collaboration: 5}\n")
    result = run_cli("validate", cwd=closed)
    assert result.returncode == 1
    assert f"{CYCLE}/reviews/bob/dave.yaml:1:1: error: deleted {CLOSED}" in result.stdout
    assert f"{CYCLE}/reviews/bob/alice.yaml:1:1: error: added {CLOSED}" in result.stdout


def test_a_record_without_digests_keeps_validating(closed: Path) -> None:
    """Cycles closed before digests were recorded: nothing to compare, no error."""
    results = closed / CYCLE / "results.yaml"
    text = results.read_text()
    results.write_text(text[: text.index("\nfiles:\n") + 1])
    goals = closed / ALICE
    goals.write_text(goals.read_text().replace("current: 99.8,", "current: 99.95,"))
    assert run_cli("validate", cwd=closed).returncode == 0
    before = load_file(results, "results.yaml")[0].data["people"]
    assert {p: r["final"] for p, r in before.items()} == _scores(closed)  # still the record


def _rated_s(results: Path) -> None:
    """HR's edit after `cycle close`: alice B → S, bonus 1.0 → 1.5 (breaking calibration)."""
    text = results.read_text()
    row = text.index("\n  alice:\n")
    edited = text[row:].replace("    rating: B\n", "    rating: S\n", 1)
    results.write_text(text[:row] + edited.replace("    bonus: 1.0\n", "    bonus: 1.5\n", 1))


def _line_of(results: Path, text: str) -> int:
    lines = results.read_text().splitlines()
    start = lines.index("  alice:")
    return next(i for i, line in enumerate(lines) if i > start and line == text) + 1


def test_a_record_edited_after_close_is_a_located_error(closed: Path) -> None:
    """score and export read a closed cycle's numbers from results.yaml: validate rebuilds
    what close wrote from the cycle's files and names the first field that differs (never
    its value: CI logs)."""
    results = closed / CYCLE / "results.yaml"
    _rated_s(results)
    result = run_cli("validate", cwd=closed)
    assert result.returncode == 1
    line = _line_of(results, "    rating: S")
    assert (
        f"{CYCLE}/results.yaml:{line}:5: error: results.yaml is what `perfloop cycle close` "
        "computes from the cycle's files, never edited by hand: alice's rating is not what "
        "they give"
    ) in result.stdout
    assert result.stdout.count("error:") == 1  # not the summary and groups that follow from it
    assert "rating: S" not in result.stdout and " S " not in result.stdout


def test_the_closing_pull_request_checks_its_record(base_repo: Path) -> None:
    """HR closes the cycle, then edits results.yaml in the same pull request: the check
    refuses it on results.yaml (before, only another HR approval was asked)."""
    cycle = base_repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    calibration = base_repo / CYCLE / "calibration" / "eng.yaml"
    calibration.parent.mkdir()
    calibration.write_text(
        "ratings:\n  alice: {rating: B, reason: Agreed}\n  bob: {rating: B, reason: Agreed}\n"
    )
    org = base_repo / CYCLE / "org.yaml"  # a second HR person approves the close
    org.write_text(org.read_text().replace("roles: {hr: [henry],", "roles: {hr: [henry, sam],"))
    (base_repo / ".gitignore").write_text(".perfloop-cache/\n")
    commit_all(base_repo, "Calibrated")
    repo = git.Repo(base_repo)
    repo.git.branch("-M", "main")
    repo.git.checkout("-qb", "close")
    done = run_cli("cycle", "close", "--allow-incomplete", "--date", "2026-12-31", cwd=base_repo)
    assert done.returncode == 0, done.stderr
    check = run_cli("check", "--base", "main", "--author", "henryp", "--json", cwd=base_repo)
    assert json.loads(check.stdout)["ok"], check.stdout  # as close wrote it: fine

    _rated_s(base_repo / CYCLE / "results.yaml")
    check = run_cli("check", "--base", "main", "--author", "henryp", "--json", cwd=base_repo)
    assert check.returncode == 1
    errors = json.loads(check.stdout)["errors"]
    assert [(e["path"], e["message"]) for e in errors] == [
        (
            f"{CYCLE}/results.yaml",
            "results.yaml is what `perfloop cycle close` computes from the cycle's files, "
            "never edited by hand: alice's rating is not what they give (restore it as close "
            "wrote it)",
        )
    ]


def test_a_record_of_earlier_formulas_stands(closed: Path, monkeypatch) -> None:
    """A later change of the scoring formulas (scoring.FORMULAS bumped) must not turn an
    earlier close's record into an error: validate recomputes only a record written under
    today's formulas; close records which ones it used."""
    from perfloop import frozen
    from perfloop.engine import load_cycle

    results = closed / CYCLE / "results.yaml"
    assert "\nformulas: 1\n" in results.read_text()
    _rated_s(results)  # a record that today's formulas would not give
    data, _ = load_cycle(closed, "2026-h2")

    def whole():
        return data

    assert frozen.frozen_problems(closed, "2026-h2", None, whole)  # same formulas: compared
    monkeypatch.setattr(frozen, "FORMULAS", 2)  # the formulas changed since this close
    assert frozen.frozen_problems(closed, "2026-h2", None, whole) == []
    refused = frozen.frozen_problems(closed, "2026-h2", None, whole, closing=True)
    assert [p.message for p in refused] == [
        "results.yaml records formulas 1; `perfloop cycle close` writes 2 (restore it as "
        "close wrote it)"
    ]


def test_changed_since_close_names_each_kind_of_change() -> None:
    recorded = {"a.yaml": "1" * 16, "b.yaml": "2" * 16, "c.yaml": "3" * 16}
    actual = {"a.yaml": "1" * 16, "b.yaml": "9" * 16, "d.yaml": "4" * 16}
    problems = changed_since_close("cycles/x", "2026-06-30", recorded, actual)
    assert [(p.path, p.message.split(" ")[0]) for p in problems] == [
        ("cycles/x/b.yaml", "changed"),
        ("cycles/x/c.yaml", "deleted"),
        ("cycles/x/d.yaml", "added"),
    ]
    assert all(p.is_error and (p.line, p.col) == (1, 1) for p in problems)
    assert changed_since_close("cycles/x", "2026-06-30", recorded, recorded) == []
    unreadable = {**recorded, "a.yaml": ""}  # its load error says so; no second error here
    assert changed_since_close("cycles/x", "2026-06-30", recorded, unreadable) == []


def test_line_endings_do_not_count() -> None:
    assert digest(b"a: 1\r\nb: 2\r\n") == digest(b"a: 1\nb: 2\n")
    assert digest(b"a: 1\n") != digest(b"a: 2\n")


def test_the_restricted_site_shows_a_closed_cycles_record(tmp_path: Path) -> None:
    """The example with 2026-h1 as its latest cycle (closed): an edit to alice's goals after
    the close does not move her final score on HR's results page (100.8 in results.yaml)."""
    from sitebuild import example_with_site, main_text

    repo = example_with_site(tmp_path / "example")
    shutil.rmtree(repo / "cycles/2026-h2")
    goals = repo / "cycles/2026-h1/goals/alice.yaml"
    goals.write_text(goals.read_text().replace("current: 6\n", "current: 1\n", 1))
    built = run_cli("site", "--audience", "hr", cwd=repo)
    assert built.returncode == 0, built.stderr
    page = main_text(repo / "build/site-hr/results/index.html")
    row = page[page.index("Alice Chen", page.index("People")) :][:200]
    assert "100.8" in row, row
