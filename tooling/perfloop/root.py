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
FOLDER = ".perfloop-cache"  # at the root; git-ignored by its own .gitignore


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
