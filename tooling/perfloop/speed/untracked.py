"""The files under a folder that git does not track, found without reading every directory.

`git status --untracked-files=all --ignored` reads every directory of the work tree on
every run, and git's own untracked cache does not serve it (git 2.39 uses that cache neither
with a pathspec nor with `--ignored`, and perfloop reads ignored files too). A directory's
entries change only when its mtime, ctime or inode does, so what each directory held is kept
between runs (the cache folder's `untracked`) and only a directory whose stat moved is read
again. Which files git tracks changes only when git's index file is written, so `git ls-
files` runs only then.

Untracked means not in git's index, ignored or not. Hidden names (a leading dot) are
skipped, as the loader skips them.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from array import array

from ..gitrun import GitFailed, start_git
from ..root import cache_folder
from .store import RACY_NS, read, write

TYPE_CHECKING = False  # on a replay's path: no typing, no pathlib (see store)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

STATE = "untracked"
_FORMAT = 3

# folder -> (mtime_ns, ctime_ns, inode, its subfolders, its untracked files), all paths
# relative to the root with '/'
Folder = tuple[int, int, int, tuple[str, ...], tuple[str, ...]]


class Unsure(Exception):
    """Git may not see every change (an entry assume-unchanged, skip-worktree or unmerged),
    or a directory cannot be read: the caller cannot rely on git and these files."""


def untracked_files(root: str | Path, folder: str, index: str | Path) -> list[str]:
    """Every non-hidden file (symlinks included) under `root/folder` that git's `index`
    file does not list, as paths relative to `root`, sorted. `git ls-files` runs only when
    the index file changed since the last run, or a directory did. Raises Unsure."""
    state_file = os.path.join(cache_folder(root), STATE)
    stored = read(state_file)
    try:
        return _untracked(root, folder, index, state_file, stored)
    except (KeyError, IndexError, TypeError, ValueError, EOFError):  # kept listings damaged
        return _untracked(root, folder, index, state_file, None)


def _listing(root: str | Path, folder: str) -> bytes:
    """`git ls-files -v` of `folder`: every path git's index holds, each with its tag."""
    try:
        return start_git(root, "--no-optional-locks", "ls-files", "-v", "-z", "--", folder).output()
    except GitFailed as exc:
        raise Unsure(str(exc)) from None


class _Kept:
    """The folder listings of the last run, as stored: the folders' paths (one string),
    their stats (one array) and the untracked files found, which are all a run reads when
    no folder moved; what each folder holds is decoded only when one did. At 10,000 people
    decoding 10,000 listings was 12 ms of every replayed command's 0.15 s."""

    def __init__(self, stored: Any, folder: str):
        self.valid = (
            isinstance(stored, dict)
            and stored.get("format") == _FORMAT
            and stored["folder"] == folder
        )
        if not self.valid:
            self.names: list[str] = []
            self.stats = array("q")
            self.found: list[str] = []
            return
        names = stored["names"]
        if type(names) is not str:
            raise TypeError("kept folders are not paths")
        self.names = names.split("\0") if names else []
        self.stats = array("q", stored["stats"])
        if len(self.stats) != 3 * len(self.names):
            raise ValueError("kept stats do not match the folders")
        self.found = list(stored["found"])
        if not all(type(name) is str for name in self.found):
            raise TypeError("kept untracked files are not paths")
        self.tree = stored["tree"]

    def moved(self, base: str, trusted_before: int) -> list[str]:
        """The folders whose stat is not the kept one (or was kept too soon after a change
        to be trusted), gone ones included: one lstat each, 10,000 folders in 0.03 s."""
        lstat, stats, moved = os.lstat, self.stats, []
        for k, rel in enumerate(self.names):
            mtime, ctime, inode = stats[3 * k], stats[3 * k + 1], stats[3 * k + 2]
            try:
                st = lstat(base + rel)
            except FileNotFoundError:
                moved.append(rel)  # gone: its parent changed too, and is read again
                continue
            except OSError as exc:
                raise Unsure(str(exc)) from None
            if (
                st.st_mtime_ns != mtime
                or st.st_ctime_ns != ctime
                or st.st_ino != inode
                or mtime >= trusted_before
                or ctime >= trusted_before
            ):
                moved.append(rel)
        return moved

    def folders(self) -> dict[str, Folder]:
        """Every kept folder's listing."""
        tree = marshal.loads(self.tree)
        stats = self.stats
        return {
            rel: (stats[3 * k], stats[3 * k + 1], stats[3 * k + 2], *tree[k])
            for k, rel in enumerate(self.names)
        }

    @staticmethod
    def state(
        folder: str,
        index_stat: tuple[int, ...],
        tracked: bytes,
        written: int,
        reached: dict[str, Folder],
        found: list[str],
    ) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "folder": folder,
            "index": index_stat,
            "tracked": tracked,
            "written_ns": written,
            "names": "\0".join(reached),
            "stats": array("q", [n for e in reached.values() for n in e[:3]]).tobytes(),
            "found": found,
            "tree": marshal.dumps([(e[3], e[4]) for e in reached.values()]),
        }


