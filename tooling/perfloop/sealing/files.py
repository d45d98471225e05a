"""Sealed files on disk: which confidential files a cycle holds, sealing one to its audience,
opening one for the caller. The commands `seal`, `show`, `edit` and `reseal` are thin over it.

A sealed file replaces its plain form (`reviews/alice/dave.yaml` -> `…/dave.yaml.age`) and is
written whole (temporary file, then rename); plaintext is never written beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model import CycleData
from . import age
from .audience import Audience, audience, is_confidential

CYCLES = "cycles"


class SealingError(Exception):
    """A file that cannot be sealed or opened, with the reason for people."""


@dataclass(frozen=True)
class Located:
    """A confidential file of a cycle: its cycle, its path inside the cycle (plain form) and
    where it is on disk (its sealed form when it is sealed)."""

    cycle_id: str
    rel: str
    path: Path

    @property
    def sealed(self) -> bool:
        return age.is_sealed_path(self.path.name)

    @property
    def shown(self) -> str:
        """The path as people see it, from the repository root."""
        return f"{CYCLES}/{self.cycle_id}/{self.rel}" + (age.SUFFIX if self.sealed else "")


def locate(root: Path, given: str) -> Located:
    """A confidential file named by a path relative to the repository root (or absolute),
    plain or sealed form."""
    path = Path(given)
    full = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        parts = full.relative_to(root.resolve()).parts
    except ValueError:
        raise SealingError(f"{given}: not inside the repository") from None
    if len(parts) < 3 or parts[0] != CYCLES:
        raise SealingError(f"{given}: not a file of a cycle (cycles/<cycle>/…)")
    rel = age.plain_path("/".join(parts[2:]))
    if not is_confidential(rel):
        raise SealingError(
            f"{given}: not a confidential file (reviews, calibration, results, development)"
        )
    sealed = full.with_name(full.name + age.SUFFIX)
    if not age.is_sealed_path(full.name) and not full.exists() and sealed.exists():
        full = sealed  # named by its plain path: the sealed form is the file
    return Located(parts[1], rel, full)


def confidential_files(root: Path, cycle_id: str) -> Iterator[Located]:
    """The confidential files of a cycle on disk, plain and sealed, in path order."""
    folder = root / CYCLES / cycle_id
    patterns = ("reviews/*/*", "calibration/*", "results.yaml*", "results/*", "development/*")
    for pattern in (*patterns, "checkpoints/*"):
        for path in sorted(folder.glob(pattern)):
            rel = age.plain_path(path.relative_to(folder).as_posix())
            if path.is_file() and not path.is_symlink() and is_confidential(rel):
                yield Located(cycle_id, rel, path)


def recipients(data: CycleData, rel: str) -> tuple[Audience, list[str], list[str]]:
    """(the audience of `rel`, the keys to seal to, the audience's people without a key)."""
    found = audience(data, rel, data.cycle.subject_reads)
    if found is None:  # pragma: no cover - callers pass confidential paths only
        raise SealingError(f"{rel}: not a confidential file")
    keys, missing = found.keys(data, data.org.org_key)
    if not keys:
        raise SealingError(f"{rel}: nobody in its audience has a key (and org.yaml has no org_key)")
    return found, bulk_readers_first(data, found, keys), missing


def bulk_readers_first(data: CycleData, found: Audience, keys: list[str]) -> list[str]:
    """`keys` with HR's and then the org key first: those who open every file of a cycle
    (HR's `score`, the gate). age tries a file's recipient stanzas in order, one key
    agreement each, so a reader whose stanza comes first opens it soonest."""
    hr = set(data.org.hr)
    first = [data.org.people[p].key for p in found.people if p in hr]
    if data.org.org_key:
        first.append(data.org.org_key)
    ahead = [k for k in first if k]
    return ahead + [k for k in keys if k not in ahead]


def seal_bytes(data: CycleData, rel: str, plaintext: bytes) -> tuple[bytes, list[str]]:
    """(the sealed file for `rel`'s audience, the audience's people without a key)."""
    _, keys, missing = recipients(data, rel)
    try:
        return age.seal(plaintext, keys), missing
    except age.SealError as exc:
        raise SealingError(f"{rel}: {exc}") from None


def write_sealed(located: Located, sealed: bytes) -> Path:
    """Write the sealed form and remove the plain one: a file is never in both forms."""
    from ..writes import atomic_write

    target = (
        located.path if located.sealed else located.path.with_name(located.path.name + age.SUFFIX)
    )
    atomic_write(target, sealed)
    if not located.sealed:
        located.path.unlink(missing_ok=True)
    return target


def open_located(located: Located, identities: age.Identities) -> bytes | None:
    """The plaintext of a confidential file (a plain one as it is), or None when the caller's
    identity is not among a sealed file's recipients."""
    raw = located.path.read_bytes()
    if not located.sealed:
        return raw
    try:
        return identities.open(raw)
    except age.SealError as exc:
        raise SealingError(f"{located.shown}: {exc}") from None


def stale(data: CycleData, located: Located) -> bool:
    """Whether a sealed file's recipient stanzas no longer match its audience's keys (a new
    manager, a new key, a key removed): what `reseal` fixes without opening unchanged files."""
    try:
        _, keys, _ = recipients(data, located.rel)
        header = age.header(located.path.read_bytes())
    except (SealingError, age.SealError):
        return True
    expected = sorted(age.recipient_type(k) for k in {" ".join(k.split()[:2]) for k in keys})
    return sorted(header.stanzas) != expected
