"""Data-driven validation cases, in the style of check-jsonschema's example files.

`tests/data/invalid/<case>/` holds files laid over the valid base repository
(`tests/data/base/`) and `expect.txt`: lines `path:line[:col]: message fragment`. Each case
must make `perfloop validate` exit 1 and print every expected problem at its place, with no
traceback; a line `only` says there must be no other error (one mistake, one error).
`tests/data/valid/<case>/` overlays must validate with exit 0.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import BASE, DATA, run_cli

INVALID = sorted(p.name for p in (DATA / "invalid").iterdir() if p.is_dir())
VALID = sorted(p.name for p in (DATA / "valid").iterdir() if p.is_dir())
EXPECT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<message>.+)$")


def overlay(case: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo, ignore=shutil.ignore_patterns(".perfloop-cache"))
    for file in case.rglob("*"):
        if file.is_file() and file.name != "expect.txt":
            target = repo / file.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
    return repo


def test_base_is_valid(tmp_path: Path) -> None:
    result = run_cli("validate", cwd=overlay(tmp_path / "none", tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("case", VALID)
def test_valid_case(case: str, tmp_path: Path) -> None:
    result = run_cli("validate", cwd=overlay(DATA / "valid" / case, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " error:" not in result.stdout


@pytest.mark.parametrize("case", INVALID)
def test_invalid_case(case: str, tmp_path: Path) -> None:
    folder = DATA / "invalid" / case
    repo = overlay(folder, tmp_path)
    result = run_cli("validate", cwd=repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expects = (folder / "expect.txt").read_text().splitlines()
    if "only" in expects:
        expects.remove("only")
        errors = [line for line in lines if " error: " in line]
        assert len(errors) == len(expects), "\n".join(errors)
    for expected in expects:
        m = EXPECT.match(expected)
        assert m, f"bad expect line {expected!r}"
        prefix = f"{m['path']}:{m['line']}:" + (f"{m['col']}:" if m["col"] else "")
        found = [
            line
            for line in lines
            if line.startswith(prefix) and " error: " in line and m["message"] in line
        ]
        assert found, f"expected {expected!r} in:\n{result.stdout}"
    # nothing from the file was executed (the python-tag case tries to create this file)
    assert not (repo / "perfloop-pwned").exists()


def test_loops_found_in_one_pass_are_the_loops_every_walk_finds() -> None:
    """The hierarchy rule walks each chain once (`_on_loops`); a walk from every person
    (`_loop`) says which people are on a loop, over random managers, unknown ones included."""
    import random

    from perfloop.rules.hierarchy import _loop, _on_loops

    rng = random.Random(3)
    for _ in range(2000):
        people = [f"p{i}" for i in range(rng.randint(1, 12))]
        manager = {p: rng.choice([*people, None, "ghost"]) for p in people}
        walked = {p for p in people if (loop := _loop(p, manager)) and loop[0] == p}
        assert _on_loops(manager) == walked, manager


def test_a_broken_goals_file_does_not_cast_doubt_on_its_reviews(tmp_path: Path) -> None:
    """A goals file with errors is left out of the model, and with it the peers it proposes:
    its owner's peer reviews are not then reported as by strangers. One mistake, one error."""
    repo = overlay(tmp_path / "none", tmp_path)
    goals = repo / "cycles/2026-h2/goals/alice.yaml"
    goals.write_text(goals.read_text().replace("values: {o1/kr1", "values: {alice/o1/kr1", 1))
    result = run_cli("validate", cwd=repo)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith("cycles/2026-h2/goals/alice.yaml:"), errors
