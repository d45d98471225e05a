"""The package type-checks clean (mypy, configured in pyproject.toml's [tool.mypy])."""

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
