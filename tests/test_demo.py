"""`perfloop demo`: a realistic, valid, deterministic company in a git repository."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import git
import pytest

from conftest import run_cli
from perfloop import demo
from perfloop.engine import load_cycle
from perfloop.model import RELATIONS, CycleData

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60-person demo made by the real command, shared by the read-only tests below."""
    target = tmp_path_factory.mktemp("demo") / "acme"
    result = run_cli("demo", str(target), "--people", "60", "--seed", "7", cwd=target.parent)
    assert result.returncode == 0, result.stderr
    assert "Created a demo company of 60 people" in result.stdout
    return target


@pytest.fixture(scope="module")
def data(company: Path) -> CycleData:
    loaded, problems = load_cycle(company, demo.CYCLE_ID, use_cache=False)
    assert loaded is not None and not problems
    return loaded


def test_the_demo_validates_without_errors_or_warnings(company: Path) -> None:
    result = run_cli("validate", cwd=company)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s), 0 warning(s)" in result.stderr


def test_it_is_a_git_repository_with_one_clean_commit(company: Path) -> None:
    repo = git.Repo(company)
    assert len(list(repo.iter_commits())) == 1
    assert not repo.is_dirty(untracked_files=True)
    tracked = repo.git.ls_files().splitlines()
    assert "mkdocs.yml" in tracked and "site/index.md" in tracked
    assert f"cycles/{demo.CYCLE_ID}/org.yaml" in tracked


