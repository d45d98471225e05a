"""Find a performance repository, classify its files, and load a cycle into the model.

Loading is: list files -> parse (loader) -> schema check (schema) -> build records (here).
A file that fails to parse or fails its schema is left out of the model, so later rules
only ever see well-formed records; its problems are reported instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from . import schema
from .alignment import claimed_parents
from .heap import bulk_allocation
from .loader import MAX_BYTES, Document, decode, load_file, max_bytes, parse_text
from .model import (
    COMPANY,
    Action,
    Band,
    Calibration,
    CalibrationConfig,
    Checkin,
    Checkpoint,
    CheckpointConfig,
    Cycle,
    CycleData,
    Department,
    FinalRating,
    Goals,
    GroupConfig,
    KeyResult,
    Kpi,
    KpiEntry,
    Objective,
    ObjectiveSet,
    Org,
    Person,
    PlanItem,
    Question,
    Quota,
    RatingLevel,
    Records,
    Review,
    Template,
    Where,
    make,
)
from .problems import Problem, error
from .root import CYCLES
from .sources import DirectorySource, Entry, Source, blob_id, content_digest

_ID = r"[a-z0-9][a-z0-9-]{0,62}"
ID = re.compile(rf"{_ID}\Z")  # \Z, not $: "bob\n" is not an id (use with .match)


def cycle_ids(root: Path) -> list[str]:
    """The cycles: real folders under cycles/ holding a cycle.yaml. A symbolic link is none
    (`cycles/2027-h1 -> ../site/x` made a folder outside cycles/ the current cycle):
    `symlinked_cycles` reports it, as it does cycles/ itself as a link (then there are none)."""
    folder = root / CYCLES
    if folder.is_symlink():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.is_symlink() and (p / "cycle.yaml").exists()
    )


def symlinked_cycles(root: Path) -> list[Problem]:
    """An error for cycles/ itself, or a folder in it, that is a symbolic link."""
    folder = root / CYCLES
    if folder.is_symlink():
        return [error(CYCLES, 1, 1, "cycles/ is a symbolic link: it must be a real folder")]
    return [
        error(
            f"{CYCLES}/{p.name}",
            1,
            1,
            "a symbolic link, not a cycle: a cycle folder must be a real folder (ignored)",
        )
        for p in sorted(folder.iterdir())
        if p.is_symlink()
    ]


# --- classifying files --------------------------------------------------------------------


class FileKind(NamedTuple):
    """What a file inside a cycle is: its schema kind and the ids its path names (a named
    tuple: every file of a 70,000-file cycle is classified on every run)."""

    kind: str  # a schema kind, or "results"
    ids: tuple[str, ...] = ()


# The two shapes nearly every file has (seven in eight are reviews), decided by one match.
COMMON_PATH = re.compile(rf"(?:goals/({_ID})|reviews/({_ID})/({_ID}))\.yaml\Z")


# Folders of one-id files: folder -> schema kind.
FOLDERS = {
    "templates": "template",
    "departments": "objectives",
    "goals": "goals",
    "calibration": "calibration",
    "checkpoints": "checkpoint",
}


def classify(relpath: str) -> FileKind | str:
    """Kind of a path relative to the cycle folder, or a message saying why it is not one."""
    common = COMMON_PATH.match(relpath)
    if common:
        owner, subject, reviewer = common.groups()
        return FileKind("goals", (owner,)) if owner else FileKind("review", (subject, reviewer))
    parts = relpath.split("/")
    name = parts[-1]
    if name.endswith(".yml"):
        return f"use the .yaml extension: {name[:-4]}.yaml"
    if not name.endswith(".yaml"):
        return ""  # not a data file (README.md and such): ignored
    stem = name[: -len(".yaml")]
    top = {"cycle.yaml": "cycle", "org.yaml": "org", "company.yaml": "objectives"}
    if len(parts) == 1:
        if name in top:
            return FileKind(top[name])
        if name == "results.yaml":
            return FileKind("results")
        return (
            f"unexpected file {name}: a cycle holds cycle.yaml, org.yaml, company.yaml "
            "and results.yaml"
        )
    folder = parts[0]
    if len(parts) == 2 and folder in FOLDERS:
        kind = FOLDERS[folder]
        if not ID.match(stem):
            return f"file name {stem!r} is not a valid id (lower-case letters, digits and '-')"
        return FileKind(kind, (stem,))
    if len(parts) == 3 and folder == "reviews":
        for part in (parts[1], stem):
            if not ID.match(part):
                return f"{part!r} is not a valid id (lower-case letters, digits and '-')"
        return FileKind("review", (parts[1], stem))
    return (
        f"unexpected file {relpath}: expected templates/<id>.yaml, departments/<id>.yaml, "
        "goals/<person>.yaml, reviews/<subject>/<reviewer>.yaml, calibration/<group>.yaml "
        "or checkpoints/<person>.yaml"
    )


# --- building records ---------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _objective(raw: dict, where: Where) -> Objective:
    # Records are made from dicts of fields (model.make): 60,000 key results at 10,000 people.
    krs = []
    for i, kr in enumerate(raw.get("key_results") or []):
        get = kr.get
        ref = get("ref")
        if ref is not None:  # a member's reference to a team key result: nothing of its own
            krs.append(_reference(ref, _num(get("weight")), where.at("key_results", i)))
            continue
        score = get("score")
        milestone = get("type") == "milestone"
        # A hand grade makes a key result "graded" only when it has nothing else to count:
        # a numeric one (with a target) keeps contributing its target and current (SPEC §3).
        if score is not None and (milestone or get("target") is None):
            kind = "graded"
        elif milestone:
            kind = "milestone"
        else:
            kind = "numeric"
        krs.append(
            make(
                KeyResult,
                {
                    "id": kr["id"],
                    "title": kr["title"],
                    "kind": kind,
                    "start": _num(get("start")),
                    "target": _num(get("target")),
                    "current": _num(get("current")),
                    "unit": get("unit"),
                    "direction": get("direction", "higher"),
                    "weight": _num(get("weight")),
                    "done": get("done"),
                    "score": _num(score),
                    "contributes_to": get("contributes_to"),
                    "aggregate": get("aggregate"),
                    "carried_from": get("carried_from"),
                    "where": where.at("key_results", i),
                    "team": get("team") is True,
                    "owner": get("owner"),
                    "ref": None,
                },
            )
        )
    get = raw.get
    return make(
        Objective,
        {
            "id": raw["id"],
            "title": raw["title"],
            "key_results": tuple(krs),
            "aligns_to": get("aligns_to"),
            "weight": _num(get("weight")),
            "description": get("description"),
            "kind": get("kind", "okr"),
            "carried_from": get("carried_from"),
            "where": where,
        },
    )


def _reference(ref: str, weight: float | None, where: Where) -> KeyResult:
    """A `{ref: dept/objective/kr, weight: N}` key result: its id is the reference (no key
    result id holds a '/'), its title, values and score are the team key result's."""
    return KeyResult(id=ref, title=ref, kind="ref", weight=weight, ref=ref, where=where)


