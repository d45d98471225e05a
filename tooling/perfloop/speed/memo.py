"""Replay a read-only command's output when nothing it could read has changed.

`perfloop validate`, `score`, `calibrate`, `tree` and `status` are pure functions of their
arguments, the cycles' files, the tool itself and (for deadlines) today's date. Their output
is stored in the cache folder's `runs/` (inside `.git/`: `root.cache_folder`), keyed by
all of those and sealed with the cache's MAC (`store`); a warm run answers from
there after a directory walk and a few stat calls, before importing anything heavy. Any
changed, added or removed file — or a new tool version — is a different key. Runs under
GitHub Actions (annotations, job summaries) and `PERFLOOP_CACHE=0` are never replayed.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable

# Light on purpose: a replay starts git first, then imports the rest while git works.
from ..gitrun import GitFailed, GitRun, start_git
from ..root import CYCLES, cache_folder, enabled, root_folder

TYPE_CHECKING = False  # typing and pathlib cost a replay 40 ms to import (see store)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import TextIO

    Root = str | Path

COMMANDS = {"validate", "score", "calibrate", "tree", "status"}
KEEP_RUNS = 200
WRITING_OPTIONS = {"--write", "--force", "--out", "-o"}


def content_key(root: Root, started: Started | None = None) -> str | None:
    """A digest of the cycles' content: as git sees it when it can (`git_content_key`),
    else from a walk of the cycle folders (`walked_content_key`)."""
    return git_content_key(root, started) or walked_content_key(root)


class Started:
    """The git processes `git_content_key` reads, under way."""

    def __init__(self, root: str | Path):
        cycles = f"HEAD:./{CYCLES}"  # ./: relative to the root, which may be a subfolder
        self.root = root
        self.heads = self.start(
            "rev-parse", "--show-toplevel", "--git-path", "index", "--verify", cycles
        )
        self.status = self.start(
            "status", "--porcelain=v1", "-z", "-uno", "--no-renames", "--", CYCLES
        )

    def start(self, *args: str) -> GitRun | None:
        try:
            # no optional locks: a read never competes with the user's own git for the
            # index lock (git then just does not save its refreshed stat data)
            return start_git(self.root, "--no-optional-locks", *args)
        except GitFailed:
            return None


def _output(running: GitRun | None) -> bytes | None:
    try:
        return None if running is None else running.output()
    except GitFailed:
        return None


def git_content_key(root: Root, started: Started | None = None) -> str | None:
    """The cycles' tree at HEAD, every tracked file under cycles/ that differs from it
    (changed or staged) and every untracked one (ignored or not; hidden names skipped, as
    the loader skips them), each hashed as it is now.

    `git status` compares the working tree with git's index by stat data, in C and in
    parallel: at 70,000 files 0.08 s where the walk below takes eight times that; the
    untracked files come from `untracked`, which reads only the directories that changed.
    None (so the walk decides) outside a git work tree, without a HEAD, or when git may not
    see a change: an entry marked assume-unchanged or skip-worktree, or unmerged."""
    import hashlib

    from .untracked import Unsure, untracked_files

    running = started or Started(root)
    heads = _output(running.heads)
    if heads is None:
        _output(running.status)
        return None
    top, index, tree = heads.decode("utf-8", "surrogateescape").split("\n")[:3]
    try:
        others = untracked_files(root, CYCLES, os.path.join(root, index))
    except Unsure:
        _output(running.status)
        return None
    status = _output(running.status)
    if status is None:
        return None
    digest = hashlib.sha1(f"git\0{tree}\0".encode(), usedforsecurity=False)
    changed = [(os.path.join(top, os.fsdecode(e[3:])), e) for e in status.split(b"\0") if e]
    changed += [(os.path.join(root, rel), b"?? " + os.fsencode(rel)) for rel in others]
    if changed:
        from ..sources import blob_id
    for path, entry in sorted(changed, key=lambda item: item[1]):
        try:
            if os.path.islink(path):
                now = "link"
            else:
                with open(path, "rb") as handle:
                    now = blob_id(handle.read())
        except FileNotFoundError:
            now = "gone"
        except OSError:
            return None
        digest.update(entry + b"\0" + now.encode() + b"\0")
    return digest.hexdigest()


def walked_content_key(root: Root) -> str | None:
    """A digest of every cycle file's path and blob id. Blob ids come from the stat index
    where a file's size, mtime, inode and ctime are unchanged (and not racily recent); other
    files are read and hashed, and the index is updated. None if a file cannot be read
    (the command then runs unmemoized and reports it)."""
    import hashlib
    from pathlib import Path

    from ..sources import DirectorySource, blob_id, hand_over, trusted
    from .cache import read_index
    from .store import RACY_NS, fingerprint, write

    root = Path(root)
    digest = hashlib.sha1(usedforsecurity=False)
    cycles = sorted(p for p in (root / "cycles").iterdir() if p.is_dir())
    for folder in cycles:
        index_file = Path(cache_folder(root)) / fingerprint() / f"{folder.name}.index"
        index, written = read_index(index_file)
        changed = False
        source = DirectorySource(folder)
        digest.update(f"\0{folder.name}\0".encode())
        parts: list[str] = []
        entries = source.entries()
        hand_over(folder, entries)  # the command's own listing of this cycle
        for entry in entries:
            stat = entry.stat
            if stat is None:  # a symlink: refused by validation, named here
                parts.append(f"{entry.rel}\0symlink\0")
                continue
            known = index.get(entry.rel)
            if known is None or known[:4] != stat or not trusted(stat, written, RACY_NS):
                try:
                    known = index[entry.rel] = (*stat, blob_id(source.read(entry.rel)))
                except OSError:
                    return None
                changed = True
            parts.append(f"{entry.rel}\0{known[4]}\0")
        digest.update("".join(parts).encode())
        if changed:
            write(index_file, {"index": index, "written_ns": time.time_ns()})
    return digest.hexdigest()


def _key(root: Root, argv: list[str], content: str) -> str:
    import hashlib

    from .store import code_fingerprint

    parts = (
        argv,
        os.path.relpath(os.getcwd(), root),
        time.strftime("%Y-%m-%d"),  # today, as datetime.date.today() gives it
        code_fingerprint(),
        content,
        _identity_stamp(argv),
        # not the cache's key: a secret, and it decides only which entries are trusted
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k.startswith("PERFLOOP_") and k != "PERFLOOP_CACHE_KEY"
        ),
    )
    # repr of plain strings and lists: unambiguous, and no json import (0.02 s) on the
    # replay path
    return hashlib.sha1(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _identity_stamp(argv: list[str]) -> tuple | None:
    """Which identity file the run reads sealed files with, and its size and mtime: what a
    run opens depends on it (`--identity` and PERFLOOP_IDENTITY are in the key already;
    the default ~/.ssh/id_ed25519 may appear, or be replaced)."""
    given = None
    for i, arg in enumerate(argv):
        if arg in ("--identity", "-i") and i + 1 < len(argv):
            given = argv[i + 1]
        elif arg.startswith("--identity="):
            given = arg.split("=", 1)[1]
    path = os.path.expanduser(given or os.environ.get("PERFLOOP_IDENTITY") or "~/.ssh/id_ed25519")
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_size, st.st_mtime_ns)


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
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str | bytes) -> int:
        if isinstance(text, bytes):  # click may hand bytes to a stream it cannot classify
            text = text.decode("utf-8", "replace")
        self.parts.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def run(argv: list[str], invoke: Callable[[], None]) -> None:
    """Replay `argv`'s stored output if its inputs are unchanged; else run and store it."""
    folder = root_folder(os.getcwd())
    if folder is None:
        invoke()
        return
    started = Started(folder)  # git works while the rest is imported
    from .store import keep_newest, read, write

    runs = os.path.join(cache_folder(folder), "runs")
    # One look, before the command: the key names the files as they were when it started
    # (a file changed during a run is a different key next time either way).
    content = content_key(folder, started)
    file = os.path.join(runs, _key(folder, argv, content)) if content else None
    stored = read(file) if file else None
    if isinstance(stored, dict):
        sys.stdout.write(stored["out"])
        sys.stderr.write(stored["err"])
        sys.stdout.flush()
        sys.exit(stored["code"])
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out, err
    code: int | str | None = 0
    finished = None
    try:
        invoke()
    except SystemExit as exit_:
        code = exit_.code
        # Held until the process ends: its traceback keeps the command's frames, and so
        # its model, alive; `cli` then exits without freeing them one by one (0.4 s).
        finished = exit_
    finally:
        sys.stdout, sys.stderr = out.stream, err.stream
    from ..sealing.reader import opened

    # a run that opened a sealed file printed what its plaintext says: never stored
    if code in (0, 1, None) and file and not opened():
        stored = {"out": "".join(out.parts), "err": "".join(err.parts), "code": code or 0}
        write(file, stored)  # under the key of the run's start, date included
        keep_newest(runs, KEEP_RUNS)
    raise SystemExit(code) from finished
