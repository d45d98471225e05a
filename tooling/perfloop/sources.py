"""Where a cycle's files come from: the working tree, or a git revision.

A source lists (path inside the cycle folder, blob id) pairs and reads bytes. Blob ids are
git's (`sha1("blob <size>\\0" + bytes)`), so a file in the working tree and the same file
at any revision share one cache entry, and a git tree gives them for free.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


def blob_id(raw: bytes) -> str:
    """Git's id for a blob of these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Entry:
    rel: str  # path inside the cycle folder, with '/'
    stat: tuple[int, int, int] | None = None  # (size, mtime_ns, inode) for working-tree files
    blob: str | None = None  # git blob id, when the source knows it without reading
    symlink: bool = False  # refused: a pull request must not point the tool at other files


class Source(Protocol):
    def entries(self) -> list[Entry]: ...

    def read(self, rel: str) -> bytes: ...


class DirectorySource:
    """The files of a cycle folder on disk (hidden files and folders skipped)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def entries(self) -> list[Entry]:
        return sorted(self._walk(self.folder, ""), key=lambda e: e.rel)

    def _walk(self, folder: Path, prefix: str) -> Iterator[Entry]:
        try:
            items = list(os.scandir(folder))
        except OSError:
            return
        for item in items:
            if item.name.startswith("."):
                continue
            rel = prefix + item.name
            if item.is_symlink():
                yield Entry(rel, symlink=True)
            elif item.is_dir(follow_symlinks=False):
                yield from self._walk(Path(item.path), rel + "/")
            elif item.is_file(follow_symlinks=False):
                st = item.stat(follow_symlinks=False)
                yield Entry(rel, (st.st_size, st.st_mtime_ns, st.st_ino))

    def read(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()