def _checkins(data: dict, where: Where) -> tuple[Checkin, ...]:
    return tuple(
        make(
            Checkin,
            {
                "date": _date(c["date"]) or dt.date.min,
                "values": dict(c.get("values") or {}),
                "confidence": _num(c.get("confidence")),
                "note": c.get("note"),
                "blockers": c.get("blockers"),
                "where": where.at("checkins", i),
            },
        )
        for i, c in enumerate(data.get("checkins") or ())
    )


def _objectives(data: dict, where: Where) -> tuple[Objective, ...]:
    return tuple(
        _objective(raw, where.at("objectives", i))
        for i, raw in enumerate(data.get("objectives") or [])
    )


def build_org(doc: Document) -> Org:
    data, where = doc.data, Where(doc)
    departments: dict[str, Department] = {}
    for i, d in enumerate(data.get("departments") or []):
        departments.setdefault(
            d["id"],
            Department(
                d["id"],
                d["name"],
                d["head"],
                d.get("parent"),
                d.get("github_team"),
                where.at("departments", i),
            ),
        )
    people = {}
    for i, p in enumerate(data.get("people") or []):
        if p["id"] in people:
            continue  # the first one counts (a duplicate is reported by the rules)
        get = p.get
        people[p["id"]] = make(
            Person,
            {
                "id": p["id"],
                "name": p["name"],
                "department": p["department"],
                "email": get("email"),
                "github": get("github"),
                "manager": get("manager"),
                "template": get("template"),
                "title": get("title"),
                "key": get("key"),
                "where": where.at("people", i),
            },
        )
    roles = data.get("roles") or {}
    return Org(
        departments,
        people,
        tuple(roles.get("hr", ())),
        tuple(roles.get("admins", ())),
        where,
        data.get("org_key"),
        dict(data.get("github_teams") or {}),
    )


