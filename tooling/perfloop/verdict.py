"""A cycle's verdict — its rule problems and scores — kept by the content it came from.

Every rule (`rules/`) and every score (`scoring.py`) is a pure function of the loaded
cycle, and the loaded cycle is a pure function of its files' bytes. `validate`, `score`,
`calibrate`, `status`, `tree` and the site each need the same verdict, and at 10,000 people
the rules and scores cost more than loading the model. So a verdict is computed once per
content and code: stored under `.perfloop-cache/<fingerprint>/verdicts/`, keyed by the
code of the whole tool (`cache.code_fingerprint`) and the cycle's content digest (every
examined file's path and git blob id, as the load read them: `CycleData.content`).

Unlike replayed output (memo.py), a verdict is keyed by the bytes actually loaded, not by
a stat seen before the run, and it is shared by every command. It is stored with marshal
(plain data only: a cache file can never run code) and anything malformed is a miss.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .cache import FOLDER, _read, _write, code_fingerprint, enabled, fingerprint
from .model import record
from .problems import Problem, Severity
from .scoring import GroupScore, KpiScore, ObjectiveScore, PersonScore

KEEP = 16  # verdicts kept: a PR check, the base and a few local edits in flight
FORMAT = 1


@dataclass(frozen=True)
class Verdict:
    problems: list[Problem]  # the rules' problems, in the rules' order
    scores: dict[str, PersonScore] | None  # None when the rules did not score the cycle


def _file(root: Path, content: str, cycle_dir: str) -> Path:
    key = hashlib.sha1(
        f"{FORMAT}\0{code_fingerprint()}\0{cycle_dir}\0{content}".encode(),
        usedforsecurity=False,
    ).hexdigest()
    return Path(root) / FOLDER / fingerprint() / "verdicts" / key


def lookup(root: Path, cycle_dir: str, content: str | None) -> Verdict | None:
    """The verdict stored for this content and code, if any."""
    if content is None or not enabled():
        return None
    stored = _read(_file(root, content, cycle_dir))
    if not isinstance(stored, dict) or stored.get("content") != content:
        return None
    try:
        problems = [Problem(p, ln, col, Severity(s), m) for p, ln, col, s, m in stored["problems"]]
        raw_scores = stored["scores"]
        scores = None if raw_scores is None else {s[0]: _score(s) for s in raw_scores}
    except (KeyError, TypeError, ValueError):
        return None  # a verdict of another shape: compute afresh
    return Verdict(problems, scores)


def store(root: Path, cycle_dir: str, content: str | None, verdict: Verdict) -> None:
    """Keep `verdict` for this content (atomically; the oldest beyond KEEP are dropped)."""
    if content is None or not enabled():
        return
    file = _file(root, content, cycle_dir)
    _write(
        file,
        {
            "content": content,
            "problems": [
                (p.path, p.line, p.col, p.severity.value, p.message) for p in verdict.problems
            ],
            "scores": None
            if verdict.scores is None
            else [_flat_score(s) for s in verdict.scores.values()],
        },
    )
    _prune(file.parent)


def _prune(folder: Path) -> None:
    try:
        kept = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


# --- scores as plain tuples -------------------------------------------------------------------


def _flat_score(s: PersonScore) -> tuple[Any, ...]:
    return (
        *(getattr(s, name) for name in _HEAD),
        tuple(tuple(getattr(o, n) for n in _OBJ) for o in s.objectives),
        tuple(tuple(getattr(k, n) for n in _KPI) for k in s.kpis),
        tuple(tuple(getattr(g, n) for n in _GROUP) for g in s.review_groups),
        s.weights,
    )


def _score(flat: tuple[Any, ...]) -> PersonScore:
    *head, objectives, kpis, groups, weights = flat
    if len(head) != len(_HEAD) or not isinstance(weights, dict):
        raise ValueError("not a stored score")
    return record(
        PersonScore,
        **dict(zip(_HEAD, head, strict=True)),
        objectives=tuple(
            record(ObjectiveScore, **dict(zip(_OBJ, o, strict=True))) for o in objectives
        ),
        kpis=tuple(record(KpiScore, **dict(zip(_KPI, k, strict=True))) for k in kpis),
        review_groups=tuple(
            record(GroupScore, **dict(zip(_GROUP, g, strict=True))) for g in groups
        ),
        weights=weights,
    )


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_HEAD = _names(PersonScore)[:12]
_OBJ, _KPI, _GROUP = _names(ObjectiveScore), _names(KpiScore), _names(GroupScore)
