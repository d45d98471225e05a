"""The files under a folder that git does not track, found without reading every directory.

`git status --untracked-files=all --ignored` reads every directory of the work tree: at
10,000 people 10,000 directories, 0.14 s of every run, and git's own untracked cache does
not serve it (git 2.39 uses that cache neither with a pathspec nor with `--ignored`, and
perfloop reads ignored files too). A directory's entries change only when its mtime, ctime
or inode does, so what each directory held is kept between runs (`.perfloop-cache/
untracked`) and only a directory whose stat moved is read again. Which files git tracks
changes only when git's index file is written, so `git ls-files` runs only then.

Untracked means not in git's index, ignored or not. Hidden names (a leading dot) are
skipped, as the loader skips them.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from .cache import FOLDER, RACY_NS, _read, _write
from .gitrun import GitFailed, start_git

STATE = "untracked"
_FORMAT = 2

# folder -> (mtime_ns, ctime_ns, inode, its subfolders, its untracked files), all paths
# relative to the root with '/'
Folder = tuple[int, int, int, tuple[str, ...], tuple[str, ...]]


class Unsure(Exception):
    """Git may not see every change (an entry assume-unchanged, skip-worktree or unmerged),
    or a directory cannot be read: the caller cannot rely on git and these files."""


def untracked_files(root: Path, folder: str, index: Path) -> list[str]:
    """Every non-hidden file (symlinks included) under `root/folder` that git's `index`
    file does not list, as paths relative to `root`, sorted. `git ls-files` runs only when
    the index file changed since the last run, or a directory did. Raises Unsure."""
    state_file = root / FOLDER / STATE
    stored = _read(state_file)
    try:
        return _untracked(root, folder, index, state_file, stored)
    except (KeyError, IndexError, TypeError, ValueError):  # kept listings not as written
        return _untracked(root, folder, index, state_file, None)


def _listing(root: Path, folder: str) -> bytes:
    """`git ls-files -v` of `folder`: every path git's index holds, each with its tag."""
    try:
        return start_git(root, "--no-optional-locks", "ls-files", "-v", "-z", "--", folder).output()
    except GitFailed as exc:
        raise Unsure(str(exc)) from None


def _untracked(
    root: Path,
    folder: str,
    index: Path,
    state_file: Path,
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
    kept: dict[str, Folder] = {}
    tracked_digest, written = b"", 0
    if isinstance(stored, dict) and stored.get("format") == _FORMAT and stored["folder"] == folder:
        kept, tracked_digest, written = stored["folders"], stored["tracked"], stored["written_ns"]
    # An index written within RACY_NS of the last run may have been rewritten unseen.
    same_index = (
        bool(kept)
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
            kept = {}  # other files are tracked now: every folder is read again
    base = os.fspath(root) + "/"
    trusted_before = written - RACY_NS  # a folder changed later may have changed unseen
    lstat = os.lstat
    folders: dict[str, Folder] = {}
    found: list[str] = []
    read_again = False
    for rel, entry in kept.items():  # one stat each: 10,000 folders in 0.04 s
        try:
            st = lstat(base + rel)
        except FileNotFoundError:
            read_again = True  # gone: its parent changed too, and is read again
            continue
        except OSError as exc:
            raise Unsure(str(exc)) from None
        if (
            entry[0] == st.st_mtime_ns
            and entry[1] == st.st_ctime_ns
            and entry[2] == st.st_ino
            and entry[0] < trusted_before
            and entry[1] < trusted_before
        ):
            folders[rel] = entry
            if entry[4]:
                found += entry[4]
        else:
            folders[rel] = _read_folder(base, rel, tracked())
            read_again = True
    reached = folders
    if read_again or not kept:
        # From the top, through what each folder holds now: reaches new folders, and
        # leaves out folders no longer under it.
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
    if read_again or not same_index or not kept:
        _write(
            state_file,
            {
                "format": _FORMAT,
                "folder": folder,
                "index": index_stat,
                "tracked": tracked_digest,
                "written_ns": started,
                "folders": reached,
            },
        )
    found.sort()
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