def build_cycle(doc: Document) -> Cycle:
    data, where = doc.data, Where(doc)
    cal = data.get("calibration") or {}
    groups = cal.get("groups", "departments")
    group_configs = (
        None
        if groups == "departments"
        else tuple(GroupConfig(g["id"], tuple(g["departments"]), g.get("name")) for g in groups)
    )
    templates = data.get("templates") or {}
    alignment = data.get("alignment") or {}
    return Cycle(
        id=data["id"],
        name=data.get("name"),
        period_start=_date(data["period"]["start"]) or dt.date.min,
        period_end=_date(data["period"]["end"]) or dt.date.max,
        phase=data["phase"],
        rating_scale=tuple(
            RatingLevel(lv["rating"], float(lv["min"]), float(lv.get("bonus", 0.0)))
            for lv in data["rating_scale"]
        ),
        deadlines={k: d for k, v in (data.get("deadlines") or {}).items() if (d := _date(v))},
        default_template=templates.get("default"),
        department_templates=dict(templates.get("departments") or {}),
        person_templates=dict(templates.get("people") or {}),
        calibration=CalibrationConfig(
            groups=group_configs,
            distribution={
                r: Quota(_num(q.get("min")), _num(q.get("max")))
                for r, q in (cal.get("distribution") or {}).items()
            },
            rounding=cal.get("rounding", "nearest"),
            leniency_gap=float(cal.get("leniency_gap", 10.0)),
        ),
        min_coverage=float(alignment.get("min_coverage", 1.0)),
        max_coverage=float(alignment.get("max_coverage", 1.5)),
        approvals={k: tuple(v) for k, v in (data.get("approvals") or {}).items()},
        designated={k: tuple(v) for k, v in (data.get("designated") or {}).items()},
        checkin_interval_days=int(data.get("checkin_interval_days", 14)),
        where=where,
        sealed=data.get("confidentiality") == "sealed",
        subject_reads=tuple(data.get("confidentiality_subject_reads", ("manager",))),
        checkpoint=_checkpoint_config(data.get("checkpoint")),
    )


def _checkpoint_config(raw: Any) -> CheckpointConfig | None:
    """cycle.yaml's `checkpoint:`; due defaults to two weeks after the date."""
    if not isinstance(raw, dict) or _date(raw.get("date")) is None:
        return None
    start = _date(raw["date"])
    assert start is not None
    return CheckpointConfig(start, _date(raw.get("due")) or start + dt.timedelta(days=14))


def build_template(doc: Document) -> Template:
    data, where = doc.data, Where(doc)
    kpis = tuple(
        Kpi(
            id=k["id"],
            name=k["name"],
            unit=k.get("unit"),
            direction=k.get("direction", "higher"),
            scoring=k.get("scoring", "linear"),
            cap=float(k.get("cap", 1.0)),
            weight=_num(k.get("weight")),
            bands=tuple(Band(float(b["min"]), float(b["score"])) for b in k.get("bands") or []),
            where=where.at("kpis", i),
        )
        for i, k in enumerate(data.get("kpis") or [])
    )
    okr = data.get("okr") or {}
    reviews = data.get("reviews") or {}
    peers = reviews.get("peers") or {}
    return Template(
        id=data["id"],
        name=data.get("name"),
        sections={k: float(v) for k, v in data["sections"].items()},
        kpis=kpis,
        allow_custom_kpis=bool(data.get("allow_custom_kpis", False)),
        max_objectives=okr.get("max_objectives"),
        max_key_results=okr.get("max_key_results"),
        scale=int(reviews.get("scale", 5)),
        group_weights={k: float(v) for k, v in (reviews.get("groups") or {}).items()},
        peers_min=int(peers.get("min", 0)),
        peers_max=peers.get("max"),
        questions=tuple(Question(q["id"], q["text"]) for q in reviews.get("questions") or []),
        where=where,
    )


def build_objective_set(doc: Document, owner: str) -> ObjectiveSet:
    where = Where(doc)
    return ObjectiveSet(owner, _objectives(doc.data, where), where, _checkins(doc.data, where))


def build_goals(doc: Document, owner: str) -> Goals:
    data, where = doc.data, Where(doc)
    kpis = {}
    for kpi_id, raw in (data.get("kpis") or {}).items():
        at = where.at("kpis", kpi_id)
        custom = None
        if "name" in raw:
            custom = Kpi(
                id=kpi_id,
                name=raw["name"],
                unit=raw.get("unit"),
                direction=raw.get("direction", "higher"),
                cap=float(raw.get("cap", 1.0)),
                weight=_num(raw.get("weight")),
                where=at,
            )
        kpis[kpi_id] = make(
            KpiEntry,
            {
                "id": kpi_id,
                "target": float(raw["target"]),
                "actual": _num(raw.get("actual")),
                "custom": custom,
                "where": at,
            },
        )
    plan = tuple(
        make(
            PlanItem,
            {
                "task": p["task"],
                "due": _date(p.get("due")),
                "standard": p.get("standard"),
                "done": p.get("done"),
            },
        )
        for p in data.get("plan") or ()
    )
    checkins = _checkins(data, where)
    return make(
        Goals,
        {
            "owner": owner,
            "objectives": _objectives(data, where),
            "where": where,
            "kpis": kpis,
            "plan": plan,
            "peers": tuple(data.get("peers") or ()),
            "checkins": checkins,
        },
    )


