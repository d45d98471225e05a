"""`validate`'s core: load each cycle, check schemas and rules, collect located problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .memory import bulk_allocation
from .model import CycleData
from .problems import Problem, sort_problems
from .repository import cycle_ids, load_cycle
from .rules import check_cycle


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    data: CycleData | None
    problems: list[Problem] = field(default_factory=list)


def validate_cycle(root: Path, cycle_id: str) -> CycleResult:
    data, problems = load_cycle(root, cycle_id)
    if data is not None:
        with bulk_allocation():  # the rules' indexes live as long as the model
            problems = problems + check_cycle(data)
    return CycleResult(cycle_id, data, sort_problems(problems))


def validate_repository(root: Path, only: list[str] | None = None) -> list[CycleResult]:
    return [validate_cycle(root, cid) for cid in (only or cycle_ids(root))]
