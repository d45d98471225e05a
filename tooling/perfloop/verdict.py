"""A cycle's verdict — its rule problems and scores — kept by the content it came from.

Every rule (`rules/`) and every score (`scoring.py`) is a pure function of the loaded
cycle, and the loaded cycle is a pure function of its files' bytes. `validate`, `score`,
`calibrate`, `status`, `tree` and the site each need the same verdict, and at 10,000 people
the rules and scores cost more than loading the model. So a verdict is computed once per
content and code: stored under `.perfloop-cache/<fingerprint>/verdicts/`, keyed by the
code of the whole tool (`store.code_fingerprint`) and the cycle's content digest (every
examined file's path and git blob id, as the load read them: `CycleData.content`).

Unlike replayed output (memo.py), a verdict is keyed by the bytes actually loaded, not by
a stat seen before the run, and it is shared by every command. It is stored with marshal
(plain data only: a cache file can never run code) and anything malformed is a miss.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .alignment import Links
from .model import make
from .problems import Problem, Severity
from .root import FOLDER, enabled
from .scoring import GroupScore, KpiScore, ObjectiveScore, PersonScore
from .store import code_fingerprint, fingerprint, keep_newest, read, write

KEEP = 16  # verdicts kept: a PR check, the base and a few local edits in flight
FORMAT = 3


@dataclass(frozen=True)
class Verdict:
    problems: list[Problem]  # the rules' problems, in the rules' order
    scores: Mapping[str, PersonScore] | None  # None when the rules did not score the cycle
    links: Links | None = None  # None when not known (a verdict stored without them)
    load: list[Problem] | None = None  # the examined files' own problems (parse, schema)


class Scores(Mapping[str, PersonScore]):
    """person -> score, each rebuilt from its stored bytes when first asked.

    A `validate` answered from a verdict asks for none, and `calibrate` on one group for a
    few: rebuilding all 10,000 up front cost 0.5 s. An entry whose bytes turn out damaged is
    computed afresh by `rescore` (bound to the loaded cycle), so a bad cache entry still
    only costs time."""

    def __init__(
        self,
        raw: dict[str, bytes],
        built: dict[str, PersonScore] | None = None,
        rescore: Callable[[str], PersonScore] | None = None,
        flat: dict[str, dict[str, Any]] | None = None,
    ):
        self._raw = raw
        self._built = dict(built or {})
        self._rescore = rescore
        self._flat = dict(flat or {})  # stored dicts decoded by `summary`

    def rescoring(self, rescore: Callable[[str], PersonScore]) -> Scores:
        return Scores(self._raw, self._built, rescore, self._flat)

    def replaced(
        self, new: dict[str, PersonScore], amended: dict[str, dict[str, Any]] | None = None
    ) -> Scores:
        """These scores with `new` ones in place of (or beside) the stored ones, and the
        `amended` people's own fields changed (their nested records stand): an amended
        score is not built, its stored dict is (a recalibrated group of 1,800: 0.2 s)."""
        raw = dict(self._raw)
        built = {**self._built, **new}
        flat = {pid: f for pid, f in self._flat.items() if pid not in new}
        raw.update((pid, marshal.dumps(_flat_score(s))) for pid, s in new.items())
        for pid, fields_ in (amended or {}).items():
            if pid in built:
                built[pid] = make(PersonScore, {**vars(built[pid]), **fields_})
                raw[pid] = marshal.dumps(_flat_score(built[pid]))
            else:
                flat[pid] = {**self.summary(pid), **fields_}
                raw[pid] = marshal.dumps(flat[pid])
        return Scores(raw, built, self._rescore, flat)

    def raw(self, person: str) -> bytes:
        return self._raw[person]

    def summary(self, person: str) -> Mapping[str, Any]:
        """`person`'s own score fields (sections, final, rating, bonus, completeness) as a
        mapping, without building the nested objective, KPI and review records: all that
        `perfloop score` prints, and rebuilding those for 10,000 people took 0.4 s. The
        nested fields in it are stored dicts, not records: read them from `self[person]`."""
        built = self._built.get(person)
        if built is None:
            flat = self._flat.get(person)
            if flat is not None:
                return flat
            try:
                flat = marshal.loads(self._raw[person])  # KeyError for someone not scored
            except (EOFError, ValueError, TypeError):
                flat = None
            if isinstance(flat, dict) and flat.keys() == _FIELDS[PersonScore]:
                self._flat[person] = flat
                return flat
            built = self[person]  # damaged: rebuilt or rescored as any other access
        return vars(built)

    def __getitem__(self, person: str) -> PersonScore:
        built = self._built.get(person)
        if built is None:
            stored = self._raw[person]  # KeyError for someone not scored
            try:
                built = _score(self._flat.get(person) or marshal.loads(stored))
            except (EOFError, ValueError, TypeError, KeyError):
                if self._rescore is None:
                    raise KeyError(person) from None
                built = self._rescore(person)
            self._built[person] = built
        return built

    def __contains__(self, person: object) -> bool:
        return person in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def stored_any(root: Path) -> bool:
    """Whether any verdict is stored: without one there is nothing to start from, and
    nothing need be asked of git."""
    return enabled() and any(folder(root).glob("*"))


def folder(root: Path) -> Path:
    """Where this tool's verdicts are kept."""
    return Path(root) / FOLDER / fingerprint() / "verdicts"


