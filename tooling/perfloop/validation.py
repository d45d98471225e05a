"""`validate`'s core: load each cycle, check schemas and rules, collect located problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from .alignment import links
from .model import CycleData
from .problems import Problem, sort_problems
from .repository import load_cycle
from .rules import check_cycle
from .scoring import PersonScore, adopt_scores, computed_scores, score_person
from .speed import verdict
from .speed.memory import bulk_allocation
from .speed.verdict import Verdict


@dataclass(frozen=True)
class CycleResult:
    cycle_id: str
    data: CycleData | None
    problems: list[Problem] = field(default_factory=list)
    # When derived from a base revision's verdict (incremental.py), `data` holds only the
    # files the change reached: the scores at the base, and how many files loaded cleanly.
    base_scores: Mapping[str, PersonScore] | None = None
    files: int | None = None

    @property
    def file_count(self) -> int:
        """The cycle's files that loaded cleanly (parsed, schema-valid)."""
        if self.files is not None:
            return self.files
        return len(self.data.documents) if self.data else 0


def validate_cycle(root: Path, cycle_id: str, recall: bool = False) -> CycleResult:
    """Load and check the cycle in the working tree. `recall`: when its verdict is stored,
    build it from that without examining its files (recall.py), as commands that print
    the model do; `validate` and a pull request's check derive from a base instead."""
    if recall:
        from .speed.recall import recall_cycle

        recalled = recall_cycle(root, cycle_id)
        if recalled is not None:
            data, load, found = recalled
            problems = load + check_rules(root, data, load, found)
            return CycleResult(cycle_id, data, sort_problems(problems))
    data, problems = load_cycle(root, cycle_id)
    if data is not None:
        problems = problems + check_rules(root, data, problems)
    return CycleResult(cycle_id, data, sort_problems(problems))


def check_rules(
    root: Path,
    data: CycleData,
    load: list[Problem] | None = None,
    found: Verdict | None = None,
) -> list[Problem]:
    """Every rule's problems for `data`; its scores come along when the rules computed them.
    Answered from the verdict of the same content and code when there is one (verdict.py):
    `validate`, `score` and `calibrate` in a row check the cycle once.

    `load` (the problems loading `data` found) is kept with the verdict when given: with
    it, a pull request's check can start from the base's verdict (incremental.py). `found`:
    the verdict of `data`, when the caller has already read it."""
    examined = _examined_problems(data, load)
    with bulk_allocation():  # the rules' indexes and the scores live as long as the model
        if found is None:
            found = verdict.lookup(root, data.dir, data.content)
        if found is not None:
            scores = found.scores
            if isinstance(scores, verdict.Scores):  # a damaged entry is scored afresh
                scores = scores.rescoring(partial(score_person, data))
            if scores is not None:
                adopt_scores(data, scores)
            if examined is not None and (found.load is None or found.links is None):
                verdict.store(
                    root, data.dir, data.content, replace(found, load=examined, links=links(data))
                )
            return list(found.problems)
        problems = check_cycle(data)
    verdict.store(
        root,
        data.dir,
        data.content,
        Verdict(problems, computed_scores(data), links(data), examined),
    )
    return problems


def _examined_problems(data: CycleData, load: list[Problem] | None) -> list[Problem] | None:
    """The load problems that belong to examined files: those follow from the content's
    digest; others (a stray file, a symbolic link) are not part of it, so not kept."""
    if load is None or data.examined is None:
        return None
    return [p for p in load if p.path in data.examined]
