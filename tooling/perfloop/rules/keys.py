"""Keys for sealed files (SPEC section 7): each `key:` and `org_key:` must be a recipient, and a
sealed cycle needs the org key and tells who cannot read their own files yet."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import CycleData
from ..problems import Problem
from .reads import Reads

# Cycle.yaml and org.yaml alone (reads.py).
READS = Reads.of("cycle", "org")


def check(data: CycleData) -> Iterator[Problem]:
    org = data.org
    if (
        org.org_key is None
        and not data.cycle.sealed
        and not any(p.key for p in org.people.values())
    ):
        return  # a plain repository without keys: nothing to check (the common case)
    from ..sealing.age import key_problem  # pyrage only where keys are used

    if org.org_key is not None:
        problem = key_problem(org.org_key)
        if problem:
            yield org.where.error(f"org_key {problem}", "org_key")
    elif data.cycle.sealed:
        yield data.cycle.where.error(
            "a sealed cycle needs org.yaml's org_key: the trusted gate and HR open every "
            "sealed file with its identity",
            "confidentiality",
        )
    keyless = []
    for person in org.people.values():
        if person.key is None:
            keyless.append(person.id)
            continue
        problem = key_problem(person.key)
        if problem:
            yield person.where.error(f"key {problem}", "key")
    if data.cycle.sealed and keyless:
        shown = ", ".join(keyless[:10]) + (
            f" and {len(keyless) - 10} more" if len(keyless) > 10 else ""
        )
        yield data.cycle.where.warning(
            f"{len(keyless)} people have no key and cannot read their own sealed files: "
            f"{shown}; run `perfloop keys import`",
            "confidentiality",
        )
