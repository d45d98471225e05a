"""Replay a read-only command's output when nothing it could read has changed.

`perfloop validate`, `score`, `calibrate`, `tree` and `status` are pure functions of their
arguments, the cycles' files, the tool itself and (for deadlines) today's date. Their output
is stored under `.perfloop-cache/runs/`, keyed by all of those; a warm run answers from
there after a directory walk and a few stat calls, before importing anything heavy. Any
changed, added or removed file — or a new tool version — is a different key. Runs under
GitHub Actions (annotations, job summaries) and `PERFLOOP_CACHE=0` are never replayed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .cache import (
    FOLDER,
    RACY_NS,
    _read,
    _write,
    code_fingerprint,
    enabled,
    fingerprint,
    keep_newest,
    read_index,
)
from .sources import DirectorySource, blob_id, hand_over

COMMANDS = {"validate", "score", "calibrate", "tree", "status"}
KEEP_RUNS = 200
WRITING_OPTIONS = {"--write", "--force", "--out", "-o"}


def _find_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "cycles").is_dir():
            return folder
    return None


def content_key(root: Path) -> str | None:
    """A digest of every cycle file's path and blob id. Blob ids come from the stat index
    where a file's size, mtime and inode are unchanged (and not racily recent); other
    files are read and hashed, and the index is updated. None if a file cannot be read
    (the command then runs unmemoized and reports it)."""
    digest = hashlib.sha1(usedforsecurity=False)
    cycles = sorted(p for p in (root / "cycles").iterdir() if p.is_dir())
    for folder in cycles:
        index_file = root / FOLDER / fingerprint() / f"{folder.name}.index"
        index, written = read_index(index_file)
        changed = False
        source = DirectorySource(folder)
        digest.update(f"\0{folder.name}\0".encode())
        trusted_before = written - RACY_NS
        parts: list[str] = []
        entries = source.entries()
        hand_over(folder, entries)  # the command's own listing of this cycle
        for entry in entries:
            stat = entry.stat
            if stat is None:  # a symlink: refused by validation, named here
                parts.append(f"{entry.rel}\0symlink\0")
                continue
            known = index.get(entry.rel)
            if known is None or known[:3] != stat or stat[1] >= trusted_before:
                try:
                    known = index[entry.rel] = (*stat, blob_id(source.read(entry.rel)))
                except OSError:
                    return None
                changed = True
            parts.append(f"{entry.rel}\0{known[3]}\0")
        digest.update("".join(parts).encode())
        if changed:
            _write(index_file, {"index": index, "written_ns": time.time_ns()})
    return digest.hexdigest()


def _key(root: Path, argv: list[str], content: str) -> str:
    parts = {
        "argv": argv,
        "cwd": os.path.relpath(Path.cwd(), root),
        "today": dt.date.today().isoformat(),
        "tool": code_fingerprint(),
        "content": content,
        "env": {k: v for k, v in os.environ.items() if k.startswith("PERFLOOP_")},
    }
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def memoizable(argv: list[str]) -> bool:
    return (
        bool(argv)
        and argv[0] in COMMANDS
        and enabled()
        and os.environ.get("GITHUB_ACTIONS") != "true"
        and not any(a.split("=")[0] in WRITING_OPTIONS for a in argv)
        and not any(a in ("-h", "--help") for a in argv)
    )


class _Tee(io.TextIOBase):
    def __init__(self, stream: io.TextIOBase):
        self.stream, self.parts = stream, []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click may hand bytes to a stream it cannot classify
            text = text.decode("utf-8", "replace")
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def run(argv: list[str], invoke: Callable[[], None]) -> None:
    """Replay `argv`'s stored output if its inputs are unchanged; else run and store it."""
    root = _find_root(Path.cwd())
    if root is None:
        invoke()
        return
    # One walk, before the command: the key names the files as they were when it started
    # (a file changed during a run is a different key next time either way).
    content = content_key(root)
    stored = _read(root / FOLDER / "runs" / _key(root, argv, content)) if content else None
    if isinstance(stored, dict):
        sys.stdout.write(stored["out"])
        sys.stderr.write(stored["err"])
        sys.stdout.flush()
        sys.exit(stored["code"])
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    code: int | str | None = 0
    try:
        invoke()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stdout, sys.stderr = out.stream, err.stream
    if code in (0, 1, None) and content:
        stored = {"out": "".join(out.parts), "err": "".join(err.parts), "code": code or 0}
        _write(root / FOLDER / "runs" / _key(root, argv, content), stored)
        keep_newest(root / FOLDER / "runs", KEEP_RUNS)
    sys.exit(code)