def _file(root: Path, content: str, cycle_dir: str) -> Path:
    key = hashlib.sha1(
        f"{FORMAT}\0{code_fingerprint()}\0{cycle_dir}\0{content}".encode(),
        usedforsecurity=False,
    ).hexdigest()
    return folder(root) / key


def _problems(stored: Any) -> list[Problem]:
    return [Problem(p, ln, col, Severity(s), m) for p, ln, col, s, m in stored]


def _flat_problems(problems: list[Problem]) -> list[tuple]:
    return [(p.path, p.line, p.col, p.severity.value, p.message) for p in problems]


def lookup(root: Path, cycle_dir: str, content: str | None) -> Verdict | None:
    """The verdict stored for this content and code, if any."""
    if content is None or not enabled():
        return None
    stored = read(_file(root, content, cycle_dir))
    if not isinstance(stored, dict) or stored.get("content") != content:
        return None
    try:
        problems = _problems(stored["problems"])
        raw_scores = stored["scores"]
        if raw_scores is not None and not all(
            isinstance(k, str) and isinstance(v, bytes) for k, v in raw_scores.items()
        ):
            return None
        scores = None if raw_scores is None else Scores(raw_scores)
        links = stored["links"]
        if links is not None and not all(
            isinstance(a, tuple) and isinstance(c, tuple) for a, c in links.values()
        ):
            return None
        load = None if stored["load"] is None else _problems(stored["load"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a verdict of another shape: compute afresh
    return Verdict(problems, scores, links, load)


def store(root: Path, cycle_dir: str, content: str | None, verdict: Verdict) -> None:
    """Keep `verdict` for this content (atomically; the oldest beyond KEEP are dropped)."""
    if content is None or not enabled():
        return
    file = _file(root, content, cycle_dir)
    scores = verdict.scores
    write(
        file,
        {
            "content": content,
            "problems": _flat_problems(verdict.problems),
            "scores": None
            if scores is None
            else {
                pid: scores.raw(pid)
                if isinstance(scores, Scores)
                else marshal.dumps(_flat_score(scores[pid]))
                for pid in scores
            },
            "links": verdict.links,
            "load": None if verdict.load is None else _flat_problems(verdict.load),
        },
    )
    keep_newest(file.parent, KEEP)


# --- scores as plain dicts ---------------------------------------------------------------------
# A record's instance dict holds exactly its fields (tests/test_records.py), so a score is
# kept as that dict, nested records as theirs, and rebuilt with model.make's one step.

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
    return make(PersonScore, fields_)


def _record(cls: type, flat: dict[str, Any]) -> Any:
    if not isinstance(flat, dict) or flat.keys() != _FIELDS[cls]:
        raise ValueError(f"not a stored {cls.__name__}")
    return make(cls, flat)


_FIELDS = {cls: {f.name for f in fields(cls)} for cls in (PersonScore, *_NESTED.values())}
