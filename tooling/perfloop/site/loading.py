"""Loading cycles for a build: the public audience never reads confidential files.

Reviews, calibration files and results snapshots are filtered out of the cycle's file list
before anything parses them, and stripped again from the loaded record, so no page builder
of a public build can reach them even by mistake.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..model import CycleData
from ..problems import Problem, sort_problems
from ..repository import CYCLES, load_cycle
from ..rules import check_cycle
from ..sources import DirectorySource, Entry, Source

CONFIDENTIAL_DIRS = ("reviews/", "calibration/")
CONFIDENTIAL_FILES = ("results.yaml",)


def is_confidential(rel: str) -> bool:
    """Whether a path inside a cycle folder holds scores, ratings, review text or bonus."""
    return rel.startswith(CONFIDENTIAL_DIRS) or rel in CONFIDENTIAL_FILES


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


def strip_confidential(data: CycleData) -> CycleData:
    return dataclasses.replace(
        data,
        reviews={},
        calibrations={},
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
    data, problems = load_cycle(root, cycle_id, source=source)
    if data is None:
        return None, sort_problems(problems)
    if not restricted:
        data = strip_confidential(data)
    return data, sort_problems(problems + check_cycle(data))