def _untracked(
    root: str | Path,
    folder: str,
    index: str | Path,
    state_file: str,
    stored: Any,
) -> list[str]:
    started = time.time_ns()
    try:
        st = os.stat(index)
        index_stat = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    except FileNotFoundError:  # a repository with nothing ever added
        index_stat = (0, 0, 0, 0)
    except OSError as exc:
        raise Unsure(str(exc)) from None
    kept = _Kept(stored, folder)
    tracked_digest, written = (stored["tracked"], stored["written_ns"]) if kept.valid else (b"", 0)
    # An index written within RACY_NS of the last run may have been rewritten unseen.
    same_index = (
        bool(kept.names)
        and stored["index"] == index_stat
        and max(index_stat[1], index_stat[3]) < written - RACY_NS
    )
    known: set[str] | None = None

    def tracked() -> set[str]:
        nonlocal known, tracked_digest
        if known is None:
            raw = _listing(root, folder)
            entries = raw.split(b"\0")[:-1]
            if any(entry[:2] != b"H " for entry in entries):
                raise Unsure("an index entry git may not compare")
            tracked_digest = hashlib.sha1(raw, usedforsecurity=False).digest()
            known = {os.fsdecode(entry[2:]) for entry in entries}
        return known

    if not same_index:
        before = tracked_digest
        tracked()
        if tracked_digest != before:
            kept = _Kept(None, folder)  # other files are tracked now: every folder is read again
    base = os.fspath(root) + "/"
    moved = kept.moved(base, written - RACY_NS)  # a folder changed later may have changed unseen
    if kept.names and not moved:
        found = kept.found
        if not same_index:
            write(
                state_file,
                _Kept.state(folder, index_stat, tracked_digest, started, kept.folders(), found),
            )
        found.sort()
        return found
    folders = kept.folders() if kept.names else {}
    for rel in moved:
        if os.path.lexists(base + rel):
            folders[rel] = _read_folder(base, rel, tracked())
        else:
            del folders[rel]
    # From the top, through what each folder holds now: reaches new folders, and leaves
    # out folders no longer under it.
    found, reached, stack = [], {}, [folder]
    while stack:
        rel = stack.pop()
        entry = folders.get(rel)
        if entry is None:
            if not os.path.isdir(base + rel) or os.path.islink(base + rel):
                continue  # the folder itself is absent
            entry = _read_folder(base, rel, tracked())
        reached[rel] = entry
        found += entry[4]
        stack += entry[3]
    found.sort()
    write(state_file, _Kept.state(folder, index_stat, tracked_digest, started, reached, found))
    return found


def _read_folder(base: str, rel: str, known: set[str]) -> Folder:
    """A folder as it is now. Its stat is taken before its entries are read: an entry added
    in between makes the next run read it again, never miss it."""
    subfolders: list[str] = []
    files: list[str] = []
    try:
        st = os.lstat(base + rel)
        with os.scandir(base + rel) as items:
            for item in items:
                name = item.name
                if name[0] == ".":
                    continue
                path = f"{rel}/{name}"
                if item.is_dir(follow_symlinks=False):
                    subfolders.append(path)
                elif path not in known:
                    files.append(path)
    except FileNotFoundError:  # removed while being read: its parent changed as well
        return (0, 0, 0, (), ())
    except OSError as exc:
        raise Unsure(str(exc)) from None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, tuple(subfolders), tuple(files))
