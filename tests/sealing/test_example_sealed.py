"""The example company's current cycle is sealed (issue 23, deliverable 5): each sealed file
opens with exactly its audience's example keys, no plaintext confidential file of it is
tracked, and the README's main command runs as written, as anyone and as HR."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import AS_HR, EXAMPLE_CYCLE, EXAMPLE_KEYS, ORG_IDENTITY, ROOT, run_cli
from perfloop.repository import load_cycle
from perfloop.sealing.age import header, load_identities, plain_path
from perfloop.sealing.audience import audience, is_confidential
from sitebuild import example_with_site, main_text

FOLDER = ROOT / "cycles" / EXAMPLE_CYCLE


@pytest.fixture(scope="module")
def example():
    data, problems = load_cycle(ROOT, EXAMPLE_CYCLE)  # keyless: org and cycle are plain
    assert data is not None, problems
    return data


def test_every_person_and_the_org_key_have_their_example_identity(example) -> None:
    """Each `key:` in org.yaml is the public key of examples/keys/<person>.key, `org_key:`
    that of org.key, and every key file says it is an example key."""
    for person in example.org.people.values():
        identity = load_identities(EXAMPLE_KEYS / f"{person.id}.key")
        assert {str(k.to_public()) for k in identity.keys} == {person.key}, person.id
    org = load_identities(ORG_IDENTITY)
    assert {str(k.to_public()) for k in org.keys} == {example.org.org_key}
    for key in EXAMPLE_KEYS.glob("*.key"):
        assert "EXAMPLE ONLY" in key.read_text().splitlines()[0], key
    assert "never use them for a real company" in (EXAMPLE_KEYS / "README.md").read_text()


def test_each_sealed_file_opens_with_exactly_its_audience(example) -> None:
    people = {p: load_identities(EXAMPLE_KEYS / f"{p}.key") for p in example.org.people}
    org = load_identities(ORG_IDENTITY)
    sealed = sorted(FOLDER.rglob("*.age"))
    kinds = {plain_path(f.relative_to(FOLDER).as_posix()).split("/")[0] for f in sealed}
    assert kinds == {"reviews", "calibration", "checkpoints"}, kinds
    for file in sealed:
        rel = plain_path(file.relative_to(FOLDER).as_posix())
        expected = audience(example, rel, example.cycle.subject_reads)
        assert expected is not None, rel
        raw = file.read_bytes()
        opened_by = {p for p, identity in people.items() if identity.open(raw) is not None}
        assert opened_by == set(expected.people), rel
        assert org.open(raw) is not None, rel  # and the org key, always
        assert header(raw).recipients == len(expected.people) + 1, rel


def test_no_plaintext_confidential_file_of_the_current_cycle_is_tracked() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--", f"cycles/{EXAMPLE_CYCLE}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    prefix = f"cycles/{EXAMPLE_CYCLE}/"
    confidential = [p for p in listed if is_confidential(plain_path(p[len(prefix) :]))]
    assert len(confidential) > 150
    assert [p for p in confidential if not p.endswith(".age")] == []
    on_disk = [
        p for p in FOLDER.rglob("*.yaml") if is_confidential(p.relative_to(FOLDER).as_posix())
    ]
    assert on_disk == []


def main_command() -> str:
    """The README's first command without its install step (the test run has installed)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n# 1\..*?\n(bash scripts/install\.sh && .*?)\n\n", readme, re.S)
    assert block, "README: the main command's block"
    command = block.group(1).replace("\\\n", " ")
    prefix = "bash scripts/install.sh && "
    assert command.startswith(prefix)
    return command[len(prefix) :]


def test_the_readme_main_command_runs_as_anyone_and_builds_hrs_site(tmp_path: Path) -> None:
    """As written, on a machine with no key of the example: validate and score say which
    files are sealed (never an error), the public site builds, and HR's site, built with
    HR's example key, shows every result."""
    command = main_command()
    assert "--identity examples/keys/helen.key" in command  # helen is HR
    repo = example_with_site(tmp_path / "example")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "CI"}
    env.pop("PERFLOOP_IDENTITY", None)
    env["HOME"] = str(tmp_path / "home")  # no ~/.ssh/id_ed25519: a fresh machine
    ran = subprocess.run(
        ["bash", "-c", f"set -e; {command}"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr
    assert re.search(r"\d+ sealed file\(s\) not readable by you", ran.stderr), ran.stderr
    assert re.search(r"0 complete, 0 incomplete, 32 sealed \(not readable by you\)", ran.stdout)
    assert not (repo / "public" / "results").exists()
    results = main_text(repo / "build" / "site-hr" / "results" / "index.html")
    # a review score, a final score, a rating and a bonus: what no key but HR's opens
    scored = r"Tomás Herrera [\d.]+ [\d.]+ [\d.]+ [\d.]+ [SABCD] [\d.]+"
    assert re.search(scored, results), results
    assert "sealed" not in results.lower()
    ignored = subprocess.run(["git", "check-ignore", "-q", "build/site-hr/index.html"], cwd=ROOT)
    assert ignored.returncode == 0, "HR's site must stay out of git"


def test_validate_and_score_read_everything_as_hr_and_say_what_is_sealed_without() -> None:
    """HR's key opens every sealed file: validate checks all of them, and score has every
    complete person's final score and rating, nobody sealed. Without a key, every person's
    review or rating is sealed (never missing, never an error)."""
    validated = run_cli("validate", cwd=ROOT, env=AS_HR)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "not readable by you" not in validated.stderr
    as_hr = json.loads(run_cli("score", "--json", cwd=ROOT, env=AS_HR).stdout)["people"]
    assert not [p["id"] for p in as_hr if "sealed" in p]
    assert [p["id"] for p in as_hr if p["final"] is None or p["rating"] is None] == ["zoe"]
    keyless = run_cli("score", "--json", cwd=ROOT, env={"PERFLOOP_IDENTITY": ""})
    assert keyless.returncode == 0, keyless.stderr
    people = json.loads(keyless.stdout)["people"]
    assert all(p["sealed"] and p["rating"] is None for p in people)
