"""Mid-cycle check-points (cycle.yaml `checkpoint:`, `checkpoints/<person>.yaml`): the
schema and model, `status`'s lines, and confidentiality (the sealing audience; never on
the public site). The pull request's kinds and approvers are hostile cases
(tests/data/hostile/checkpoint-*)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import AS_HR, run_cli
from perfloop.sealing.audience import audience, is_confidential
from perfloop.site.loading import is_confidential as site_refuses
from sitebuild import add_minimal_site, main_text, mkdocs_build, output_files

try:
    from perfloop.engine import load_cycle
except ImportError:  # before the engine's restructure (issue 22) lands
    from perfloop.repository import load_cycle  # type: ignore[attr-defined,no-redef]

CYCLE = "cycles/2026-h2"
NOTE = "Alice worries about the cache layer and asked for more time"


def with_checkpoint(repo: Path, config: str = "{date: 2026-09-30, due: 2026-10-15}") -> Path:
    """The base in execution with a check-point, and Alice's written."""
    cycle = repo / CYCLE / "cycle.yaml"
    text = cycle.read_text().replace("phase: review", "phase: execution")
    cycle.write_text(text + f"checkpoint: {config}\n")
    folder = repo / CYCLE / "checkpoints"
    folder.mkdir()
    (folder / "alice.yaml").write_text(
        "date: 2026-10-02\n"
        "summary: Availability on track; latency behind plan.\n"
        f"employee_notes: {NOTE}.\n"
        "next_steps:\n  - {action: Pair with Bob on the cache layer, due: 2026-10-31}\n"
    )
    return repo


def owed(repo: Path, today: str) -> list[dict]:
    done = run_cli("status", "--json", "--today", today, cwd=repo)
    assert done.returncode == 0, done.stderr
    return [i for i in json.loads(done.stdout)["items"] if i["what"] == "check-point"]


def test_the_check_point_is_in_the_model_and_validates(base_repo: Path) -> None:
    repo = with_checkpoint(base_repo)
    done = run_cli("validate", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    data, _ = load_cycle(repo, "2026-h2")
    assert data is not None and data.cycle.checkpoint is not None
    assert (data.cycle.checkpoint.date, data.cycle.checkpoint.due) == (
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 15),
    )
    alice = data.checkpoints["alice"]
    assert alice.summary.startswith("Availability on track")
    assert [(s.action, s.due) for s in alice.next_steps] == [
        ("Pair with Bob on the cache layer", dt.date(2026, 10, 31))
    ]
    # a score or rating has no place in a check-point: the schema says so, located
    (repo / CYCLE / "checkpoints" / "bob.yaml").write_text("summary: Fine.\nrating: A\n")
    done = run_cli("validate", cwd=repo)
    assert done.returncode == 1
    assert f"{CYCLE}/checkpoints/bob.yaml:2:1: error: unknown field 'rating'" in done.stdout


def test_due_defaults_to_two_weeks_after_the_date(base_repo: Path) -> None:
    repo = with_checkpoint(base_repo, "{date: 2026-09-30}")
    items = owed(repo, "2026-10-20")
    assert {i["due"] for i in items} == {"2026-10-14"}


def test_status_lists_who_owes_a_check_point_from_its_date(base_repo: Path) -> None:
    repo = with_checkpoint(base_repo)
    assert owed(repo, "2026-09-29") == []  # not open yet
    items = owed(repo, "2026-10-20")
    # everyone with a manager but alice (written); carol heads the company: no manager
    assert sorted((i["subject"], i["who"]) for i in items) == [
        ("bob", ["bob", "dave"]),
        ("dave", ["dave", "carol"]),
        ("henry", ["henry", "carol"]),
        ("sam", ["sam", "carol"]),
    ]
    bob = next(i for i in items if i["subject"] == "bob")
    assert (bob["due"], bob["overdue_days"], bob["department"]) == ("2026-10-15", 5, "platform")
    text = run_cli("status", "--today", "2026-10-20", cwd=repo).stdout
    assert (
        "  bob, dave: check-point: no checkpoints/bob.yaml (check-point of bob with dave)  "
        "OVERDUE by 5 day(s), due 2026-10-15"
    ) in text
    # it is not scored: the scores with and without check-points are the same
    with_file = run_cli("score", "--json", cwd=repo).stdout
    (repo / CYCLE / "checkpoints" / "alice.yaml").unlink()
    assert run_cli("score", "--json", cwd=repo).stdout == with_file


def test_a_check_point_is_read_by_the_two_and_hr_only(base_repo: Path) -> None:
    repo = with_checkpoint(base_repo)
    data, _ = load_cycle(repo, "2026-h2")
    assert data is not None
    assert is_confidential("checkpoints/alice.yaml")
    readers = audience(data, "checkpoints/alice.yaml")
    assert readers is not None and readers.people == ("alice", "dave", "henry")


def test_the_public_site_never_shows_a_check_point(base_repo: Path) -> None:
    # the public build does not even read the file (nor its record, were it loaded)
    assert site_refuses("checkpoints/alice.yaml")
    repo = add_minimal_site(with_checkpoint(base_repo))
    done = mkdocs_build(repo)
    assert done.returncode == 0, done.stderr
    pages = output_files(repo / "public")
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        assert "cache layer" not in text and "latency behind plan" not in text, page
    # what the public may know: that there is one, and when it is due
    shown = [main_text(p) for p in pages if p.suffix == ".html"]
    assert any("check-point 2026-10-15" in text for text in shown)


def test_the_next_cycle_moves_the_check_point_on_and_carries_no_notes(example_repo: Path) -> None:
    done = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", cwd=example_repo, env=AS_HR)
    assert done.returncode == 0, done.stderr
    new = example_repo / "cycles" / "2027-h1"
    assert "checkpoint: {date: 2027-03-28, due: 2027-04-09}" in (new / "cycle.yaml").read_text()
    assert not (new / "checkpoints").exists()  # last cycle's notes stay with it


def test_validate_places_a_check_point_in_its_cycle(base_repo: Path) -> None:
    repo = with_checkpoint(base_repo, "{date: 2027-01-15, due: 2027-01-01}")
    folder = repo / CYCLE / "checkpoints"
    (folder / "zed.yaml").write_text("summary: Someone who is not here.\n")
    (folder / "bob.yaml").write_text("person: alice\nsummary: Bob's, says it is Alice's.\n")
    (folder / "carol.yaml").write_text("summary: Carol has no manager.\n")
    done = run_cli("validate", cwd=repo)
    assert done.returncode == 1
    out = done.stdout
    assert f"{CYCLE}/checkpoints/zed.yaml:1:1: error: zed is not in org.yaml" in out
    assert f"{CYCLE}/checkpoints/bob.yaml:1:1: error: person is 'alice' but the file's path" in out
    assert f"{CYCLE}/checkpoints/carol.yaml:1:1: warning: carol has no manager in org.yaml" in out
    assert "warning: the check-point's date 2027-01-15 is outside the cycle's period" in out
    assert "error: the check-point is due (2027-01-01) before it opens (2027-01-15)" in out
    # without a check-point in cycle.yaml, a check-point file is out of place
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().split("checkpoint:")[0])
    done = run_cli("validate", f"{CYCLE}/checkpoints/alice.yaml", cwd=repo)
    assert "error: cycle.yaml sets no check-point" in done.stdout
