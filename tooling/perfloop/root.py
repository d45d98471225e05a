"""Where a performance repository is: the nearest folder holding `cycles/`.

Kept apart from `repository` (which loads cycles and imports the loader and the model) so
that a command can find its root, and start git, before anything heavy is imported.
"""

from __future__ import annotations

from pathlib import Path

CYCLES = "cycles"


class RepositoryNotFound(Exception):
    """No `cycles/` folder at or above the given path."""


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds `cycles/`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CYCLES).is_dir():
            return folder
    raise RepositoryNotFound(f"no '{CYCLES}/' folder at or above {start}")
