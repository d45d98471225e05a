"""What a fresh install gets: bounded dependencies, pinned by constraints.txt, test tools apart.

A new release of a dependency must not change what users install or what CI tests
(PyYAML 6.0.4 once turned main red overnight)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
TEST = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt: {line!r} is not an exact pin"
            found[canonicalize_name(name)] = pinned
    return found


@pytest.mark.parametrize("req", RUNTIME + TEST, ids=lambda r: r.name)
def test_every_dependency_is_bounded_and_pinned(req: Requirement) -> None:
    assert any(s.operator in ("<", "==", "~=") for s in req.specifier), f"{req} has no upper bound"
    pinned = pins().get(canonicalize_name(req.name))
    assert pinned is not None, f"{req.name} is missing from constraints.txt"
    assert req.specifier.contains(pinned, prereleases=True), (
        f"{req.name}=={pinned} is outside {req}"
    )


def test_the_installed_versions_are_the_pinned_ones() -> None:
    """CI tests exactly what users install: what is importable here is what the lock says."""
    wrong = []
    for name, pinned in pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # a platform-only dependency of something else
        if installed != pinned:
            wrong.append(f"{name} {installed} (constraints.txt: {pinned})")
    assert not wrong, "run `bash scripts/install.sh --test`: " + ", ".join(wrong)


def test_running_the_loop_installs_no_test_tools() -> None:
    runtime = {canonicalize_name(r.name) for r in RUNTIME}
    assert not runtime & {"playwright", "pytest", "ruff", "check-jsonschema"}
    script = (ROOT / "scripts" / "install.sh").read_text()
    plain = re.search(r"pip install .*-c constraints\.txt -e \.$", script, re.M)
    with_tests = re.search(r"pip install .*-c constraints\.txt -e '\.\[test\]'", script)
    assert plain and with_tests, "install.sh installs both ways through constraints.txt"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = "bash scripts/install.sh --test && python3 -m pytest -q"
    assert command in readme
    assert command in (ROOT / ".ci" / "run").read_text()


def test_the_licence_is_shipped_and_named_as_spdx() -> None:
    from importlib.metadata import metadata

    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == "Apache-2.0"  # an SPDX expression, not the deprecated table
    assert metadata("perfloop").get("License-Expression") == "Apache-2.0"
