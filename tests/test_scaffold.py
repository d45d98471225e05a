"""`perfloop goals new` and `perfloop review new`: valid starting files, never overwriting."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from perfloop.loader import load_file

CYCLE = "cycles/2026-h2"
# no site_url, no tooling/: the schemas the built site publishes (schemaref.py)
SCHEMA = "# yaml-language-server: $schema={}public/schemas/{}.schema.json\n"


@pytest.fixture
def repo(base_repo: Path) -> Path:
    """The base repository with erin, a new engineer in platform who has no goals yet."""
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(
        org.read_text().replace(
            "roles:",
            "  - {id: erin, name: Erin Wu, github: erinw, department: platform, manager: dave}\n"
            "roles:",
        )
    )
    return base_repo


def data(repo: Path, rel: str) -> dict:
    doc, problems = load_file(repo / CYCLE / rel, rel)
    assert not problems
    return doc.data


def test_goals_new_aligns_stubs_and_lists_the_template_kpis(repo: Path) -> None:
    result = run_cli("goals", "new", "erin", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {CYCLE}/goals/erin.yaml\n"
    text = (repo / CYCLE / "goals/erin.yaml").read_text()
    assert text.startswith(SCHEMA.format("../../../", "goals"))
    goals = data(repo, "goals/erin.yaml")
    # platform has one objective: one stub aligned to it
    assert goals["objectives"] == [
        {
            "id": "o1",
            "title": "Draft: my part in 'Make checkout reliable'",
            "aligns_to": "platform/o1",
            "key_results": [
                {
                    "id": "kr1",
                    "title": "Draft: a result that shows the objective is met",
                    "type": "milestone",
                    "done": False,
                }
            ],
        }
    ]
    # Colleagues on the engineering template: alice (99.9, 2) and bob (99.9, 1).
    assert goals["kpis"] == {"availability": {"target": 99.9}, "incidents": {"target": 1.5}}
    assert "# Service availability (higher is better, %)" in text
    assert goals["plan"] == [] and goals["peers"] == []
    assert run_cli("validate", cwd=repo).returncode == 0


def test_goals_new_takes_kpi_targets_from_the_previous_cycle(repo: Path) -> None:
    previous = repo / "cycles/2026-h1"
    (previous / "goals").mkdir(parents=True)
    shutil.copy(repo / CYCLE / "cycle.yaml", previous / "cycle.yaml")
    (previous / "goals/erin.yaml").write_text(
        "owner: erin\nkpis:\n  availability: {target: 99.5, actual: 99.7}\n"
    )
    result = run_cli("goals", "new", "erin", "--cycle", "2026-h2", cwd=repo)
    assert result.returncode == 0, result.stderr
    goals = data(repo, "goals/erin.yaml")
    assert goals["kpis"] == {"availability": {"target": 99.5}, "incidents": {"target": 1.5}}


def test_goals_new_never_overwrites(repo: Path) -> None:
    before = (repo / CYCLE / "goals/bob.yaml").read_text()
    result = run_cli("goals", "new", "bob", cwd=repo)
    assert result.returncode == 1 and "never overwrites" in result.stderr
    assert (repo / CYCLE / "goals/bob.yaml").read_text() == before


def test_goals_new_for_a_stranger_is_a_usage_error(repo: Path) -> None:
    result = run_cli("goals", "new", "zed", cwd=repo)
    assert result.returncode == 2 and "'zed' is not a person" in result.stderr


def test_review_new_has_one_rating_per_question_with_the_question_above(repo: Path) -> None:
    result = run_cli("review", "new", "bob", "--by", "bob", cwd=repo)
    assert result.returncode == 0, result.stderr
    text = (repo / CYCLE / "reviews/bob/bob.yaml").read_text()
    assert text.startswith(SCHEMA.format("../../../../", "review"))
    assert (
        "ratings:\n"
        "  # What impact did this person's work have?\n"
        "  impact: 3\n"
        "  # How well did they work with others?\n"
        "  collaboration: 3\n"
    ) in text
    assert "Self-review of Bob Li (bob) by Bob Li (bob)" in text
    review = data(repo, "reviews/bob/bob.yaml")
    assert review == {
        "ratings": {"impact": 3, "collaboration": 3},
        "comments": "",
        "strengths": "",
        "improvements": "",
        "improvement_plan": [],
    }
    assert run_cli("validate", cwd=repo).returncode == 0


def test_review_new_refuses_a_reviewer_without_a_relation(repo: Path) -> None:
    result = run_cli("review", "new", "bob", "--by", "sam", cwd=repo)
    assert result.returncode == 1 and "sam may not review bob" in result.stderr
    assert not (repo / CYCLE / "reviews/bob/sam.yaml").exists()


def test_review_new_never_overwrites(repo: Path) -> None:
    before = (repo / CYCLE / "reviews/bob/dave.yaml").read_text()
    result = run_cli("review", "new", "bob", "--by", "dave", cwd=repo)
    assert result.returncode == 1 and "never overwrites" in result.stderr
    assert (repo / CYCLE / "reviews/bob/dave.yaml").read_text() == before


def test_scaffolds_warn_outside_their_phase(repo: Path) -> None:
    """Base is in review: new goals are accepted by the PR check only in planning."""
    result = run_cli("goals", "new", "erin", cwd=repo)
    assert result.returncode == 0
    assert "accepted by the PR check only in planning" in result.stderr
