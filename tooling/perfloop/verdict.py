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

from .cache import FOLDER, _read, _write, code_fingerprint, enabled, fingerprint, keep_newest
from .model import record
from .problems import Problem, Severity
from .scoring import GroupScore, KpiScore, ObjectiveScore, PersonScore

KEEP = 16  # verdicts kept: a PR check, the base and a few local edits in flight
FORMAT = 2


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
        scores = None if raw_scores is None else {s["id"]: _score(s) for s in raw_scores}
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
    keep_newest(file.parent, KEEP)


# --- scores as plain dicts ---------------------------------------------------------------------
# A record's instance dict holds exactly its fields (tests/test_records.py), so a score is
# kept as that dict, nested records as theirs, and rebuilt with model.record's one step.

_NESTED = {"objectives": ObjectiveScore, "kpis": KpiScore, "review_groups": GroupScore}


def _flat_score(s: PersonScore) -> dict[str, Any]:
    flat = dict(vars(s))
    for name in _NESTED:
        flat[name] = tuple(dict(vars(r)) for r in flat[name])
    return flat


def _score(flat: dict[str, Any]) -> PersonScore:
    if not isinstance(flat, dict) or flat.keys() != _FIELDS[PersonScore]:
        raise ValueError("not a stored score")
    fields_ = dict(flat)
    for name, cls in _NESTED.items():
        fields_[name] = tuple(_record(cls, r) for r in flat[name])
    return record(PersonScore, **fields_)


def _record(cls: type, flat: dict[str, Any]) -> Any:
    if not isinstance(flat, dict) or flat.keys() != _FIELDS[cls]:
        raise ValueError(f"not a stored {cls.__name__}")
    return record(cls, **flat)


_FIELDS = {cls: {f.name for f in fields(cls)} for cls in (PersonScore, *_NESTED.values())}
