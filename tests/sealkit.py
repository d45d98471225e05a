"""Sealed repositories for the tests (SPEC section 7): identities made on the spot, keys
written into org.yaml, a cycle sealed by the real `perfloop seal`. Shared by the tests of
sealing, the sealed writers and readers, the frozen sealed cycle and the site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_cli
from perfloop.sealing import age

CYCLE = "cycles/2026-h2"
PEOPLE = ("carol", "dave", "alice", "bob", "henry")  # sam has no key at first


def add_key(org: Path, person: str, key: str) -> None:
    text = org.read_text()
    pattern = rf"(\{{id: {person}, [^}}]*)\}}"
    assert re.search(pattern, text), person
    org.write_text(re.sub(pattern, rf"\1, key: {key}}}", text, count=1))


def seal_cycle(repo: Path, keys: Path, people: tuple[str, ...]) -> dict[str, Path]:
    """A new identity for each of `people` and for the org (their files under `keys`), their
    keys in org.yaml, and the cycle made sealed: {person or "org": identity file}."""
    keys.mkdir()
    identity: dict[str, Path] = {}
    org = repo / CYCLE / "org.yaml"
    for person in (*people, "org"):
        text, public = age.generate_identity()
        identity[person] = keys / f"{person}.key"
        identity[person].write_text(text)
        if person == "org":
            org.write_text(org.read_text() + f"org_key: {public}\n")
        else:
            add_key(org, person, public)
    cycle = repo / CYCLE / "cycle.yaml"
    cycle.write_text(
        cycle.read_text().replace("phase: review\n", "phase: review\nconfidentiality: sealed\n")
    )
    return identity


@pytest.fixture
def sealed(base_repo: Path, tmp_path: Path) -> tuple[Path, dict[str, Path], dict[str, str]]:
    """tests/data/base with keys for everyone, its cycle sealed by `perfloop seal`; the
    identities, and an environment in which no default identity exists."""
    identity = seal_cycle(base_repo, tmp_path / "keys", (*PEOPLE, "sam"))
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PERFLOOP_IDENTITY": ""}
    done = run_cli("seal", cwd=base_repo, env=env)
    assert done.returncode == 0, done.stderr
    return base_repo, identity, env


def plaintexts(repo: Path, key: Path) -> set[str]:
    """Every text value of at least 12 characters in the sealed files, opened with `key`."""
    import yaml

    reader = age.load_identities(key)
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str) and len(value) >= 12:
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for sealed in (repo / "cycles").rglob("*.age"):
        walk(yaml.safe_load(reader.open(sealed.read_bytes()) or b""))
    return found
