"""A cycle's verdict — its rule problems and scores — kept by the content it came from.

Every rule (`rules/`) and every score (`scoring.py`) is a pure function of the loaded
cycle, and the loaded cycle is a pure function of its files' bytes. `validate`, `score`,
`calibrate`, `status`, `tree` and the site each need the same verdict, and on a large
company the rules and scores cost more than loading the model. So a verdict is computed once per
content and code: stored in the cache folder's `<fingerprint>/verdicts/` (inside `.git/`,
sealed with the cache's MAC: `store`), keyed by the code of the whole tool
(`store.code_fingerprint`) and the cycle's content digest (every examined file's path and
git blob id, as the load read them: `CycleData.content`).

Only `engine` stores and looks verdicts up for a command; incremental.py and recall.py start
from them. Unlike replayed output (memo.py), a verdict is keyed by the bytes actually
loaded, not by a stat seen before the run, and it is shared by every command. It is stored
with marshal (plain data only: a cache file can never run code) and anything malformed is a
miss."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..alignment import Links
from ..model import make
from ..problems import Problem, Severity
from ..root import cache_folder, enabled
from ..scoring import GroupScore, KpiScore, ObjectiveScore, PersonScore
from .store import code_fingerprint, fingerprint, keep_newest, read, write

KEEP = 16  # verdicts kept: a PR check, the base and a few local edits in flight
FORMAT = 5  # 4: scores stored as own fields and nested bytes (_packed); 5: each nested kind apart


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
    only costs time. A score is stored as its own fields and, marshalled apart, its nested
    records (`_packed`): what `summary` reads decodes without them."""

    def __init__(
        self,
        raw: dict[str, bytes],
        built: dict[str, PersonScore] | None = None,
        rescore: Callable[[str], PersonScore] | None = None,
        own: dict[str, tuple[dict[str, Any], bytes]] | None = None,
    ):
        self._raw = raw
        self._built = dict(built or {})
        self._rescore = rescore
        self._own = dict(own or {})  # person -> (own fields, nested bytes), as decoded

    def rescoring(self, rescore: Callable[[str], PersonScore]) -> Scores:
        return Scores(self._raw, self._built, rescore, self._own)

    def replaced(
        self, new: dict[str, PersonScore], amended: dict[str, dict[str, Any]] | None = None
    ) -> Scores:
        """These scores with `new` ones in place of (or beside) the stored ones, and the
        `amended` people's own fields changed (their nested records stand): an amended
        score is not built, its own fields are (a recalibrated group of 1,800: 0.2 s)."""
        raw = dict(self._raw)
        built = {**self._built, **new}
        own = {pid: entry for pid, entry in self._own.items() if pid not in new}
        raw.update((pid, _packed(s)) for pid, s in new.items())
        for pid, fields_ in (amended or {}).items():
            entry = None if pid in built else self._entry(pid)
            if entry is None:  # built already, or damaged: rebuilt (or rescored) first
                score = built.get(pid) or self[pid]
                built[pid] = make(PersonScore, {**vars(score), **fields_})
                raw[pid] = _packed(built[pid])
            else:
                own[pid] = ({**entry[0], **fields_}, entry[1])
                raw[pid] = marshal.dumps(own[pid])
        return Scores(raw, built, self._rescore, own)

    def raw(self, person: str) -> bytes:
        return self._raw[person]

    def _entry(self, person: str) -> tuple[dict[str, Any], bytes] | None:
        """`person`'s stored own fields and nested bytes; None when damaged (KeyError for
        someone not scored)."""
        entry = self._own.get(person)
        if entry is None:
            raw = self._raw[person]
            try:
                entry = _unpacked_own(raw)
            except (EOFError, ValueError, TypeError):
                return None
            self._own[person] = entry
        return entry

    def summary(self, person: str) -> Mapping[str, Any]:
        """`person`'s own score fields (sections, final, rating, bonus, completeness) as a
        mapping, without decoding or building the nested objective, KPI and review records
        (not in it: read them from `self[person]`): all that `perfloop score` prints, and
        decoding those for 10,000 people took 0.3 s, building them 0.4 s more."""
        built = self._built.get(person)
        if built is None:
            entry = self._entry(person)
            if entry is not None:
                return entry[0]
            built = self[person]  # damaged: rebuilt or rescored as any other access
        return vars(built)

    def nested(
        self, person: str, names: tuple[str, ...] | None = None
    ) -> Mapping[str, tuple[Mapping[str, Any], ...]]:
        """`person`'s objective, KPI and review group scores as stored dicts (those of
        `names`, of `objectives`, `kpis` and `review_groups`; all by default), without
        building them into records. Each kind is decoded apart: the leniency report reads
        10,000 people's review groups, and decoding their objectives too was most of that."""
        names = tuple(_NESTED) if names is None else names
        built = self._built.get(person)
        if built is None:
            entry = self._entry(person)
            if entry is not None:
                try:
                    return _unpacked_nested(entry[1], names)
                except (EOFError, ValueError, TypeError):
                    pass
            built = self[person]  # damaged: rebuilt or rescored as any other access
        return {name: tuple(vars(r) for r in getattr(built, name)) for name in names}

    def __getitem__(self, person: str) -> PersonScore:
        built = self._built.get(person)
        if built is None:
            entry = self._entry(person)  # KeyError for someone not scored
            try:
                if entry is None:
                    raise ValueError("a damaged score")
                built = _score(_unpacked(*entry))
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
    return Path(cache_folder(root)) / fingerprint() / "verdicts"


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
                pid: scores.raw(pid) if isinstance(scores, Scores) else _packed(scores[pid])
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


def _packed(s: PersonScore) -> bytes:
    """A score as stored: (its own fields, its nested records' dicts marshalled apart,
    each kind of them apart again)."""
    flat = _flat_score(s)
    nested = {name: marshal.dumps(flat.pop(name)) for name in _NESTED}
    return marshal.dumps((flat, marshal.dumps(nested)))


def _unpacked_own(raw: bytes) -> tuple[dict[str, Any], bytes]:
    own, nested = marshal.loads(raw)  # ValueError or TypeError when not a pair
    if not isinstance(own, dict) or own.keys() != _OWN or not isinstance(nested, bytes):
        raise ValueError("not a stored score")
    return own, nested


def _unpacked(own: dict[str, Any], nested: bytes) -> dict[str, Any]:
    """A stored score's flat dict (`_flat_score`), whole again."""
    return {**own, **_unpacked_nested(nested)}


def _unpacked_nested(
    nested: bytes, names: tuple[str, ...] = tuple(_NESTED)
) -> dict[str, tuple[dict[str, Any], ...]]:
    """A stored score's nested records' dicts of the kinds `names`, each checked as
    `_record` checks it."""
    parts = marshal.loads(nested)
    if not isinstance(parts, dict) or parts.keys() != _NESTED.keys():
        raise ValueError("not a stored score")
    records = {}
    for name in names:
        cls = _NESTED[name]
        part = parts[name]
        found = marshal.loads(part) if type(part) is bytes else None
        if not isinstance(found, tuple) or not all(
            isinstance(r, dict) and r.keys() == _FIELDS[cls] for r in found
        ):
            raise ValueError(f"not a stored {cls.__name__}")
        records[name] = found
    return records


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
_OWN = _FIELDS[PersonScore] - _NESTED.keys()
