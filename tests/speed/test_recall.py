"""A cycle recalled from its verdict (recall.py) is the cycle a full load builds.

Each case validates a demo company (its verdict stored), changes the working tree or the
cache, and compares the recalled model, problems and scores with an uncached full load of
the same tree; the CLI cases compare what `score` and `calibrate` print. Each case also
asserts that the recall happened (or, where it must not, that it did not), so a case
cannot pass by loading the cycle in full.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import commit_all, make_demo, run_cli
from perfloop import engine
from perfloop.model import CycleData
from perfloop.root import cache_folder
from perfloop.scoring import score_cycle
from perfloop.speed import recall
from test_incremental import read, write

CYCLE = "2026-h2"
DIR = f"cycles/{CYCLE}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"), 40, 5)


@pytest.fixture
def company(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PERFLOOP_CACHE", raising=False)
    root = tmp_path / "company"
    shutil.copytree(demo, root)
    return root


def validate(root: Path) -> None:
    """`perfloop validate`, as a user runs it before `score`: it stores the verdict."""
    done = run_cli("validate", "-q", cwd=root)
    assert done.returncode in (0, 1), done.stderr


def model(data: CycleData) -> dict[str, Any]:
    """Everything a command reads of a loaded cycle (documents by path: a recalled one
    has no positions until asked, like any cached one)."""
    return {
        "org": data.org,
        "cycle": data.cycle,
        "templates": data.templates,
        "company": data.company,
        "departments": data.departments,
        "goals": dict(data.goals),
        "reviews": dict(data.reviews),
        "calibrations": data.calibrations,
        "results": data.results,
        "content": data.content,
        "examined": data.examined,
        "documents": {path: doc.data for path, doc in data.documents.items()},
    }


def full(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list, dict]:
    monkeypatch.setenv("PERFLOOP_CACHE", "0")
    try:
        result = engine.full(root, CYCLE)
        assert result.data is not None
        return model(result.data), result.problems, dict(score_cycle(result.data))
    finally:
        monkeypatch.delenv("PERFLOOP_CACHE")


def recalled(root: Path) -> tuple[dict[str, Any], list, dict]:
    assert recall.recall_cycle(root, CYCLE) is not None, "this tree should be recalled"
    result = engine.verdict(root, CYCLE, whole_model=True)
    assert result.data is not None
    return model(result.data), result.problems, dict(score_cycle(result.data))


def assert_same(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got, expected = recalled(root), full(root, monkeypatch)
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert got[2] == expected[2]


def people(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / DIR / "goals").glob("*.yaml"))


def a_review(root: Path) -> str:
    return sorted(str(p.relative_to(root / DIR)) for p in (root / DIR / "reviews").rglob("*.yaml"))[
        0
    ]


# --- the model ------------------------------------------------------------------------------


def test_an_unchanged_checkout_is_recalled_as_loaded(company, monkeypatch):
    validate(company)
    assert_same(company, monkeypatch)


def test_a_recalled_cycle_decodes_no_goals_or_review_file_until_asked(company):
    validate(company)
    found = recall.recall_cycle(company, CYCLE)
    assert found is not None
    data = found[0]
    pending = [doc for doc in data.documents.values() if "_fetch" in doc.__dict__]
    assert len(pending) >= len(people(company)), "goals and reviews wait to be read"
    pid = people(company)[0]
    assert data.goals[pid].owner == pid
    assert "_fetch" not in data.documents[f"{DIR}/goals/{pid}.yaml"].__dict__


def test_edits_after_validate_are_recalled_as_loaded(company, monkeypatch):
    validate(company)
    pid = people(company)[1]
    goals = read(company, f"goals/{pid}.yaml")
    goals["objectives"][0]["title"] = "Recalled after an edit"
    write(company, f"goals/{pid}.yaml", goals)
    (company / DIR / a_review(company)).unlink()
    validate(company)  # derived from HEAD's verdict, and stored under the new content
    assert_same(company, monkeypatch)


def test_a_new_untracked_review_is_part_of_the_recalled_cycle(company, monkeypatch):
    validate(company)
    rel = a_review(company)
    subject = rel.split("/")[1]
    reviewer = next(p for p in people(company) if p != subject and f"/{p}.yaml" not in rel)
    raw = (company / DIR / rel).read_bytes()
    (company / DIR / f"reviews/{subject}/{reviewer}.yaml").write_bytes(raw)
    validate(company)
    got = recalled(company)
    assert (subject, reviewer) in got[0]["reviews"]
    assert got == full(company, monkeypatch)


def test_a_file_with_problems_is_left_out_of_the_recalled_model(company, monkeypatch):
    rel = a_review(company)
    (company / DIR / rel).write_text("rating: [unclosed\n", encoding="utf-8")
    commit_all(company, "a review that does not parse")
    validate(company)
    got = recalled(company)
    assert any(p.path == f"{DIR}/{rel}" for p in got[1])
    assert f"{DIR}/{rel}" not in got[0]["documents"]
    assert got == full(company, monkeypatch)


def test_missing_cache_entries_are_examined_from_the_files(company, monkeypatch):
    validate(company)
    for pack in Path(cache_folder(company)).glob("*/*.pack"):
        pack.write_bytes(b"damaged")
    assert_same(company, monkeypatch)


def test_a_file_changed_after_git_looked_is_read_as_git_listed_it(company, monkeypatch):
    validate(company)
    expected = full(company, monkeypatch)[0]
    for pack in Path(cache_folder(company)).glob("*/*.pack"):
        pack.unlink()  # so the document must come from the bytes
    found = recall.recall_cycle(company, CYCLE)
    assert found is not None
    pid = people(company)[2]
    goals = read(company, f"goals/{pid}.yaml")
    goals["objectives"][0]["title"] = "Written after the recall"
    write(company, f"goals/{pid}.yaml", goals)
    assert found[0].goals[pid] == expected["goals"][pid]


# --- when a cycle is not recalled ---------------------------------------------------------------


def test_nothing_is_recalled_without_a_verdict(company):
    assert recall.recall_cycle(company, CYCLE) is None
    run_cli("validate", "-q", cwd=company, env={"PERFLOOP_CACHE": "0"})
    assert recall.recall_cycle(company, CYCLE) is None


@pytest.mark.parametrize("change", ["org.yaml", "a stray file", "a symbolic link"])
def test_changes_only_a_full_load_follows_are_not_recalled(company, monkeypatch, change):
    validate(company)
    folder = company / DIR
    if change == "org.yaml":
        org = read(company, "org.yaml")
        org["people"][0]["name"] = "Someone Renamed"
        write(company, "org.yaml", org)
    elif change == "a stray file":
        (folder / "goals" / "notes.yml").write_text("x: 1\n", encoding="utf-8")
    else:
        (folder / "goals" / "link.yaml").symlink_to(folder / "goals" / f"{people(company)[0]}.yaml")
    validate(company)
    assert recall.recall_cycle(company, CYCLE) is None
    cached = engine.verdict(company, CYCLE, whole_model=True)
    assert cached.problems == full(company, monkeypatch)[1]


def test_outside_git_nothing_is_recalled(company):
    shutil.rmtree(company / ".git")
    validate(company)
    assert recall.recall_cycle(company, CYCLE) is None


# --- the commands -------------------------------------------------------------------------------


def outputs(root: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    found = {}
    for command in (["score", "--json"], ["calibrate", "--json"], ["status", "--json"], ["tree"]):
        done = run_cli(*command, cwd=root, env=env)
        assert done.returncode == 0, done.stderr
        found[command[0]] = done.stdout
    return found


def test_commands_after_validate_print_what_an_uncached_run_prints(company):
    validate(company)
    assert recall.recall_cycle(company, CYCLE) is not None
    assert outputs(company) == outputs(company, {"PERFLOOP_CACHE": "0"})
    pid = people(company)[3]
    goals = read(company, f"goals/{pid}.yaml")
    kr = goals["objectives"][0]["key_results"][0]
    kr["current"] = kr.get("target") or 1
    write(company, f"goals/{pid}.yaml", goals)
    validate(company)
    assert recall.recall_cycle(company, CYCLE) is not None
    after = outputs(company)
    assert after == outputs(company, {"PERFLOOP_CACHE": "0"})
    assert json.loads(after["score"])["people"], "the scores are printed"


def test_leniency_reads_each_manager_review_from_the_stored_scores(company):
    """`calibrate`'s leniency takes each manager review's value from the score's manager
    review group (verdict.Scores.nested) instead of building the review: the same value
    the review itself gives, for every person with a manager review."""
    from perfloop.scoring import manager_review_value, review_value

    validate(company)
    result = engine.verdict(company, CYCLE, whole_model=True)
    data = result.data
    assert data is not None
    scores = score_cycle(data)
    assert hasattr(scores, "nested"), "the scores come from the verdict"
    checked = 0
    for person in data.org.people:
        manager, template = data.org.manager_of(person), data.template_for(person)
        review = data.reviews.get((person, manager)) if manager else None
        expected = review_value(review, template) if review and template else None
        assert manager_review_value(scores, person) == expected, person
        assert manager_review_value(dict(scores), person) == expected, person  # records
        checked += expected is not None
    assert checked > len(data.org.people) // 2
