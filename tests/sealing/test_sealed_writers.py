"""Writers in a sealed cycle (SPEC section 7): `review new`, `calibrate --write` and
`cycle close` write sealed files directly, never a plain file on disk."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from perfloop.sealing import age
from sealkit import sealed  # noqa: F401 (a fixture)

CYCLE = "cycles/2026-h2"


def plain_confidential(repo: Path) -> list[str]:
    folder = repo / CYCLE
    return sorted(
        p.relative_to(folder).as_posix()
        for pattern in ("reviews/*/*.yaml", "calibration/*.yaml", "results*.yaml", "results/*.yaml")
        for p in folder.glob(pattern)
    )


def test_review_new_and_calibrate_write_seal_what_they_write(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    done = run_cli("review", "new", "alice", "--by", "carol", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    review = repo / CYCLE / "reviews/alice/carol.yaml.age"
    assert f"wrote {CYCLE}/reviews/alice/carol.yaml.age" in done.stdout
    assert age.header(review.read_bytes()).recipients == 4  # carol, dave, henry, org key
    # the file tells its writer who can read it: its audience, not "anyone"
    opened = run_cli("show", f"{CYCLE}/reviews/alice/carol.yaml", "-i", str(identity["carol"]),
                     cwd=repo, env=env)  # fmt: skip
    assert "only carol, dave, henry and the org key can open it" in opened.stdout
    assert "Anyone who can read this repository" not in opened.stdout
    again = run_cli("review", "new", "alice", "--by", "carol", cwd=repo, env=env)
    assert again.returncode == 1 and "already exists" in again.stderr

    done = run_cli("calibrate", "--write", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    shown = run_cli("show", f"{CYCLE}/calibration/eng.yaml", "-i", str(identity["carol"]),
                    cwd=repo, env=env)  # fmt: skip
    assert shown.returncode == 0 and "ratings:" in shown.stdout  # carol heads eng
    assert plain_confidential(repo) == []
    checked = run_cli("validate", "-i", str(identity["henry"]), cwd=repo, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_cycle_close_seals_results_and_needs_an_identity_that_opens_everything(
    sealed,  # noqa: F811
) -> None:
    repo, identity, env = sealed
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    hr = ["-i", str(identity["henry"])]
    assert run_cli("calibrate", "--write", *hr, cwd=repo, env=env).returncode == 0
    refused = run_cli("cycle", "close", "--allow-incomplete", cwd=repo, env=env)
    assert refused.returncode == 1 and "your identity does not open" in refused.stderr
    done = run_cli("cycle", "close", "--allow-incomplete", *hr, cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / CYCLE / "results.yaml.age").is_file()
    assert plain_confidential(repo) == []
    shown = run_cli("show", f"{CYCLE}/results.yaml", *hr, cwd=repo, env=env)
    assert shown.returncode == 0 and "alice" in shown.stdout
    # each person's own results: alice reads hers, not bob's; dave (her manager) reads hers
    mine = repo / CYCLE / "results/alice.yaml.age"
    assert mine.is_file() and (repo / CYCLE / "results/bob.yaml.age").is_file()
    alice = ["-i", str(identity["alice"])]
    own = run_cli("show", f"{CYCLE}/results/alice.yaml", *alice, cwd=repo, env=env)
    assert own.returncode == 0 and "person: alice" in own.stdout and "rating:" in own.stdout
    other = run_cli("show", f"{CYCLE}/results/bob.yaml", *alice, cwd=repo, env=env)
    assert other.returncode == 1
    dave = ["-i", str(identity["dave"])]
    assert run_cli("show", f"{CYCLE}/results/alice.yaml", *dave, cwd=repo, env=env).returncode == 0
    for who in (hr, alice, []):
        checked = run_cli("validate", *who, cwd=repo, env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_cycle_new_carries_improvement_plans_sealed_not_into_goals(sealed) -> None:  # noqa: F811
    repo, identity, env = sealed
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(cycle.read_text().replace("phase: review", "phase: calibration"))
    hr = ["-i", str(identity["henry"])]
    assert run_cli("calibrate", "--write", *hr, cwd=repo, env=env).returncode == 0
    assert run_cli("cycle", "close", "--allow-incomplete", *hr, cwd=repo, env=env).returncode == 0
    refused = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", cwd=repo, env=env)
    assert refused.returncode == 1 and not (repo / "cycles/2027-h1").exists()
    done = run_cli("cycle", "new", "2027-h1", "--from", "2026-h2", *hr, cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    new = repo / "cycles/2027-h1"
    assert "confidentiality: sealed" in (new / "cycle.yaml").read_text()
    plan = "Run the monthly design review"  # dave's improvement plan for alice
    assert not [p for p in new.rglob("*") if p.is_file() and plan in p.read_text()]
    assert (new / "development/alice.yaml.age").is_file()
    alice = ["-i", str(identity["alice"])]
    shown = run_cli("show", "cycles/2027-h1/development/alice.yaml", *alice, cwd=repo, env=env)
    assert shown.returncode == 0 and plan in shown.stdout
    assert run_cli("validate", *hr, cwd=repo, env=env).returncode == 0
