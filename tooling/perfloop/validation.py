"""`validate`'s core: load each cycle, check schemas and rules, collect located problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import verdict
from .memory import bulk_allocation
from .model import CycleData
from .problems import Problem, sort_problems
from .repository import cycle_ids, load_cycle
from .rules import check_cycle
from .scoring import adopt_scores, computed_scores
from .verdict import Verdict


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    data: CycleData | None
    problems: list[Problem] = field(default_factory=list)


def validate_cycle(root: Path, cycle_id: str) -> CycleResult:
    data, problems = load_cycle(root, cycle_id)
    if data is not None:
        problems = problems + check_rules(root, data)
    return CycleResult(cycle_id, data, sort_problems(problems))


def check_rules(root: Path, data: CycleData) -> list[Problem]:
    """Every rule's problems for `data`; its scores come along when the rules computed them.
    Answered from the verdict of the same content and code when there is one (verdict.py):
    `validate`, `score` and `calibrate` in a row check the cycle once."""
    with bulk_allocation():  # the rules' indexes and the scores live as long as the model
        found = verdict.lookup(root, data.dir, data.content)
        if found is not None:
            if found.scores is not None:
                adopt_scores(data, found.scores)
            return list(found.problems)
        problems = check_cycle(data)
    verdict.store(root, data.dir, data.content, Verdict(problems, computed_scores(data)))
    return problems


def validate_repository(root: Path, only: list[str] | None = None) -> list[CycleResult]:
    return [validate_cycle(root, cid) for cid in (only or cycle_ids(root))]
