"""Loading a cycle fast: examined files from the cache, parsed in worker processes when
many are new, and a recalled cycle's clean files left undecoded until read.

`repository.load_cycle` lists a cycle's files and builds the model; what it hands to an
examiner is the unit of work, one file's bytes -> its document and problems. The plain
examiner (`repository.examine_each`) reads and parses each in turn; the ones here give the
same outcomes, from the cache of examined files by blob id (speed/cache.py), read by the
faster reader where it vouches for the file (speed/fastload.py), in worker processes
when many files are new. `engine.load_cycle` passes them; the core never imports this.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from .. import schema
from ..heap import bulk_allocation
from ..loader import Document, decode, parse_text
from ..model import CycleData
from ..problems import Problem, Severity, error
from ..repository import (
    COMMON_PATH,
    CYCLES,
    SEALED,
    ExamineAll,
    Examined,
    FileKind,
    Listed,
    Opened,
    SealedListed,
    SealedReader,
    assemble,
    checked,
    classify,
    open_each,
    open_one,
)
from ..root import enabled as cache_enabled
from ..sources import DirectorySource, Entry, Source, Stat, blob_id
from . import fastload
from .cache import Outcome, Pack, Stored, stored

_Job = TypeVar("_Job")
_Done = TypeVar("_Done")
PARALLEL_MIN = 300  # below this many files to parse, a process pool costs more than it saves


def examine(raw: bytes, path: str, kind: str) -> tuple[Document | None, list[Problem]]:
    """`repository.examine`, with the common file read by fastload.py, which takes it only
    where it reads as the loader does; whatever it declines, the loader reads."""
    text, problems = decode(raw, path)
    if text is None:
        return None, problems
    doc = _read_quickly(text, raw, path, kind)
    if doc is None:
        doc, problems = parse_text(text, path)
    return checked(doc, problems, path, kind)


def _read_quickly(text: str, raw: bytes, path: str, kind: str) -> Document | None:
    """The document as the loader would read `text`, when fastload.py can vouch for it (its
    positions are found by the loader, from `raw`, if a problem needs them)."""
    quick = fastload.parse(text)
    if quick is None:
        return None
    data, pitfalls = quick
    if pitfalls and not schema.harmless(kind, pitfalls):
        return None
    return Document(path, data, positions=None, reload=lambda: raw)


def _outcome(doc: Document | None, problems: list[Problem]) -> Outcome:
    return (
        None if doc is None else doc.data,
        [(p.line, p.col, p.severity.value, p.message) for p in problems],
    )


# A parsing worker's job: the file's bytes, or its path on disk when the worker is to read
# them (and name them by blob id) itself; the path the problems name; the file's kind.
Job = tuple[bytes | str, str, str]
# What a worker gives back: the blob id of the bytes it read ("" when given them), the
# outcome as a pack keeps it (None: the pack has it already), and why the file could not
# be read (else None).
Done = tuple[str, Stored | None, str | None]

_worker_pack: Pack | None = None  # in a worker: the parent's pack, inherited by the fork


def _start_worker(pack: Pack | None) -> None:
    global _worker_pack
    _worker_pack = pack


def _examine_batch(batch: list[Job]) -> list[Done]:
    """Worker side of parallel parsing. A worker reads and hashes the files it is given by
    path, so the parent neither reads 70,000 files (2.3 s) nor hashes them, and it hands
    back outcomes marshalled (as the pack keeps them): decoding 40 MB of data in the parent
    (1 s) waits until a rule reads it, and the transfer is of bytes, not of millions of
    objects (pickling and unpickling them both ways was 6 s of a cold run at 10,000)."""
    done: list[Done] = []
    for source, path, kind in batch:
        blob = ""
        if isinstance(source, str):
            try:
                with open(source, "rb") as handle:
                    raw = handle.read()
            except OSError as exc:
                done.append(("", None, exc.strerror or str(exc)))
                continue
            blob = blob_id(raw)
            if _worker_pack is not None and _worker_pack.has(kind, blob):
                done.append((blob, None, None))
                continue
        else:
            raw = source
        done.append((blob, stored(_outcome(*examine(raw, path, kind))), None))
    return done


def _examine_parallel(jobs: list[Job], pack: Pack | None) -> list[Done]:
    done = _in_workers(_examine_batch, jobs, _start_worker, (pack,))  # the pack, unpickled
    if done is None:
        _start_worker(pack)
        return _examine_batch(jobs)
    return done


def _workers() -> int:
    return min(os.cpu_count() or 1, 8)


def _in_workers(
    work: Callable[[list[_Job]], list[_Done]],
    jobs: list[_Job],
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> list[_Done] | None:
    """`work` over `jobs` in small batches in forked worker processes, which inherit what
    the parent holds (a pack, a reader's keys) without pickling it. None when a worker
    died, a parser crashed on some file: fastload.py is then off, and the caller reads
    them all in this process, slower but never crashing on any input."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    workers = _workers()
    size = max(1, len(jobs) // (workers * 16))  # small: goals files cost 3x a review
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=initializer, initargs=initargs
        ) as pool:
            return [done for chunk in pool.map(work, batches) for done in chunk]
    except BrokenProcessPool:
        fastload.disable()
        return None


def _from_outcome(
    outcome: Outcome | Stored, path: str, reload: Callable[[], bytes], packed: bool = False
) -> tuple[Document | None, list[Problem]]:
    """The document and problems of an examined file; `packed`: as kept in a pack, its
    data still marshalled (decoded on first use)."""
    data, found = outcome
    problems = [Problem(path, line, col, Severity(sev), msg) for line, col, sev, msg in found]
    if data is None:
        return None, problems
    if packed:
        return Document.packed(path, data, reload), problems
    return Document(path, data, positions=None, reload=reload), problems


def cached(use_cache: bool | None = None) -> ExamineAll:
    """The examiner `engine.load_cycle` gives `repository.load_cycle`: from the cache of
    examined files unless it is off (`use_cache` False, or `PERFLOOP_CACHE=0`)."""
    use = cache_enabled() if use_cache is None else use_cache
    return examine_cached if use else examine_uncached


def examine_uncached(
    root: Path, cycle_id: str, source: Source, files: list[Listed]
) -> tuple[Examined, dict[str, str], list[Problem]]:
    """Every file examined afresh, in parallel when there are many; nothing kept."""
    return _examine_all(None, source, files)


def examine_cached(
    root: Path, cycle_id: str, source: Source, files: list[Listed]
) -> tuple[Examined, dict[str, str], list[Problem]]:
    """The cycle's files from its pack (speed/cache.py) where it has them, by blob id
    (from the source's entry or the stat index); the rest examined, in parallel when there
    are many, and kept."""
    return _examine_all(Pack.open(root, cycle_id), source, files)


def _examine_all(
    pack: Pack | None, source: Source, files: list[Listed]
) -> tuple[Examined, dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    examined: Examined = {}
    blobs: dict[str, str] = {}  # rel -> blob id of every examined file, as read
    # The stat index answers for the whole listing at once (a call per file was 0.2 s).
    known = pack.known_blobs([(f[0], f[3].stat) for f in files]) if pack else [None] * len(files)
    read = source.read
    parallel = (os.cpu_count() or 1) > 1
    # Files whose blob id nothing gave (a first run, a fresh clone) are read by the parsing
    # workers, when there are enough of them, from the folder on disk.
    unknown = sum(1 for f, blob in zip(files, known, strict=True) if not (f[3].blob or blob))
    folder = (
        os.fspath(source.folder)
        if parallel and unknown >= PARALLEL_MIN and isinstance(source, DirectorySource)
        else None
    )
    # Files to examine: rel, path, kind, stat, blob id and source, the bytes read or (blob
    # id "") the file's path on disk, for a parsing worker to read and name by blob id.
    todo: list[tuple[str, str, str, Stat | None, str, bytes | str]] = []
    for (rel, path, kind_name, entry), known_blob in zip(files, known, strict=True):
        blob = entry.blob or known_blob or ""  # "": not known without reading the file
        if folder is not None and not blob:
            todo.append((rel, path, kind_name, entry.stat, "", f"{folder}/{rel}"))
            continue
        cached = pack.get(kind_name, blob) if pack and blob else None
        if cached is None:
            try:
                raw = read(rel)
            except OSError as exc:
                problems.append(error(path, 1, 1, f"cannot read file: {exc.strerror}"))
                continue
            # the bytes just read name the entry, not a stat seen earlier
            blob = entry.blob or blob_id(raw)
            if pack:
                cached = pack.get(kind_name, blob)
                pack.remember(rel, entry.stat, blob)
        blobs[rel] = blob  # set: from the entry, index or bytes
        if cached is not None:
            data, found = cached
            if found or data is None:
                examined[rel] = _from_outcome(cached, path, partial(read, rel), packed=True)
            else:  # the common case, inlined
                examined[rel] = (Document.packed(path, data, partial(read, rel)), [])
            continue
        todo.append((rel, path, kind_name, entry.stat, blob, raw))
    if parallel and len(todo) >= PARALLEL_MIN:
        work: list[Job] = [(source, path, kind) for _, path, kind, _, _, source in todo]
        for (rel, path, kind_name, stat, blob, _), (read_as, kept, failure) in zip(
            todo, _examine_parallel(work, pack), strict=True
        ):
            if failure is not None:
                problems.append(error(path, 1, 1, f"cannot read file: {failure}"))
                continue
            if read_as:  # the worker read the file: its blob id is new to the pack
                blob = read_as
                if pack:
                    pack.remember(rel, stat, blob)
            if kept is None:  # the pack had it
                kept = pack.get(kind_name, blob) if pack else None
                if kept is None:  # a damaged entry (the worker saw only its key): examine it
                    kept = stored(_outcome(*examine(read(rel), path, kind_name)))
            elif pack:
                pack.put_stored(kind_name, blob, kept)
            blobs[rel] = blob
            examined[rel] = _from_outcome(kept, path, partial(read, rel), packed=True)
    else:  # few enough for this process; a path on disk (`folder`) needs as many as PARALLEL_MIN
        for rel, path, kind_name, _, blob, given in todo:
            assert isinstance(given, bytes)
            examined[rel] = examine(given, path, kind_name)
            if pack:
                pack.put(kind_name, blob, _outcome(*examined[rel]))
    if pack:
        pack.save(prune=isinstance(source, DirectorySource))
    return examined, blobs, problems


# Opening sealed files in workers: the job is the file's bytes (or None: the worker reads
# it from the cycle folder on disk), its path inside the cycle folder, its path from the
# root, its kind and its blob id if known; what comes back is an `Opened` whose examined
# document is an outcome as a pack keeps it (data marshalled).
SealedJob = tuple[bytes | None, str, str, str, str | None]
SentOpened = tuple[str, tuple[str, ...] | None, str | None, Stored | None]

_open_with: tuple[SealedReader | None, str | None] = (None, None)  # a worker's reader, folder


class _Given:
    """The one file a worker was handed, as a source (git sources are not shared by forks)."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def entries(self) -> list[Entry]:  # pragma: no cover - only read
        return []

    def read(self, rel: str) -> bytes:
        return self.raw


def _open_batch(batch: list[SealedJob]) -> list[SentOpened]:
    """Worker side: read, inspect, decrypt and examine each sealed file; the plaintext and
    the data derived from it go back to the parent through the pool's pipe, in memory."""
    reader, folder = _open_with
    on_disk = DirectorySource(Path(folder or "."))
    source: Source
    done: list[SentOpened] = []
    for raw, own, path, kind, blob in batch:
        source = _Given(raw) if raw is not None else on_disk
        got, stanzas, failure, found = open_one(
            source, own, path, kind, Entry(own, blob=blob), reader, examine
        )
        done.append((got, stanzas, failure, None if found is None else stored(_outcome(*found))))
    return done


def open_sealed(
    source: Source, sealed: list[SealedListed], reader: SealedReader | None
) -> list[Opened]:
    """`repository.open_each`, with each opened file read by fastload.py where it vouches
    for it, and in forked worker processes when there are many: decrypting and parsing
    every sealed review is most of a sealed cycle's load. Nothing is cached: the
    plaintext, and everything derived from it, stays in memory."""
    if reader is None or _workers() < 2 or len(sealed) < PARALLEL_MIN:
        # keyless (CI, the PR check): each file's header only, quicker than forking workers
        return open_each(source, sealed, reader, examine)
    global _open_with
    folder = os.fspath(source.folder) if isinstance(source, DirectorySource) else None
    jobs: list[SealedJob] = [
        (None if folder else source.read(own), own, path, kind.kind, entry.blob)
        for _, own, path, kind, entry in sealed
    ]
    _open_with = (reader, folder)  # the workers inherit the reader's keys
    try:
        sent = _in_workers(_open_batch, jobs)
    finally:
        _open_with = (None, None)
    if sent is None:
        return open_each(source, sealed, reader)  # the loader's own parser, not fastload's
    out: list[Opened] = []
    for (_, own, path, _, _), (blob, stanzas, failure, kept) in zip(sealed, sent, strict=True):
        found = None
        if kept is not None:  # positions, if a problem needs them, from the file opened again
            reopen = partial(_reopened, source, own, reader)
            found = _from_outcome(kept, path, reopen, packed=True)
        out.append((blob, stanzas, failure, found))
    return out


def _reopened(source: Source, own: str, reader: SealedReader | None) -> bytes:
    """A sealed file's plaintext again (for a problem's position): decrypted, never kept."""
    plaintext = reader.open(source.read(own)) if reader is not None else None
    if plaintext is None:  # pragma: no cover - it was opened by this reader a moment ago
        raise OSError("sealed file no longer opens")
    return plaintext


def load_recalled(
    root: Path,
    cycle_id: str,
    blobs: dict[str, str],
    content: str,
    flawed: set[str],
    read: Callable[[str], bytes],
) -> tuple[CycleData | None, list[Problem]]:
    """The cycle whose examined files are `blobs` (relative path -> blob id, as a full load
    of it would examine them; their digest is `content`), when its verdict is stored.

    The verdict says which files have problems (`flawed`, paths from the root); every
    other goals and review file is in the model undecoded: its document is made, and its
    cache entry read, when something asks for it (70,000 documents made up front took
    0.4 s). The other files, a few hundred, are taken from the cache or examined now, as
    in `load_cycle`."""
    with bulk_allocation():
        rel_dir = f"{CYCLES}/{cycle_id}"
        pack = Pack.open(root, cycle_id) if cache_enabled() else None
        deferred = _Deferred(pack, read, len(rel_dir) + 1)
        examined: dict[str, tuple[Document | None, list[Problem]]] = {}
        kinds: dict[str, FileKind] = {}
        common = COMMON_PATH.match
        for rel in sorted(blobs):  # path order, as a full load builds the model
            path = f"{rel_dir}/{rel}"
            found = common(rel)
            if found is not None and path not in flawed:
                deferred.add(path, found.groups(), blobs[rel])
                continue
            kind = classify(rel)
            if isinstance(kind, str):  # not a data file: a listing leaves it out
                if rel.endswith(SEALED):  # a sealed file (a stray one: sealed cycles are
                    return None, []  # never recalled): a full load marks it unreadable
                continue
            kinds[rel] = kind
            stored = pack.get(kind.kind, blobs[rel]) if pack else None
            if stored is None:
                examined[rel] = examine(read(rel), path, kind.kind)
                if pack:
                    pack.put(kind.kind, blobs[rel], _outcome(*examined[rel]))
            else:
                examined[rel] = _from_outcome(stored, path, partial(read, rel), packed=True)
        if pack:
            pack.save(prune=False)
        return assemble(root, rel_dir, examined, kinds, blobs, [], content, deferred, read)


class _Deferred(Mapping[str, Document]):
    """The documents of a recalled cycle (path -> document): the goals and review files
    not yet made, and the others. A goals or review file's document is made when first
    asked for."""

    def __init__(self, pack: Pack | None, read: Callable[[str], bytes], cut: int):
        self._pack, self._read, self._cut = pack, read, cut
        self._files: dict[str, tuple[str, str]] = {}  # path -> kind, blob id
        self._made: dict[str, Document] = {}
        self.goals: dict[str, str] = {}  # owner -> path
        self.reviews: dict[tuple[str, ...], str] = {}  # (subject, reviewer) -> path

    def add(self, path: str, ids: tuple[str | None, ...], blob: str) -> None:
        owner, subject, reviewer = ids
        if owner:
            self._files[path] = ("goals", blob)
            self.goals[owner] = path
        else:
            assert subject is not None and reviewer is not None  # COMMON_PATH's other shape
            self._files[path] = ("review", blob)
            self.reviews[(subject, reviewer)] = path

    def including(self, documents: dict[str, Document]) -> _Deferred:
        """These, with the documents of the other files (made already)."""
        self._made.update(documents)
        return self

    def __getitem__(self, path: str) -> Document:
        doc = self._made.get(path)
        if doc is None:
            kind, blob = self._files[path]  # KeyError for a path not in the cycle
            reload = partial(self._read, path[self._cut :])
            fetch = partial(_fetched, self._pack, kind, blob, path, reload)
            doc = self._made[path] = Document.deferred(path, fetch, reload)
        return doc

    def __iter__(self) -> Iterator[str]:
        yield from self._files
        yield from (path for path in self._made if path not in self._files)

    def __len__(self) -> int:
        return len(self._files) + sum(path not in self._files for path in self._made)


def _fetched(pack: Pack | None, kind: str, blob: str, path: str, read: Callable[[], bytes]) -> Any:
    """The data of a file its cycle's verdict says is clean: its cache entry's, else that
    of its bytes examined again."""
    stored = pack.get(kind, blob) if pack else None
    if stored is not None and stored[0] is not None and not stored[1]:
        try:
            return marshal.loads(stored[0])
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: the file decides
    doc, _ = examine(read(), path, kind)
    return None if doc is None else doc.data
