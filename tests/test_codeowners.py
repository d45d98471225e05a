"""`perfloop codeowners`: CODEOWNERS from org.yaml, written atomically, checked for staleness."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from perfloop import codeowners
from perfloop.validation import validate_cycle

CYCLE = "cycles/2026-h2"


def expected(repo: Path) -> str:
    """The CODEOWNERS `perfloop codeowners` writes for `repo`, from the core in-process."""
    text, problems = codeowners.expected(repo)
    assert text is not None, [p.format() for p in problems]
    return text


def test_owners_follow_org_yaml(base_repo: Path) -> None:
    lines = expected(base_repo).splitlines()
    assert "* @henryp" in lines  # tooling, workflows, the site: admins
    assert f"/{CYCLE}/ @henryp" in lines  # cycle.yaml, org.yaml, templates: admins and HR
    assert f"/{CYCLE}/goals/alice.yaml @alicec @davek" in lines  # the person and manager
    assert f"/{CYCLE}/goals/carol.yaml @carold" in lines  # no manager
    assert f"/{CYCLE}/reviews/*/dave.yaml @davek" in lines  # a review: its reviewer
    assert f"/{CYCLE}/calibration/eng.yaml @carold @henryp" in lines  # group head and HR
    assert f"/{CYCLE}/departments/platform.yaml @davek" in lines
    # the last matching line wins on GitHub: the broad lines come first
    assert (
        lines.index("* @henryp")
        < lines.index(f"/{CYCLE}/ @henryp")
        < lines.index(f"/{CYCLE}/goals/alice.yaml @alicec @davek")
    )


def test_people_without_a_login_are_left_out(base_repo: Path) -> None:
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("github: davek, ", ""))
    text = expected(base_repo)
    assert f"/{CYCLE}/goals/alice.yaml @alicec\n" in text
    assert f"/{CYCLE}/reviews/*/dave.yaml" not in text  # no owners: the cycle line applies


def test_closed_cycle_belongs_to_admins(base_repo: Path) -> None:
    cycle = base_repo / CYCLE / "cycle.yaml"
    cycle.write_text(re.sub(r"(?m)^phase: \w+", "phase: closed", cycle.read_text()))
    text = expected(base_repo)
    assert f"/{CYCLE}/ @henryp\n" in text
    assert "goals/alice.yaml" not in text


def test_check_reports_staleness(base_repo: Path) -> None:
    assert run_cli("codeowners", "--check", cwd=base_repo).returncode == 1  # missing
    assert run_cli("codeowners", cwd=base_repo).returncode == 0
    assert run_cli("codeowners", "--check", cwd=base_repo).returncode == 0
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("manager: dave}", "manager: carol}", 1))
    stale = run_cli("codeowners", "--check", cwd=base_repo)
    assert stale.returncode == 1
    assert "stale" in stale.stderr


def test_this_repositorys_codeowners_is_up_to_date() -> None:
    result = run_cli("codeowners", "--check", cwd=ROOT)
    assert result.returncode == 0, result.stderr


def open_second_cycle(repo: Path, phase: str = "planning") -> None:
    """The next cycle opened beside the current one (a cycle's turnover): same org."""
    nxt = repo / "cycles" / "2027-h1"
    shutil.copytree(repo / CYCLE, nxt)
    cycle = nxt / "cycle.yaml"
    text = re.sub(r"(?m)^phase: \w+", f"phase: {phase}", cycle.read_text())
    cycle.write_text(text.replace("id: 2026-h2", "id: 2027-h1"))


def test_rules_two_open_cycles_share_are_written_once(base_repo: Path) -> None:
    open_second_cycle(base_repo)
    lines = expected(base_repo).splitlines()
    assert "/cycles/*/goals/alice.yaml @alicec @davek" in lines
    assert not [line for line in lines if line.startswith(f"/{CYCLE}/goals/")]
    # each cycle folder's broad line comes before every narrower one (the last match wins)
    broad = [lines.index(f"/cycles/{c}/ @henryp") for c in ("2026-h2", "2027-h1")]
    assert max(broad) < lines.index("/cycles/*/goals/alice.yaml @alicec @davek")


def test_a_closed_cycle_overrides_the_shared_rules(base_repo: Path) -> None:
    open_second_cycle(base_repo)
    third = base_repo / "cycles" / "2025-h2"
    shutil.copytree(base_repo / CYCLE, third)
    cycle = third / "cycle.yaml"
    cycle.write_text(re.sub(r"(?m)^phase: \w+", "phase: closed", cycle.read_text()))
    lines = expected(base_repo).splitlines()
    assert lines[-1] == "/cycles/2025-h2/ @henryp"  # after /cycles/*/…: admins own it


def test_codeowners_is_written_readable_like_any_committed_file(base_repo: Path) -> None:
    assert run_cli("codeowners", cwd=base_repo).returncode == 0
    mode = (base_repo / ".github/CODEOWNERS").stat().st_mode & 0o777
    assert mode == 0o644  # under the usual umask 022, not mkstemp's 0600
    assert (base_repo / ".github/CODEOWNERS").read_text() == expected(base_repo)
    assert [p.name for p in (base_repo / ".github").iterdir()] == ["CODEOWNERS"]  # no temp file


def load(repo: Path):
    from perfloop.engine import load_cycle

    data, _ = load_cycle(repo, "2026-h2", use_cache=False)
    assert data is not None
    return data


def test_near_githubs_limit_review_lines_go_first(base_repo: Path, monkeypatch) -> None:
    data = load(base_repo)
    full = codeowners.render([data], data)
    without_reviews = codeowners._render([data], data, ("reviews",))
    monkeypatch.setattr(codeowners, "LIMIT", len(full.encode()) - 1)
    text = codeowners.render([data], data)
    assert "/reviews/" not in text.replace("# left out", "")
    assert "left out to stay under GitHub's" in text
    assert f"/{CYCLE}/goals/alice.yaml @alicec @davek" in text
    assert len(text.encode()) < codeowners.LIMIT
    monkeypatch.setattr(codeowners, "LIMIT", len(without_reviews.encode()) // 2)
    with pytest.raises(codeowners.TooLarge, match="GitHub ignores the whole file"):
        codeowners.render([data], data)


def test_too_large_is_a_plain_error_and_writes_nothing(base_repo: Path) -> None:
    # org.yaml with so many people that even without review lines the file passes 3 MB
    org = base_repo / CYCLE / "org.yaml"
    people = "".join(
        f"  - {{id: p{i}, name: P {i}, department: platform, manager: dave, "
        f"github: {'x' * 30}{i}}}\n"
        for i in range(40_000)
    )
    org.write_text(org.read_text().replace("people:\n", "people:\n" + people, 1))
    result = run_cli("codeowners", cwd=base_repo)
    assert result.returncode == 1
    assert f"{CYCLE}/org.yaml:1:1: error: CODEOWNERS would be" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (base_repo / ".github/CODEOWNERS").exists()


def test_teams_stand_for_roles_and_departments(base_repo: Path) -> None:
    org = base_repo / CYCLE / "org.yaml"
    text = org.read_text().replace(
        "{id: platform, name: Platform, head: dave, parent: eng}",
        "{id: platform, name: Platform, head: dave, parent: eng, github_team: northwind/platform}",
    )
    org.write_text(text + "github_teams: {hr: northwind/people, admins: northwind/perf-admins}\n")
    problems = validate_cycle(base_repo, "2026-h2").problems
    assert not [p.format() for p in problems if p.is_error]
    lines = expected(base_repo).splitlines()
    assert "* @northwind/perf-admins" in lines
    assert f"/{CYCLE}/ @northwind/perf-admins @northwind/people" in lines
    assert f"/{CYCLE}/departments/platform.yaml @davek @northwind/platform" in lines
    assert f"/{CYCLE}/calibration/eng.yaml @carold @northwind/people" in lines
