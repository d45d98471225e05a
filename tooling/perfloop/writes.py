"""Every file the tool writes goes through here: checked first, then written atomically.

A write is a set of changes to one cycle (path inside the cycle folder -> new text). Before
anything touches the disk, the cycle *as it would be* is loaded from an in-memory overlay
and validated; a change that adds errors is refused with those errors and nothing is
written. Then each file is written to a temporary file beside it and renamed into place, so
a reader (or a crash) sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .engine import load_cycle, rules
from .model import CycleData
from .problems import Problem, sort_problems
from .repository import CYCLES
from .schemaref import SCHEMA_COMMENT, UNPLACED, placed
from .sources import DirectorySource, Entry, Source

# Pure code writes this; `placed` (schemaref.py) points it where editors find the schema
# when the file is written (write_checked, create_cycle_folder).
SCHEMA_URL = UNPLACED + "{kind}.schema.json"


def schema_line(kind: str) -> str:
    """The first line of a file the tool writes: editors validate it against our schema."""
    return f"{SCHEMA_COMMENT}{SCHEMA_URL.format(kind=kind)}\n"


def with_schema_line(text: str, kind: str) -> str:
    """`text`, starting with a schema line (an existing one, relative or URL, is kept)."""
    if text.startswith(SCHEMA_COMMENT):
        return text
    return schema_line(kind) + text


class OverlaySource:
    """A cycle folder as it would be after some changes: disk files, some replaced or added."""

    def __init__(self, base: Source, changes: Mapping[str, str]):
        self.base = base
        self.changes = {rel: text.encode("utf-8") for rel, text in changes.items()}

    def entries(self) -> list[Entry]:
        # a change replaces its sealed form too: the writer seals it again (`apply`)
        kept = [
            e
            for e in self.base.entries()
            if e.rel not in self.changes and e.rel.removesuffix(".age") not in self.changes
        ]
        return sorted(kept + [Entry(rel) for rel in self.changes], key=lambda e: e.rel)

    def read(self, rel: str) -> bytes:
        if rel in self.changes:
            return self.changes[rel]
        return self.base.read(rel)


@dataclass(frozen=True)
class Outcome:
    """What checking a write found: the would-be cycle and the errors the write would add."""

    data: CycleData | None
    added: list[Problem]

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.added


def _errors(root: Path, cycle_id: str, source: Source) -> tuple[CycleData | None, list[Problem]]:
    data, problems = load_cycle(root, cycle_id, source=source)
    if data is not None:
        # through the verdict store: the state checked here is what is then written, so
        # the `validate` (or CI) that follows the write finds its verdict (verdict.py)
        problems = problems + rules(root, data)
    return data, [p for p in sort_problems(problems) if p.is_error]


def check(root: Path, cycle_id: str, changes: Mapping[str, str]) -> Outcome:
    """Validate the cycle as it would be after `changes`; report only errors they add.

    Errors already in the cycle are not the writer's doing and do not block a write (a
    check-in must not wait for someone else's broken file). An error is matched by file
    and message, not line, since an edit moves lines.
    """
    disk = DirectorySource(root / CYCLES / cycle_id)
    # a person's results (cycle close) are no part of the model: written, not re-read
    changes = {rel: text for rel, text in changes.items() if not _UNMODELLED.match(rel)}
    after_data, after = _errors(root, cycle_id, OverlaySource(disk, changes))
    if after_data is not None and after_data.cycle.sealed:  # `apply` seals these
        folder = f"{CYCLES}/{cycle_id}/"
        after = [p for p in after if not (p.path.startswith(folder) and _sealed_plain(p))]
    if not after:  # the common case: no need to look at the cycle as it is
        return Outcome(after_data, [])
    _, before = _errors(root, cycle_id, disk) if disk.entries() else (None, [])
    known: dict[tuple[str, str], int] = {}
    for p in before:
        known[(p.path, p.message)] = known.get((p.path, p.message), 0) + 1
    added = []
    for p in after:
        key = (p.path, p.message)
        if known.get(key, 0) > 0:
            known[key] -= 1
        else:
            added.append(p)
    return Outcome(after_data, added)


def atomic_write(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write `content` to `path` so that a reader, or a crash, sees the old file or the new
    one, never part of either: a temporary file in the same folder (a rename across file
    systems is a copy), flushed to disk, then renamed over `path`. Text is written as UTF-8
    with its line ends as given.

    The mode is `mode` when given (a confidential export passes 0o600), else that of the
    file replaced, else what the umask allows a new file (mkstemp's own 0600 would make a
    committed file unreadable to others). A failure removes the temporary file.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before the rename makes it the file
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_UNMODELLED = re.compile(r"(?:results|development)/[^/]+\.yaml\Z")


def _sealed_plain(problem: Problem) -> bool:
    return problem.message.startswith("a plain confidential file in a sealed cycle")


def apply(
    root: Path, cycle_id: str, changes: Mapping[str, str], data: CycleData | None = None
) -> list[Path]:
    """Write every change atomically, in the given order; returns the written paths.

    In a sealed cycle (`data`, the cycle as it will be) a confidential file is written
    sealed to its audience (`<path>.age`, its plain form removed): its plaintext never
    touches the disk (SPEC section 7).

    Order matters when one change depends on another: `cycle close` writes results.yaml
    before cycle.yaml turns to `closed`, so an interruption between the two leaves a cycle
    that is still open (and can be closed again), never a closed one without results.
    """
    folder = root / CYCLES / cycle_id
    written = []
    for rel, text in changes.items():
        if data is not None and data.cycle.sealed and _confidential(rel):
            written.append(_write_sealed(data, folder, rel, text))
            continue
        atomic_write(folder / rel, text)
        written.append(folder / rel)
    return written


def _confidential(rel: str) -> bool:
    from .sealing.audience import is_confidential

    return is_confidential(rel)


def _write_sealed(data: CycleData, folder: Path, rel: str, text: str) -> Path:
    from .sealing.files import seal_bytes

    sealed, _ = seal_bytes(data, rel, text.encode("utf-8"))
    target = folder / f"{rel}.age"
    atomic_write(target, sealed)
    (folder / rel).unlink(missing_ok=True)  # never both forms
    return target


def write_checked(root: Path, cycle_id: str, changes: Mapping[str, str]) -> Outcome:
    """Check `changes`, and write them only when they add no error."""
    folder = f"{CYCLES}/{cycle_id}"
    changes = {rel: placed(root, f"{folder}/{rel}", text) for rel, text in changes.items()}
    outcome = check(root, cycle_id, changes)
    if outcome.ok:
        apply(root, cycle_id, changes, outcome.data)
    return outcome


def create_cycle_folder(
    root: Path, cycle_id: str, files: Mapping[str, str], data: CycleData | None = None
) -> Path:
    """Write a whole new cycle folder: built beside its place, then renamed into it.

    The rename of a folder is atomic, so an interrupted `cycle new` leaves either no cycle
    or a complete one. Never overwrites: an existing folder is an error. In a sealed cycle
    (`data`, the new cycle as checked) confidential files are written sealed.
    """
    target = root / CYCLES / cycle_id
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{cycle_id}.") as tmp:
        staging = Path(tmp) / cycle_id
        for rel, text in files.items():
            if data is not None and data.cycle.sealed and _confidential(rel):
                _write_sealed(data, staging, rel, text)
                continue
            file = staging / rel
            file.parent.mkdir(parents=True, exist_ok=True)
            text = placed(root, f"{CYCLES}/{cycle_id}/{rel}", text)
            file.write_text(text, encoding="utf-8", newline="\n")
        os.rename(staging, target)  # refuses a non-empty folder that appeared meanwhile
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
