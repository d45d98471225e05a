"""The package type-checks clean (mypy, [tool.mypy]) and is ruff clean ([tool.ruff])."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_the_package_type_checks_clean(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_ruff_clean() -> None:
    """The lint and format rules of pyproject.toml's [tool.ruff], as a reviewer runs them."""
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "tooling", "tests", "benchmarks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
