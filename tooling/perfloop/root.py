"""Where a performance repository is (the nearest folder holding `cycles/`), and where
its cache is.

Kept apart from `repository` (which loads cycles and imports the loader and the model),
and free of pathlib, so that a command can find its root and start git before anything
heavy is imported (`memo`).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs a replay 10 ms to import
if TYPE_CHECKING:
    from pathlib import Path

CYCLES = "cycles"
# Where earlier versions kept the cache, at the root. Never read now (a branch could commit
# one: issue 21); a pull request that adds one is an error (cache.committed_cache).
FOLDER = ".perfloop-cache"
CACHE = "perfloop-cache"  # the cache's folder inside git's directory


class RepositoryNotFound(Exception):
    """No `cycles/` folder at or above the given path."""


def enabled() -> bool:
    """Whether the cache is used (`PERFLOOP_CACHE=0` turns it off)."""
    return os.environ.get("PERFLOOP_CACHE", "1") not in ("0", "false", "no", "off")


def root_folder(start: str) -> str | None:
    """The nearest folder at or above `start` (made absolute, links resolved) that holds
    `cycles/`; None if there is none."""
    folder = os.path.realpath(start)
    while not os.path.isdir(os.path.join(folder, CYCLES)):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    return folder


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds `cycles/`."""
    from pathlib import Path

    found = root_folder(os.fspath(start))
    if found is None:
        raise RepositoryNotFound(f"no '{CYCLES}/' folder at or above {Path(start).resolve()}")
    return Path(found)


_cache_folders: dict[str, str] = {}  # root -> its cache folder inside git's directory
_located: set[str] = set()  # every cache folder located in this process


def cache_folder(root: str | os.PathLike[str]) -> str:
    """Where the cache of the repository at `root` is kept: inside git's own directory
    (`.git/perfloop-cache`; a linked worktree's `.git/worktrees/<name>/perfloop-cache`),
    where no commit, clone or pull request can carry it. A root below the work tree's top
    gets a folder of its own. Outside a git checkout: the user's cache directory,
    `$XDG_CACHE_HOME/perfloop/<digest of the root's path>`. Found by reading `.git`, not
    by asking git: a replayed command starts no process for it."""
    key = os.fspath(root)
    found = _cache_folders.get(key)
    if found is None:
        found, in_git = _locate_cache(os.path.realpath(key))
        if in_git:  # else looked for again: a command may make the repository (`init`)
            _cache_folders[key] = found
        _located.add(found)
    return found


def known_cache_folders() -> set[str]:
    """The cache folders located in this process: a cache file is trusted only under one."""
    return _located


def _locate_cache(root: str) -> tuple[str, bool]:
    """The cache folder of `root`, and whether it is inside a git directory."""
    import hashlib

    folder = root
    while True:
        git_dir = _git_dir(folder)
        if git_dir is not None:
            if folder == root:
                return os.path.join(git_dir, CACHE), True
            rel = os.path.relpath(root, folder).encode("utf-8", "surrogateescape")
            name = f"{CACHE}-{hashlib.sha256(rel).hexdigest()[:12]}"
            return os.path.join(git_dir, name), True
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return os.path.join(base, "perfloop", digest), False


def _git_dir(folder: str) -> str | None:
    """The git directory of a work tree whose top is `folder`: `.git` itself, or where a
    `.git` file (`gitdir: …`, a linked worktree or a submodule) points; None if neither,
    or if it does not hold a git directory (no HEAD)."""
    dot = os.path.join(folder, ".git")
    if os.path.isdir(dot):
        found = dot
    elif os.path.isfile(dot):
        try:
            with open(dot, encoding="utf-8") as handle:
                text = handle.read(4096)
        except (OSError, UnicodeDecodeError):
            return None
        if not text.startswith("gitdir:"):
            return None
        found = os.path.join(folder, text[len("gitdir:") :].strip())
    else:
        return None
    found = os.path.realpath(found)
    return found if os.path.isfile(os.path.join(found, "HEAD")) else None
