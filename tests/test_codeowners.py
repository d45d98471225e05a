"""`perfloop codeowners`: CODEOWNERS from org.yaml, written atomically, checked for staleness."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT, run_cli

CYCLE = "cycles/2026-h2"


def test_owners_follow_org_yaml(base_repo: Path) -> None:
    result = run_cli("codeowners", cwd=base_repo)
    assert result.returncode == 0, result.stderr
    lines = (base_repo / ".github/CODEOWNERS").read_text().splitlines()
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
    assert not list((base_repo / ".github").glob(".CODEOWNERS-*"))  # no temporary file left


def test_people_without_a_login_are_left_out(base_repo: Path) -> None:
    org = base_repo / CYCLE / "org.yaml"
    org.write_text(org.read_text().replace("github: davek, ", ""))
    assert run_cli("codeowners", cwd=base_repo).returncode == 0
    text = (base_repo / ".github/CODEOWNERS").read_text()
    assert f"/{CYCLE}/goals/alice.yaml @alicec\n" in text
    assert f"/{CYCLE}/reviews/*/dave.yaml" not in text  # no owners: the cycle line applies


def test_closed_cycle_belongs_to_admins(base_repo: Path) -> None:
    cycle = base_repo / CYCLE / "cycle.yaml"
    cycle.write_text(re.sub(r"(?m)^phase: \w+", "phase: closed", cycle.read_text()))
    assert run_cli("codeowners", cwd=base_repo).returncode == 0
    text = (base_repo / ".github/CODEOWNERS").read_text()
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
