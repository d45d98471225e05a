"""`perfloop checkpoint new PERSON` (site/guide/lifecycle.md, check-points): a check-point
file for a person and their manager to fill in, through the real CLI; written sealed to the
two and HR in a sealed cycle; refused where the cycle has no check-point or the file exists."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from perfloop.sealing import age
from sealkit import sealed  # noqa: F401 (a fixture)

CYCLE = "cycles/2026-h2"
WROTE = f"wrote {CYCLE}/checkpoints/alice.yaml"


def in_execution(repo: Path, checkpoint: bool = True) -> None:
    cycle = repo / CYCLE / "cycle.yaml"
    text = cycle.read_text().replace("phase: review", "phase: execution")
    cycle.write_text(text + ("checkpoint: {date: 2026-09-30, due: 2026-10-15}\n" * checkpoint))


def test_a_check_point_to_fill_in_valid_as_written(base_repo: Path) -> None:
    in_execution(base_repo)
    done = run_cli("checkpoint", "new", "alice", cwd=base_repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == WROTE
    text = (base_repo / CYCLE / "checkpoints/alice.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "Alice Chen (alice) with Dave Kim (dave), cycle 2026-h2, due 2026-10-15" in text
    assert "summary:" in text and "next_steps: []" in text
    assert "anyone who can read this repository" in text  # a plain cycle says so
    checked = run_cli("validate", cwd=base_repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    status = run_cli("status", "--today", "2026-10-01", "--json", cwd=base_repo)
    owing = [item["subject"] for item in json.loads(status.stdout)["items"]
             if item["what"] == "check-point"]  # fmt: skip
    assert "bob" in owing and "alice" not in owing  # hers is held once the file is there

    again = run_cli("checkpoint", "new", "alice", cwd=base_repo)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (base_repo / CYCLE / "checkpoints/alice.yaml").read_text() == text
    ceo = run_cli("checkpoint", "new", "carol", cwd=base_repo)
    assert ceo.returncode == 1 and "carol has no manager" in ceo.stderr
    nobody = run_cli("checkpoint", "new", "zed", cwd=base_repo)
    assert nobody.returncode == 2 and "'zed' is not a person" in nobody.stderr
    assert sorted(p.name for p in (base_repo / CYCLE / "checkpoints").iterdir()) == ["alice.yaml"]


def test_refused_where_the_cycle_holds_no_check_point(base_repo: Path) -> None:
    in_execution(base_repo, checkpoint=False)
    refused = run_cli("checkpoint", "new", "alice", cwd=base_repo)
    assert refused.returncode == 1
    assert "cycle 2026-h2 has no check-point" in refused.stderr
    assert not (base_repo / CYCLE / "checkpoints").exists()


def test_outside_execution_a_note_and_in_a_closed_cycle_a_refusal(base_repo: Path) -> None:
    """Drafted in review it is written, with a note that the PR check takes check-points in
    execution only; a closed cycle takes none."""
    cycle = base_repo / CYCLE / "cycle.yaml"
    text = cycle.read_text() + "checkpoint: {date: 2026-09-30, due: 2026-10-15}\n"
    cycle.write_text(text)
    early = run_cli("checkpoint", "new", "alice", cwd=base_repo)
    assert early.returncode == 0 and early.stdout.strip() == WROTE
    assert (
        "note: cycle 2026-h2 is in phase review; check-points are accepted by the PR check "
        "only in execution" in early.stderr
    )
    cycle.write_text(text.replace("phase: review", "phase: closed"))
    closed = run_cli("checkpoint", "new", "bob", cwd=base_repo)
    assert closed.returncode == 1
    assert "cycle 2026-h2 is closed; nothing in it may change" in closed.stderr
    assert not (base_repo / CYCLE / "checkpoints/bob.yaml").exists()


def test_sealed_to_the_person_their_manager_and_hr_in_a_sealed_cycle(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    in_execution(repo)
    done = run_cli("checkpoint", "new", "alice", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == WROTE + ".age"
    sealed_file = repo / CYCLE / "checkpoints/alice.yaml.age"
    assert not (repo / CYCLE / "checkpoints/alice.yaml").exists()
    assert age.header(sealed_file.read_bytes()).recipients == 4  # alice, dave, henry, org
    for who, opens in (("alice", True), ("dave", True), ("henry", True), ("bob", False)):
        shown = run_cli("show", f"{CYCLE}/checkpoints/alice.yaml", "-i", str(identity[who]),
                        cwd=repo, env=env)  # fmt: skip
        assert (shown.returncode == 0) == opens, who
        if opens:
            assert "sealed to alice, dave and HR" in shown.stdout
    again = run_cli("checkpoint", "new", "alice", cwd=repo, env=env)
    assert again.returncode == 1 and "alice.yaml.age already exists" in again.stderr
    checked = run_cli("validate", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
