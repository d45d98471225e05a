"""Where a cycle's files come from: the working tree, or a git revision.

A source lists (path inside the cycle folder, blob id) pairs and reads bytes. Blob ids are
git's (`sha1("blob <size>\\0" + bytes)`), so a file in the working tree and the same file
at any revision share one cache entry, and a git tree gives them for free.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple, Protocol


def blob_id(raw: bytes) -> str:
    """Git's id for a blob of these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()


def content_digest(blobs: dict[str, str]) -> str:
    """The identity of a set of files: each one's path and blob id (order-independent)."""
    return text_digest(digest_text(blobs))


def digest_text(blobs: dict[str, str]) -> str:
    """What `content_digest` hashes: "<path>\0<blob id>\n" per file in path order, joined
    in C (70,000 files: 20 ms)."""
    return "\n".join(map("\0".join, sorted(blobs.items()))) + "\n" if blobs else ""


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


# What a working-tree file's stat says about its bytes: size, mtime, inode and ctime (ns).
# ctime cannot be set back: a rewrite that restores a file's size and mtime still moves it.
Stat = tuple[int, int, int, int]


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def trusted(stat: Stat, written_ns: int, racy_ns: int) -> bool:
    """Whether a stat seen unchanged since an index written at `written_ns` vouches for the
    bytes: not when the file changed within `racy_ns` of the writing (clocks are coarse)."""
    return max(stat[1], stat[3]) < written_ns - racy_ns


def hidden(rel: str) -> bool:
    """A path the loader skips (see DirectorySource): its name or a folder's starts with
    a dot."""
    return rel[0] == "." or "/." in rel


class Entry(NamedTuple):
    """One file of a source (a named tuple: a cycle lists 70,000 of them at 10,000 people)."""

    rel: str  # path inside the cycle folder, with '/'
    stat: Stat | None = None  # for working-tree files
    blob: str | None = None  # git blob id, when the source knows it without reading
    symlink: bool = False  # refused: a pull request must not point the tool at other files


class Source(Protocol):
    def entries(self) -> list[Entry]: ...

    def read(self, rel: str) -> bytes: ...


# folder (real path) -> a listing made earlier in this process, used once: the replay key
# (memo.py) lists every cycle before a command runs, and the command need not list again.
_handed_over: dict[str, list[Entry]] = {}


def hand_over(folder: Path, entries: list[Entry]) -> None:
    """Let the next listing of `folder` in this process be `entries` (once)."""
    _handed_over[os.path.realpath(folder)] = entries


class DirectorySource:
    """The files of a cycle folder on disk (hidden files and folders skipped)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def entries(self) -> list[Entry]:
        if _handed_over:
            earlier = _handed_over.pop(os.path.realpath(self.folder), None)
            if earlier is not None:
                return earlier
        # An explicit stack over string paths: recursive generators and Path objects were
        # two thirds of a warm run's time at 70,000 files.
        found: list[Entry] = []
        stack = [(os.fspath(self.folder), "")]
        while stack:
            folder, prefix = stack.pop()
            try:
                items = list(os.scandir(folder))
            except OSError:
                continue
            for item in items:
                name = item.name
                if name[0] == ".":
                    continue
                if item.is_file(follow_symlinks=False):  # False for a symlink to a file
                    st = item.stat(follow_symlinks=False)
                    found.append(Entry(prefix + name, stat_of(st)))
                elif item.is_dir(follow_symlinks=False):
                    stack.append((item.path, f"{prefix}{name}/"))
                elif item.is_symlink():
                    found.append(Entry(prefix + name, symlink=True))
        found.sort()
        return found

    def read(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()