def build_review(doc: Document, subject: str, reviewer: str) -> Review:
    data = doc.data
    get = data.get
    plan = get("improvement_plan")
    return make(
        Review,
        {
            "subject": subject,
            "reviewer": reviewer,
            "ratings": dict(get("ratings") or {}),
            "comments": get("comments"),
            "strengths": get("strengths"),
            "improvements": get("improvements"),
            "improvement_plan": tuple(
                make(Action, {"action": a["action"], "due": _date(a.get("due"))}) for a in plan
            )
            if plan
            else (),
            "where": Where(doc),
        },
    )


def build_checkpoint(doc: Document, person: str) -> Checkpoint:
    get = doc.data.get
    steps = get("next_steps") or ()
    return Checkpoint(
        person,
        get("summary"),
        _date(get("date")),
        get("employee_notes"),
        get("manager_notes"),
        tuple(Action(a["action"], _date(a.get("due"))) for a in steps),
        Where(doc),
    )


def build_calibration(doc: Document, group: str) -> Calibration:
    where = Where(doc)
    return Calibration(
        group,
        {
            person: make(
                FinalRating,
                {
                    "rating": r["rating"],
                    "reason": r.get("reason"),
                    "where": where.at("ratings", person),
                },
            )
            for person, r in (doc.data.get("ratings") or {}).items()
        },
        where,
    )


# --- loading a cycle ------------------------------------------------------------------------


class LoadedFile(NamedTuple):  # one per file: 70,000 at 10,000 people
    relpath: str  # relative to the cycle folder
    kind: FileKind
    doc: Document


