"""A content-addressed cache of examined files (parsed and schema-checked).

Parsing YAML is the floor of every cold run, so the
outcome of examining a file — its data and its parse/schema problems — is kept in the
cache folder (`root.cache_folder`: inside `.git/`, where no commit can carry it), keyed by
the file's kind and git blob id, each entry sealed with the cache's MAC (`store`). The
cache folder is named after a fingerprint of the tool's loader, schemas and version, so a
new tool or schema never reads an old entry. Positions are not cached: they are recomputed
only for files that turn out to have a problem.

One pack per cycle holds a stat index (path -> size, mtime, inode, blob id: a warm run need
not read unchanged files) and the outcomes. Set `PERFLOOP_CACHE=0` to disable it.
"""

from __future__ import annotations

import marshal
import os
import time
from array import array
from pathlib import Path
from typing import Any, ClassVar

from ..root import FOLDER, cache_folder
from ..sources import Stat, trusted
from .store import (
    MAC_SIZE,
    RACY_NS,
    entry_mac,
    entry_ok,
    fingerprint,
    owner,
    read,
    secret,
    write,
    write_raw,
)

# Examining a file: (data, [(line, col, severity, message), ...]); data None if unusable.
Outcome = tuple[Any, list[tuple[int, int, str, str]]]
# As kept in a pack: the data marshalled on its own, so that opening a pack decodes bytes
# objects only and each file's data is decoded when first used (loader.Document.packed).
Stored = tuple[bytes | None, list[tuple[int, int, str, str]]]


