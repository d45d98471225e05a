"""`validate`'s core: load a cycle, check schemas and rules, collect located problems.

Pure: the same files give the same result. Commands ask `engine.verdict`, which reaches
this same result sooner when something is stored (`speed/`); this module never asks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .model import CycleData
from .problems import Problem, sort_problems
from .repository import load_cycle
from .rules import check_cycle
from .scoring import PersonScore


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    data: CycleData | None
    problems: list[Problem] = field(default_factory=list)
    # When derived from a base revision's verdict (speed/incremental.py), `data` holds only
    # the files the change reached: the scores at the base, and how many files loaded cleanly.
    base_scores: Mapping[str, PersonScore] | None = None
    files: int | None = None

    @property
    def file_count(self) -> int:
        """The cycle's files that loaded cleanly (parsed, schema-valid)."""
        if self.files is not None:
            return self.files
        return len(self.data.documents) if self.data else 0


def validate_cycle(root: Path, cycle_id: str) -> CycleResult:
    """Load the cycle in the working tree and run every rule on it."""
    data, problems = load_cycle(root, cycle_id)
    if data is not None:
        problems = problems + check_cycle(data)
    return CycleResult(cycle_id, data, sort_problems(problems))