def test_same_seed_gives_identical_bytes_and_commit(company: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = run_cli("demo", str(again), "--people", "60", "--seed", "7", cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    def tree(root: Path) -> dict[str, bytes]:  # what the demo wrote (not caches of later runs)
        return {f: (root / f).read_bytes() for f in git.Repo(root).git.ls_files().splitlines()}

    assert tree(again) == tree(company)
    assert git.Repo(again).head.commit.hexsha == git.Repo(company).head.commit.hexsha
    assert demo.generate(60, 8) != demo.generate(60, 7)


def test_twenty_people_is_the_hand_computed_shape() -> None:
    # 20 = CEO + chief of staff + 18 in departments; 18 // 10 = 1, so the two largest:
    # Engineering round(0.40 / 0.58 * 18) = 12 and Sales round(0.18 / 0.58 * 18) = 6.
    files = demo.generate(20, 1)
    org = files[f"cycles/{demo.CYCLE_ID}/org.yaml"]
    assert re.findall(r"^  - \{id: ([a-z-]+), .*head:", org, re.M) == ["exec", "eng", "sales"]
    departments = Counter(re.findall(r"department: ([a-z-]+)", org))
    assert departments == {"exec": 2, "eng": 12, "sales": 6}
    assert len(re.findall(r"^  - \{id: ", org, re.M)) == 3 + 20


def test_managers_have_3_to_12_reports_and_departments_nest(data: CycleData) -> None:
    org = data.org
    managers = {p.manager for p in org.people.values() if p.manager}
    spans = {m: len(org.reports(m)) for m in managers}
    assert spans and all(3 <= n <= 12 for n in spans.values()), spans
    depths = [len(org.department_chain(d)) for d in org.departments]
    assert max(depths) >= 2 and max(depths) <= 4
    for dept in org.departments.values():
        assert org.people[dept.head].department == dept.id  # heads belong to their department


def test_ids_are_safe_and_unique(data: CycleData) -> None:
    ids = [*data.org.people, *data.org.departments]
    assert len(ids) == len(set(ids))
    assert all(ID.match(i) and i not in YAML11_WORDS for i in ids)
    logins = [p.github.lower() for p in data.org.people.values() if p.github]
    assert len(logins) == len(set(logins)) == len(data.org.people)


def test_templates_follow_department_and_management(data: CycleData) -> None:
    org = data.org
    for person in org.people.values():
        template = data.template_id_for(person.id)
        top = org.top_department(person.department)
        if person.manager is None:
            assert template == "ceo"
        elif org.reports(person.id):
            assert template == "leadership"
        elif top == "eng":
            assert template == "engineering"
        elif top == "sales":
            assert template == "sales"
            assert set(data.goals[person.id].kpis) == {"new-arr", "win-rate", "churn"}


def test_goals_align_and_some_key_results_roll_up(data: CycleData) -> None:
    assert set(data.goals) == set(data.org.people)
    contributions = 0
    for person, goals in data.goals.items():
        for objective in goals.objectives:
            assert objective.aligns_to, f"{person}/{objective.id}"
            contributions += sum(1 for kr in objective.key_results if kr.contributes_to)
        assert goals.checkins, person
    assert contributions >= 10
    sales_arr = data.find_key_result("sales/o1/kr1")
    assert sales_arr is not None and sales_arr.contributes_to == "company/o1/kr1"


def test_checkins_fall_in_the_execution_phase(data: CycleData) -> None:
    # a check-in is made while goals are executed: after planning ends, before execution does
    planning, execution = data.cycle.deadlines["planning"], data.cycle.deadlines["execution"]
    dates = [c.date for goals in data.goals.values() for c in goals.checkins]
    assert dates and all(planning < d < execution for d in dates), (min(dates), max(dates))


def test_every_relation_is_reviewed_and_nothing_is_owed(data: CycleData) -> None:
    relations = Counter(data.relation(s, r) for s, r in data.reviews)
    assert set(relations) == set(RELATIONS), relations
    for subject in data.org.people:
        for reviewer in data.expected_reviewers(subject):
            assert (subject, reviewer) in data.reviews, (subject, reviewer)


def test_calibration_files_cover_every_group(company: Path, data: CycleData) -> None:
    assert {g.id for g in data.groups} == set(data.calibrations)
    result = run_cli("calibrate", "--json", cwd=company)
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)["groups"]
    rated = {p for c in data.calibrations.values() for p in c.ratings}
    assert rated == {p for g in groups for p in g["proposed"]} == set(data.org.people)


@pytest.mark.parametrize("phase", ["planning", "execution"])
def test_earlier_phases_validate_and_hold_no_reviews(tmp_path: Path, phase: str) -> None:
    target = tmp_path / phase
    result = run_cli(
        "demo", str(target), "--people", "30", "--phase", phase, "--no-git", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    cycle = target / "cycles" / demo.CYCLE_ID
    assert not (cycle / "reviews").exists() and not (cycle / "calibration").exists()
    has_checkins = "checkins:" in (cycle / "goals" / f"{_ceo(cycle)}.yaml").read_text()
    assert has_checkins == (phase == "execution")
    assert not (target / ".git").exists()
    validated = run_cli("validate", cwd=target)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def _ceo(cycle: Path) -> str:
    line = next(x for x in (cycle / "org.yaml").read_text().splitlines() if "template: ceo" in x)
    return line.split("id: ", 1)[1].split(",", 1)[0]


def test_refuses_a_non_empty_directory_and_too_few_people(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine\n")
    result = run_cli("demo", "busy", "--people", "60", cwd=tmp_path)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine\n"
    result = run_cli("demo", "small", "--people", "5", cwd=tmp_path)
    assert result.returncode == 2 and not (tmp_path / "small").exists()


def test_org_yaml_may_exceed_1_mib_but_other_files_may_not(base_repo: Path) -> None:
    # 10,000 people need a ~2 MB org.yaml; only HR and admins may change it.
    cycle = base_repo / "cycles" / "2026-h2"
    org = cycle / "org.yaml"
    org.write_text(org.read_text() + "# padding\n" * 150_000)  # 1.5 MB
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 0, result.stdout + result.stderr
    goals = cycle / "goals" / "bob.yaml"
    goals.write_text(goals.read_text() + "# padding\n" * 150_000)
    result = run_cli("validate", cwd=base_repo)
    assert result.returncode == 1
    assert "goals/bob.yaml:1:1: error: file is 1500" in result.stdout
