"""Loading cycles for a build: the public audience never reads confidential files.

Reviews, calibration files and results snapshots are filtered out of the cycle's file list
before anything parses them, and stripped again from the loaded record, so no page builder
of a public build can reach them even by mistake. So are the development objectives that
`perfloop cycle new` carried from review improvement plans (`carryover.from_reviews`): goals are
public, but those actions are what reviewers wrote. A restricted build keeps them only for
the people whose results its audience may see (`keep_plans_of`).
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable
from pathlib import Path

from ..carryover import from_reviews
from ..engine import load_cycle, rules
from ..model import CycleData, Goals, Records
from ..problems import Problem, sort_problems
from ..repository import CYCLES
from ..sources import DirectorySource, Entry, Source, stat_of

CONFIDENTIAL_DIRS = ("reviews/", "calibration/", "checkpoints/", "results/", "development/")
CONFIDENTIAL_FILES = ("results.yaml",)


def is_confidential(rel: str) -> bool:
    """Whether a path inside a cycle folder holds scores, ratings, review text or bonus;
    every sealed file (`*.age`) is, whatever its name."""
    return rel.startswith(CONFIDENTIAL_DIRS) or rel in CONFIDENTIAL_FILES or rel.endswith(".age")


class PublicSource:
    """A cycle folder without its confidential files."""

    def __init__(self, inner: Source):
        self.inner = inner

    def entries(self) -> list[Entry]:
        return [e for e in self.inner.entries() if not is_confidential(e.rel)]

    def read(self, rel: str) -> bytes:
        if is_confidential(rel):
            raise PermissionError(f"{rel} is confidential and not part of a public build")
        return self.inner.read(rel)


def _public_goals(goals: Goals) -> Goals:
    kept = tuple(o for o in goals.objectives if not from_reviews(o))
    if len(kept) == len(goals.objectives):
        return goals
    return dataclasses.replace(goals, objectives=kept)


def keep_plans_of(data: CycleData, sees: Callable[[str], bool]) -> CycleData:
    """`data` with the carried development plans of the people `sees` rejects left out:
    a restricted build shows a plan to the person, the heads of their departments and HR
    only, as it shows review text."""
    source = data.goals
    return dataclasses.replace(
        data,
        goals=Records(
            dict.fromkeys(source),
            lambda owner, _: source[owner] if sees(owner) else _public_goals(source[owner]),
        ),
    )


def strip_confidential(data: CycleData) -> CycleData:
    source = data.goals
    return dataclasses.replace(
        data,
        goals=Records(dict.fromkeys(source), lambda owner, _: _public_goals(source[owner])),
        reviews={},
        calibrations={},
        checkpoints={},
        results=None,
        documents={
            path: doc
            for path, doc in data.documents.items()
            if not is_confidential(path.removeprefix(data.dir + "/"))
        },
    )


def load_for_site(
    root: Path, cycle_id: str, restricted: bool
) -> tuple[CycleData | None, list[Problem]]:
    """Load and check one cycle; for a public build, without its confidential files."""
    source: Source = DirectorySource(root / CYCLES / cycle_id)
    if not restricted:
        source = PublicSource(source)
    # The public build never opens a sealed file, whatever identity is present.
    data, problems = load_cycle(root, cycle_id, source=source, keyless=not restricted)
    if data is None:
        return None, sort_problems(problems)
    # Checked before stripping, which only drops what a public source never read: the
    # loaded record still names its content, so its verdict is reused (verdict.py), and a
    # restricted build shares the one `perfloop validate` stored.
    problems = problems + rules(root, data)
    if not restricted:
        data = strip_confidential(data)
    return data, sort_problems(problems)


class OutlineSource:
    """Only a cycle's cycle.yaml and org.yaml: what page titles and the navigation need."""

    FILES = ("cycle.yaml", "org.yaml")

    def __init__(self, folder: Path):
        self.folder = folder

    def entries(self) -> list[Entry]:
        found = []
        for rel in self.FILES:
            try:
                st = os.stat(self.folder / rel, follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                found.append(Entry(rel, symlink=True))
            elif stat.S_ISREG(st.st_mode):
                found.append(Entry(rel, stat_of(st)))
        return found

    def read(self, rel: str) -> bytes:
        if rel not in self.FILES:
            raise PermissionError(f"{rel} is not part of a cycle's outline")
        return (self.folder / rel).read_bytes()


def load_outline(root: Path, cycle_id: str) -> CycleData | None:
    """A cycle with its cycle.yaml and org.yaml only (no goals, no objectives, nothing
    confidential), or None when they have errors: the full load then reports them. It
    leaves the parse cache alone: a worker process may be loading the same cycle."""
    source = OutlineSource(root / CYCLES / cycle_id)
    data, problems = load_cycle(root, cycle_id, source=source, use_cache=False)
    if data is None or any(p.is_error for p in problems):
        return None
    return data