class Pack:
    """The cache of one cycle folder; open it, look up and add, then save it.

    One instance per cycle and process (`Pack.open`): a PR check loads the base revision
    and the working tree of the same cycle, and the pack is read once for both.

    New outcomes go to a small delta file beside the pack: at 10,000 people the pack is
    about 34 MB, and rewriting it after every edit of one file cost 0.4 s a run. The delta
    is merged into the pack when it grows past a twentieth of it, and a full read rewrites
    the pack without unused entries only once they are a quarter of it.

    The pack file holds its keys, their offsets and the entries' bytes (`_Packed`), and
    an entry is decoded when it is first asked for: a pull request's check asks for a few
    dozen of 56,000 (decoding them all took 0.12 s of it), and a full read decoding each
    one on its own still takes half the time a single dict took."""

    _open: ClassVar[dict[tuple[str, str], Pack]] = {}

    @classmethod
    def open(cls, root: Path, cycle_id: str) -> Pack:
        key = (os.fspath(root.resolve()), cycle_id)
        pack = cls._open.get(key)
        if pack is None or not pack.file.parent.is_dir():  # a cache folder deleted meanwhile
            pack = cls._open[key] = cls(root, cycle_id)
        return pack

    def __init__(self, root: Path, cycle_id: str):
        self.file = Path(cache_folder(root)) / fingerprint() / f"{cycle_id}.pack"
        self.delta_file = self.file.with_suffix(".delta")
        self.index_file = self.file.with_suffix(".index")
        self._index: tuple[dict[str, tuple[int, int, int, int, str]], int] | None = None
        self.base = _Packed.read(self.file)
        delta = read(self.delta_file)
        self.delta: dict[str, Stored] = delta if isinstance(delta, dict) else {}
        self.packed = len(self.base.keys)  # entries in the pack file itself
        self.used: set[str] = set()
        self.new_index: dict[str, tuple[int, int, int, int, str]] = {}
        self.added = False  # outcomes not yet written
        self.index_changed = False

    def _read_index(self) -> tuple[dict[str, tuple[int, int, int, int, str]], int]:
        """The stat index and when it was written, read when first asked: only a
        working-tree read uses it (7.5 MB at 10,000 people), not a read of a git revision."""
        if self._index is None:
            self._index = read_index(self.index_file)
        return self._index

    @property
    def index(self) -> dict[str, tuple[int, int, int, int, str]]:
        return self._read_index()[0]

    @property
    def written_ns(self) -> int:
        return self._read_index()[1]

    def known_blobs(self, files: list[tuple[str, Stat | None]]) -> list[str | None]:
        """The blob id of each unchanged working-tree file (else None), without reading it;
        those found are remembered as they are. One call for a whole listing: 70,000 calls
        to a method each were 0.3 s of a load. A listing without stats (files at a git
        revision, whose blob ids git gave) does not read the index: 7.5 MB at 10,000 people,
        0.06 s of a pull request's check."""
        if all(stat is None for _, stat in files):
            return [None] * len(files)
        index, written = self._read_index()
        get, new_index = index.get, self.new_index
        found: list[str | None] = []
        append = found.append
        for rel, stat in files:
            entry = get(rel) if stat is not None else None
            if (
                entry is not None
                and stat is not None  # always, when entry is: says so to the type checker
                and entry[:4] == stat
                and trusted(stat, written, RACY_NS)
            ):
                new_index[rel] = entry
                append(entry[4])
            else:
                append(None)
        return found

    def remember(self, rel: str, stat: Stat | None, blob: str) -> None:
        if stat is not None:
            entry = self.new_index[rel] = (*stat, blob)
            if not self.index_changed and self.index.get(rel) != entry:
                self.index_changed = True

    def get(self, kind: str, blob: str) -> Stored | None:
        key = f"{kind}:{blob}"
        found = self.delta.get(key)
        if found is None:
            found = self.base.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def has(self, kind: str, blob: str) -> bool:
        """Whether an outcome is kept (without decoding or using it): a parsing worker
        asks before examining a file it has read."""
        key = f"{kind}:{blob}"
        return key in self.delta or key in self.base.keys

    def put(self, kind: str, blob: str, outcome: Outcome) -> None:
        self.put_stored(kind, blob, stored(outcome))

    def put_stored(self, kind: str, blob: str, entry: Stored) -> None:
        key = f"{kind}:{blob}"
        self.delta[key] = entry
        self.used.add(key)
        self.added = True

    def save(self, prune: bool) -> None:
        """Write what is new, atomically. `prune` (after reading the whole working tree)
        may drop what this process did not use; a partial read (some files at a git
        revision) only adds, so it never drops the entries the next full run needs."""
        everything = self.base.keys.keys() | self.delta.keys()
        if prune and len(everything) - len(self.used) > len(everything) // 4:
            self._repack(self.used)
        elif self.added and (not self.packed or len(self.delta) > max(64, self.packed // 20)):
            self._repack(everything)
        elif self.added:
            write(self.delta_file, self.delta)
        self.added = False
        if self.new_index and self.index_changed:  # only a working-tree read knows stats
            written = time.time_ns()
            write(self.index_file, {"index": self.new_index, "written_ns": written})
            self._index, self.index_changed = (self.new_index, written), False

    def _repack(self, keep: set[str]) -> None:
        first = not self.file.exists()
        entries = {k: self.delta.get(k) or self.base.raw(k) for k in sorted(keep)}
        self.base = _Packed.write(self.file, entries)
        self.delta_file.unlink(missing_ok=True)  # after the pack: a crash leaves duplicates
        self.delta, self.packed = {}, len(self.base.keys)
        if first:
            retire_old_fingerprints(self.file.parents[1])


class _Packed:
    """A pack file: its entries' keys, the offsets of their bytes, and the bytes: each
    entry is its MAC under the cache's key (`store.entry_mac`) and its marshal bytes, which
    name its key. Each entry is checked and decoded when asked for; a malformed file is an
    empty pack, and an entry whose MAC does not match, that does not decode, or that names
    another key is a miss (the file is examined again). The table itself needs no MAC: a
    damaged one can only point at bytes that fail their own."""

    _FORMAT = "perfloop-pack-3"

    def __init__(
        self, keys: dict[str, int], offsets: memoryview, payload: memoryview, key: bytes | None
    ):
        self.keys, self._offsets, self._payload = keys, offsets, payload  # slices: no copies
        self._key = key

    @classmethod
    def read(cls, file: Path) -> _Packed:
        """The file's table is read and its entries mapped, not read: a pull request's
        check uses a few dozen of 34 MB (reading them all took 0.1 s)."""
        key = _key(file)
        empty = cls({}, memoryview(b"").cast("q"), memoryview(b""), key)
        if key is None:
            return empty
        try:
            with open(file, "rb") as handle:
                head = handle.read(64 * 1024)
                size = int.from_bytes(head[:8], "little")
                if size > os.fstat(handle.fileno()).st_size:
                    return empty
                if len(head) < 8 + size:
                    head += handle.read(8 + size - len(head))
                tag, keys, offsets = marshal.loads(memoryview(head)[8 : 8 + size])
                table = memoryview(offsets).cast("q")
                if tag != cls._FORMAT or len(table) != len(keys) + 1:
                    return empty
                import mmap

                payload = memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, EOFError, ValueError, TypeError):
            return empty
        return cls({k: i for i, k in enumerate(keys)}, table, payload[8 + size :], key)

    @classmethod
    def write(cls, file: Path, entries: dict[str, Stored | bytes]) -> _Packed:
        """Write `entries` (decoded, or the raw bytes `raw` gave) as a pack file: the size
        of its table (8 bytes), the table (marshal: format, keys, offsets), the entries.
        Nothing is written without the cache's key."""
        key = _key(file, create=True)
        if key is None:
            return cls({}, memoryview(b"").cast("q"), memoryview(b""), None)
        # each entry names its key: a damaged table can only miss, never give another's
        parts = [v if isinstance(v, bytes) else _sealed(key, (k, *v)) for k, v in entries.items()]
        table = array("q", [0])
        for part in parts:
            table.append(table[-1] + len(part))
        header = marshal.dumps((cls._FORMAT, tuple(entries), table.tobytes()))
        payload = b"".join(parts)
        write_raw(file, len(header).to_bytes(8, "little") + header + payload)
        view = memoryview(payload)
        return cls({k: i for i, k in enumerate(entries)}, memoryview(table), view, key)

    def raw(self, key: str) -> bytes:
        i = self.keys[key]
        return bytes(self._payload[self._offsets[i] : self._offsets[i + 1]])

    def get(self, key: str) -> Stored | None:
        i = self.keys.get(key)
        if i is None or self._key is None:
            return None
        try:
            entry = self._payload[self._offsets[i] : self._offsets[i + 1]]
            if not entry_ok(self._key, entry):
                return None
            named, data, problems = marshal.loads(entry[MAC_SIZE:])
        except (EOFError, ValueError, TypeError, IndexError):
            return None
        return (data, problems) if named == key else None


def _key(file: Path, create: bool = False) -> bytes | None:
    """The MAC key of the cache `file` is in; None outside a located cache folder."""
    folder = owner(file)
    return None if folder is None else secret(folder, create)


def _sealed(key: bytes, entry: tuple) -> bytes:
    payload = marshal.dumps(entry)
    return entry_mac(key, payload) + payload


def committed_cache(path: str) -> bool:
    """Whether a path in a pull request is a cache folder of this tool (the root's
    `.perfloop-cache/` of earlier versions, at any depth): the cache is never committed,
    and the tool never reads one from the work tree."""
    return f"/{FOLDER}/" in f"/{path}"


def stored(outcome: Outcome) -> Stored:
    """An outcome as a pack keeps it: its data marshalled."""
    data, problems = outcome
    return (None if data is None else marshal.dumps(data), problems)


def read_pack(file: Path) -> dict[str, Stored | None]:
    """Every entry of a pack file, decoded (None: does not decode); `Pack` decodes lazily."""
    packed = _Packed.read(file)
    return {key: packed.get(key) for key in packed.keys}


def write_pack(file: Path, entries: dict[str, Stored]) -> None:
    _Packed.write(file, dict(entries))


def retire_old_fingerprints(folder: Path, keep: int = 1) -> None:
    """Drop the cache folders of older tools but the `keep` most recent: every upgrade (a new
    loader or schema) starts a new folder, and at 10,000 people each is about 40 MB."""
    import shutil

    current = fingerprint()
    try:
        others = [p for p in folder.iterdir() if p.is_dir() and len(p.name) == len(current)]
        others = [p for p in others if p.name != current and p.name != "runs"]
        others.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in others[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def read_index(file: Path) -> tuple[dict[str, tuple[int, int, int, int, str]], int]:
    stored = read(file)
    if not isinstance(stored, dict) or "index" not in stored:
        return {}, 0
    return stored["index"], stored["written_ns"]