def examine(raw: bytes, path: str, kind: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file and check it against its kind's schema: the unit of a load's work,
    which speed/loading.py caches by blob id and reads faster where it can vouch for it."""
    text, problems = decode(raw, path)
    if text is None:
        return None, problems
    doc, problems = parse_text(text, path)
    return checked(doc, problems, path, kind)


def checked(
    doc: Document | None, problems: list[Problem], path: str, kind: str
) -> tuple[Document | None, list[Problem]]:
    """A parsed file checked against its kind's schema."""
    if doc is None:
        return None, problems
    if kind in schema.kinds():
        if doc.data is None:
            return None, [error(path, 1, 1, "file is empty")]
        problems = schema.check(doc, kind)
    return doc, problems


# A listed file to examine: relative path, path from the root, kind, the source's entry.
Listed = tuple[str, str, str, Entry]
Examined = dict[str, tuple[Document | None, list[Problem]]]


class ExamineAll(Protocol):
    """Examines the listed files of a cycle: (relative path -> document and problems, the
    blob id of each file examined, problems of files that could not be read). The plain
    one reads and examines each in turn; speed/loading.py caches and parallelises."""

    def __call__(
        self, root: Path, cycle_id: str, source: Source, files: list[Listed]
    ) -> tuple[Examined, dict[str, str], list[Problem]]: ...


def examine_each(
    root: Path, cycle_id: str, source: Source, files: list[Listed]
) -> tuple[Examined, dict[str, str], list[Problem]]:
    """Read and examine each file in turn, nothing kept."""
    examined: Examined = {}
    blobs: dict[str, str] = {}
    problems: list[Problem] = []
    for rel, path, kind, entry in files:
        try:
            raw = source.read(rel)
        except OSError as exc:
            problems.append(error(path, 1, 1, f"cannot read file: {exc.strerror}"))
            continue
        blobs[rel] = entry.blob or blob_id(raw)
        examined[rel] = examine(raw, path, kind)
    return examined, blobs, problems


class SealedReader(Protocol):
    """The caller's identity at the load edge (SPEC section 7): opens a sealed file, or
    answers None when it is not among the file's recipients. The core never sees a key."""

    publics: frozenset[str]  # the age recipients these keys answer to (the org key's, for HR)

    def open(self, sealed: bytes) -> bytes | None:
        """The plaintext, None when not a recipient; ValueError when not readable at all."""
        ...


# A sealed file listed: path inside the cycle folder (plain form), its own path inside the
# cycle folder, path from the root, kind, the source's entry.
SealedListed = tuple[str, str, str, FileKind, Entry]
# What opening one sealed file gives: its blob id ("" when it could not be read), the
# recipient types of its header (None when it has no well-formed one), why it could not be
# read or opened (a problem's message) or None, and its examined document and problems
# when the reader opened it (else None: "sealed, not readable").
Opened = tuple[
    str, tuple[str, ...] | None, str | None, tuple[Document | None, list[Problem]] | None
]


class OpenAll(Protocol):
    """Opens and examines the sealed files of a cycle with the caller's reader, one
    `Opened` per file in order. The plain one opens each in turn; speed/loading.py opens
    many in worker processes (plaintext crosses to the parent in memory, never on disk)."""

    def __call__(
        self, source: Source, sealed: list[SealedListed], reader: SealedReader | None
    ) -> list[Opened]: ...


def open_each(
    source: Source,
    sealed: list[SealedListed],
    reader: SealedReader | None,
    examine_plain: Callable[[bytes, str, str], tuple[Document | None, list[Problem]]] = examine,
) -> list[Opened]:
    """`OpenAll` in this process, one file after another."""
    return [
        open_one(source, own, path, kind.kind, entry, reader, examine_plain)
        for _, own, path, kind, entry in sealed
    ]


def open_one(
    source: Source,
    own: str,
    path: str,
    kind: str,
    entry: Entry,
    reader: SealedReader | None,
    examine_plain: Callable[[bytes, str, str], tuple[Document | None, list[Problem]]] = examine,
) -> Opened:
    """Read, inspect, open and examine one sealed file (`own`, inside the cycle folder)."""
    from .sealing.age import SealError, header

    try:
        raw = source.read(own)
    except OSError as exc:
        return "", None, f"cannot read file: {exc.strerror}", None
    blob = entry.blob or blob_id(raw)  # the content is the ciphertext's
    try:
        stanzas = header(raw).stanzas
    except SealError as exc:
        return blob, None, f"not a well-formed age file: {exc}", None
    try:
        plaintext = reader.open(raw) if reader is not None else None
    except ValueError as exc:
        return blob, stanzas, f"cannot be opened: {exc}", None
    if plaintext is None:
        return blob, stanzas, None, None
    return blob, stanzas, None, examine_plain(plaintext, path, kind)


def load_cycle(
    root: Path,
    cycle_id: str,
    source: Source | None = None,
    left_out: frozenset[str] = frozenset(),
    examine_all: ExamineAll = examine_each,
    reader: SealedReader | None = None,
    open_all: OpenAll = open_each,
) -> tuple[CycleData | None, list[Problem]]:
    """Examine and build one cycle. None when cycle.yaml or org.yaml is unusable.

    `source` defaults to the cycle folder on disk; a git revision can be read instead.
    `examine_all` examines the listed files (`engine.load_cycle` passes the cached one).
    `left_out`: files (paths from the root) known to have problems though `source` does not
    list them (a partial load, speed/incremental.py), so that the model knows them left
    out as a full load would.
    `reader`: the caller's identity; sealed files (`<path>.age`) it opens are examined like
    their plain form (never through the cache), the others are "sealed, not readable".
    """
    with bulk_allocation():
        rel_dir = f"{CYCLES}/{cycle_id}"
        source = source or DirectorySource(root / CYCLES / cycle_id)
        files, kinds, problems, sealed = _listed(rel_dir, source)
        private: list[Listed] = []
        if sealed or _says_sealed(source, kinds):
            # a plain confidential file of a sealed cycle (about to be sealed, or an error)
            # is examined but never cached: its plaintext would outlive its sealing
            from .sealing.audience import is_confidential

            private = [f for f in files if is_confidential(f[0])]
            files = [f for f in files if not is_confidential(f[0])]
        examined, blobs, unread = examine_all(root, cycle_id, source, files)
        if private:
            more, more_blobs, more_unread = examine_each(root, cycle_id, source, private)
            examined.update(more)
            blobs.update(more_blobs)
            unread += more_unread
        opened = _open_sealed(source, sealed, examined, blobs, unread, reader, open_all)
        data, problems = assemble(
            root,
            rel_dir,
            examined,
            kinds,
            blobs,
            problems + unread,
            read=source.read,
            left_out=left_out,
            unreadable=opened[0],
        )
        if data is not None and (sealed or data.cycle.sealed):
            # plaintext of a sealed file, or of one about to be sealed: none is stored
            object.__setattr__(data, "opened", opened[1] or bool(private))
            problems += sealed_problems(data, kinds, sealed, opened[2], reader)
        return data, problems


_SEALED_LINE = re.compile(rb"^['\"]?confidentiality['\"]?\s*:\s*['\"]?sealed\b", re.M)


def _says_sealed(source: Source, kinds: Mapping[str, FileKind]) -> bool:
    """Whether the cycle's cycle.yaml looks sealed (read before the cycle is examined;
    the model's `Cycle.sealed` decides everything else)."""
    if "cycle.yaml" not in kinds:
        return False
    try:
        return _SEALED_LINE.search(source.read("cycle.yaml")) is not None
    except OSError:
        return False


def _open_sealed(
    source: Source,
    sealed: list[SealedListed],
    examined: Examined,
    blobs: dict[str, str],
    problems: list[Problem],
    reader: SealedReader | None,
    open_all: OpenAll = open_each,
) -> tuple[dict[str, str], bool, dict[str, tuple[str, ...]]]:
    """Open each sealed file the caller can: its plaintext is examined as the plain file
    would be, located at the sealed path, messages without its values. Returns (plain
    path -> sealed path of the files not opened, whether any was opened or tried with a
    key, plain path -> the recipient types in each well-formed header). A file tried with a
    key counts as opened even where the key opens none: the problems found are that key's
    answers, so only a keyless run may store the verdict a keyless check reuses."""
    unreadable: dict[str, str] = {}
    stanzas: dict[str, tuple[str, ...]] = {}
    opened = False
    outcomes = open_all(source, sealed, reader) if sealed else []
    for (rel, own, path, _, _), (blob, kinds, failure, found) in zip(sealed, outcomes, strict=True):
        if blob:
            blobs[own] = blob
            opened = opened or reader is not None
        if kinds is not None:
            stanzas[rel] = kinds
        if failure is not None:
            problems.append(error(path, 1, 1, failure))
        elif found is None:
            unreadable[rel] = path
        else:
            opened = True
            examined[rel] = (found[0], [_without_values(p) for p in found[1]])
    return unreadable, opened, stanzas


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _without_values(problem: Problem) -> Problem:
    """A problem of an opened sealed file, its message without the file's values (what
    was found is cut, quoted text elided); in CI, withheld altogether (withheld)."""
    message = problem.message.split(", got ")[0]
    return withheld(replace(problem, message=_QUOTED.sub("'…'", message)))


WITHHELD = (
    "a problem in this sealed file (its details are withheld from CI output: run "
    "`perfloop validate --identity KEY` where you may read it)"
)


def withheld(problem: Problem) -> Problem:
    """In CI (GitHub Actions, or CI=true), a problem located in a sealed file keeps its place
    but not its message: rule and parser messages may quote the file's plaintext (a subject,
    a rating, an anchor's name), and no plaintext reaches a job log (SPEC section 7)."""
    import os

    in_ci = os.environ.get("GITHUB_ACTIONS") == "true" or os.environ.get("CI") == "true"
    if in_ci and problem.path.endswith(".age"):
        return replace(problem, message=WITHHELD)
    return problem


SEALED_IN_PLAIN = (
    "a sealed file in a plain cycle (cycle.yaml has no `confidentiality: sealed`): no rule "
    "can read it, so its content would go unchecked; commit the plain file, or make the "
    "cycle sealed (the guide's page on keys says how)"
)


def sealed_problems(
    data: CycleData,
    kinds: Mapping[str, FileKind],
    sealed: list[SealedListed],
    stanzas: Mapping[str, tuple[str, ...]],
    reader: SealedReader | None,
) -> list[Problem]:
    """What the PR check decides of sealed files without opening them (SPEC section 7): a
    sealed file has as many recipient stanzas as its audience has keys; with the org key,
    a file it does not open is sealed to the wrong keys. In a plain cycle a sealed file is
    one error of its own: nothing checks what it holds."""
    from .sealing.age import expected_stanzas, recipient_type
    from .sealing.audience import audience, is_confidential

    if not data.cycle.sealed:  # a well-formed one (a malformed one has its error already)
        return [
            error(path, 1, 1, SEALED_IN_PLAIN) for rel, _, path, _, _ in sealed if rel in stanzas
        ]
    problems: list[Problem] = []
    sealed_rels = {item[0] for item in sealed}
    for rel in sorted(kinds):
        if rel not in sealed_rels and is_confidential(rel):
            problems.append(
                error(
                    f"{data.dir}/{rel}",
                    1,
                    1,
                    "a plain confidential file in a sealed cycle would show review text "
                    "to every reader of the repository: run `perfloop seal`",
                )
            )
    org_reader = reader is not None and data.org.org_key in reader.publics
    for rel, _, path, _, _ in sealed:
        if rel not in stanzas:
            continue
        found = audience(data, rel, data.cycle.subject_reads)
        if found is None:  # pragma: no cover - only confidential paths are listed sealed
            continue
        keys, _ = found.keys(data, data.org.org_key)
        expected = expected_stanzas(keys)
        found_kinds = sorted(stanzas[rel])
        wanted = sorted(recipient_type(k) for k in {" ".join(k.split()[:2]) for k in keys})
        if len(found_kinds) != expected:
            problems.append(
                error(
                    path,
                    1,
                    1,
                    f"sealed to {len(found_kinds)} recipient(s), but its audience has "
                    f"{expected} key(s): run `perfloop reseal`",
                )
            )
        elif found_kinds != wanted:  # an SSH key's place taken by an age key, or the reverse
            problems.append(
                error(
                    path,
                    1,
                    1,
                    f"sealed to keys of kinds {', '.join(found_kinds)}, but its audience's keys "
                    f"are {', '.join(wanted)}: run `perfloop reseal`",
                )
            )
        elif org_reader and rel in data.unreadable:
            problems.append(
                error(path, 1, 1, "not sealed to the org key (sealed to the wrong keys)")
            )
    return problems


def _listed(
    rel_dir: str, source: Source
) -> tuple[list[Listed], dict[str, FileKind], list[Problem], list[SealedListed]]:
    """The files of a cycle to examine, the kind of each, the problems of those that
    are no data file of a cycle (a symbolic link, a stray name, a file too big), and the
    sealed files (`<path>.age`, kind and plain path of their plain form)."""
    problems: list[Problem] = []
    kinds: dict[str, FileKind] = {}
    files: list[Listed] = []
    sealed: list[SealedListed] = []
    for entry in source.entries():
        rel = entry.rel
        path = f"{rel_dir}/{rel}"
        if entry.symlink:
            problems.append(error(path, 1, 1, "symbolic links are not allowed in a cycle"))
            continue
        if rel.endswith(SEALED):
            found = sealed_kind(rel[: -len(SEALED)])
            if isinstance(found, str):
                problems.append(error(path, 1, 1, found))
            elif entry.stat and entry.stat[0] > max_bytes(path):
                problems.append(error(path, 1, 1, f"file is {entry.stat[0]} bytes; too big"))
            else:
                sealed.append((rel[: -len(SEALED)], rel, path, found, entry))
            continue
        kind = classify(rel)
        if isinstance(kind, str):
            if kind:
                problems.append(error(path, 1, 1, kind))
            continue
        kinds[rel] = kind
        if entry.stat and entry.stat[0] > MAX_BYTES and entry.stat[0] > max_bytes(path):
            problems.append(
                error(path, 1, 1, f"file is {entry.stat[0]} bytes; the limit is {max_bytes(path)}")
            )
            continue
        files.append((rel, path, kind.kind, entry))
    both = [item for item in sealed if item[0] in kinds]
    for plain, _, path, _, _ in both:  # one file, two forms: neither counts
        problems.append(
            error(path, 1, 1, f"both {plain} and its sealed form: keep the sealed one only")
        )
        problems.append(error(f"{rel_dir}/{plain}", 1, 1, "also sealed: remove this plain form"))
        files = [f for f in files if f[0] != plain]
        kinds.pop(plain, None)
    for item in sealed:
        if item not in both:
            kinds[item[0]] = item[3]
    return files, kinds, problems, [s for s in sealed if s not in both]


SEALED = ".age"
# Confidential files that are not part of the model (written sealed by `cycle close` and
# `cycle new`): opened and parsed, never schema-checked here.
_UNMODELLED = re.compile(rf"(results|development)/({_ID})\.yaml\Z")


def sealed_kind(plain: str) -> FileKind | str:
    """The kind of a sealed file's plain form, or why it cannot be sealed."""
    from .sealing.audience import is_confidential

    if not is_confidential(plain):
        return (
            "only confidential files are sealed (reviews, calibration, results, development, "
            f"check-points): {plain} stays plain"
        )
    unmodelled = _UNMODELLED.match(plain)
    if unmodelled:
        name = "result" if unmodelled[1] == "results" else "development"  # no schema kinds
        return FileKind(name, (unmodelled[2],))
    kind = classify(plain)
    return kind if isinstance(kind, FileKind) else f"unexpected sealed file: {kind}"


class Deferred(Protocol):
    """Goals and review files whose documents are made when first read (speed/recall.py)."""

    goals: dict[str, str]
    reviews: dict[tuple[str, ...], str]

    def including(self, documents: dict[str, Document]) -> Mapping[str, Document]: ...


def assemble(
    root: Path,
    rel_dir: str,
    examined: dict[str, tuple[Document | None, list[Problem]]],
    kinds: dict[str, FileKind],
    blobs: dict[str, str],
    problems: list[Problem],
    content: str | None = None,
    deferred: Deferred | None = None,
    read: Callable[[str], bytes] | None = None,
    left_out: frozenset[str] = frozenset(),
    unreadable: Mapping[str, str] | None = None,
) -> tuple[CycleData | None, list[Problem]]:
    """The cycle built from its examined files (relative path -> document and problems;
    a file with problems is left out of the model) and the blob id of each, whose digest
    is `content` when known; with the goals and review files `deferred` holds. `read`
    gives a file's bytes (relative path), for what a left-out objectives file claims;
    `left_out` adds files known left out that were not examined here."""
    # Goals and reviews (all but a few hundred of the files) are built when first asked
    # for, each from its file: owner or (subject, reviewer) -> path.
    loaded: list[LoadedFile] = []
    documents: dict[str, Document] = {}
    goals: dict[str, str] = {} if deferred is None else deferred.goals
    reviews: dict[tuple[str, ...], str] = {} if deferred is None else deferred.reviews
    # Every file with problems of its own is left out: examined ones, and the ones refused
    # before (too big, unreadable, a link), which are no more in the model.
    left: set[str] = {p.path for p in problems} | left_out
    claims: dict[str, tuple[str, ...]] = {}
    for rel in sorted(examined):
        doc, found = examined[rel]
        if found:
            problems += found
            path = f"{rel_dir}/{rel}"
            left.add(path)
            if read is not None and kinds[rel].kind in ("goals", "objectives"):
                try:
                    refs = claimed_parents(read(rel))
                except OSError:
                    refs = ()
                if refs:
                    claims[path] = refs
            continue
        if doc is None:
            continue
        documents[doc.path] = doc
        kind = kinds[rel]
        if kind.kind == "review":
            reviews[kind.ids] = doc.path
        elif kind.kind == "goals":
            goals[kind.ids[0]] = doc.path
        else:
            loaded.append(LoadedFile(rel, kind, doc))
    by_kind: dict[str, list[LoadedFile]] = {}
    for item in loaded:
        by_kind.setdefault(item.kind.kind, []).append(item)
    top = {item.relpath: item.doc for item in loaded}
    if "cycle.yaml" not in top or "org.yaml" not in top:
        for name in ("cycle.yaml", "org.yaml"):
            if name not in kinds:
                problems.append(error(f"{rel_dir}/{name}", 1, 1, f"the cycle has no {name}"))
        return None, problems
    docs: Mapping[str, Document] = documents if deferred is None else deferred.including(documents)
    departments: dict[str, ObjectiveSet] = {}
    company = None
    for item in by_kind.get("objectives", []):
        if item.relpath == "company.yaml":
            company = build_objective_set(item.doc, COMPANY)
        else:
            departments[item.kind.ids[0]] = build_objective_set(item.doc, item.kind.ids[0])
    data = CycleData(
        root=str(root),
        dir=rel_dir,
        cycle=build_cycle(top["cycle.yaml"]),
        org=_org(top["org.yaml"], blobs["org.yaml"]),
        templates={i.kind.ids[0]: build_template(i.doc) for i in by_kind.get("template", [])},
        company=company,
        departments=departments,
        goals=Records(goals, lambda owner, path: build_goals(docs[path], owner)),
        reviews=Records(
            reviews,  # type: ignore[arg-type]  # keys are (subject, reviewer) pairs
            lambda ids, path: build_review(docs[path], *ids),
        ),
        calibrations={
            i.kind.ids[0]: build_calibration(i.doc, i.kind.ids[0])
            for i in by_kind.get("calibration", [])
        },
        results=top["results.yaml"].data if "results.yaml" in top else None,
        checkpoints={
            i.kind.ids[0]: build_checkpoint(i.doc, i.kind.ids[0])
            for i in by_kind.get("checkpoint", [])
        },
        documents=docs,
        unreadable=unreadable or {},
        left_out=frozenset(left),
        left_out_claims=claims,
    )
    content = content_digest(blobs) if content is None else content
    object.__setattr__(data, "content", content)  # frozen: set once, here
    object.__setattr__(data, "examined", frozenset(f"{rel_dir}/{rel}" for rel in blobs))
    return data, problems


# The last org built, by path and blob id: a PR check loads the base's cycle and the head's,
# whose org.yaml is nearly always the same file (10,000 people: 0.1 s to build again).
_last_org: tuple[str, str, Org] | None = None


def _org(doc: Document, blob: str) -> Org:
    global _last_org
    if _last_org is not None and _last_org[:2] == (doc.path, blob):
        return _last_org[2]
    org = build_org(doc)
    _last_org = (doc.path, blob, org)
    return org


def current_cycle_id(root: Path) -> str | None:
    """The cycle to act on by default: the latest one (by id order) that is not closed,
    else the latest one."""
    ids = cycle_ids(root)
    if not ids:
        return None
    open_ids = []
    for cid in ids:
        doc, _ = load_file(root / CYCLES / cid / "cycle.yaml", f"{CYCLES}/{cid}/cycle.yaml")
        phase = doc.data.get("phase") if doc and isinstance(doc.data, dict) else None
        if phase != "closed":
            open_ids.append(cid)
    return (open_ids or ids)[-1]
