"""Typed, immutable records of one cycle, built from schema-valid documents.

Records carry a `Where` (their document and JSON path) so that any rule, however far from
the loader, can report a located problem. Mappings are read-only by convention: nothing
downstream of `repository.py` mutates a record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, ItemsView, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from .loader import Document, JsonPath
from .problems import Problem, Severity

PHASES = ("planning", "execution", "review", "calibration", "closed")
RELATIONS = ("self", "manager", "skip_level", "designated", "peer", "upward")
SECTIONS = ("okr", "kpi", "review")
COMPANY = "company"


class Where(NamedTuple):
    """Where a record came from: a document and a JSON path inside it. A named tuple (as
    immutable, and built 3x faster than a frozen dataclass): a 10,000-person cycle makes
    220,000 of them."""

    doc: Document | None
    path: JsonPath = ()

    @property
    def file(self) -> str:
        return self.doc.path if self.doc else ""

    def at(self, *sub: str | int) -> Where:
        return _tuple_new(Where, (self.doc, (*self.path, *sub)))  # Where(...) without __new__

    def problem(
        self, message: str, *sub: str | int, severity: Severity = Severity.ERROR
    ) -> Problem:
        line, col = self.doc.pos((*self.path, *sub)) if self.doc else (1, 1)
        return Problem(self.file, line, col, severity, message)

    def error(self, message: str, *sub: str | int) -> Problem:
        return self.problem(message, *sub)

    def warning(self, message: str, *sub: str | int) -> Problem:
        return self.problem(message, *sub, severity=Severity.WARNING)


NOWHERE = Where(None)
_tuple_new = tuple.__new__


R = TypeVar("R")
_new = object.__new__


def record(cls: type[R], **fields: Any) -> R:
    """`cls(**fields)` for a frozen record, given every one of its fields, 5x faster.

    A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`;
    a 10,000-person cycle builds about 400,000 records (key results, check-ins, reviews,
    scores), and that alone was over a second. The loader and scoring always pass every
    field, so they fill the instance's dict in one step; a test checks that every record
    they build has exactly its class's fields and equals `cls(**fields)`."""
    return make(cls, fields)


def make(cls: type[R], fields: dict[str, Any]) -> R:
    """`record(cls, **fields)` given the fields as a dict: twice as fast again on the hot
    paths, since a call with a dozen keywords first gathers them into a dict of its own."""
    obj = _new(cls)
    obj.__dict__.update(fields)
    return obj


_UNBUILT = object()
K = TypeVar("K")
S = TypeVar("S")
V = TypeVar("V")


class Records(Mapping[K, V]):
    """A read-only mapping whose records are built on first use.

    A 10,000-person cycle has 70,000 goal and review files; a command answered from a stored
    verdict (verdict.py) reads a few of them, so building them all up front would be most
    of its time. Each record is built once, by `build(key, source)` from its key's source
    (a schema-valid document, or where to find one), when first asked for; keys and
    membership need no building. One builder for all, not a maker per record: a recalled
    cycle would otherwise make 70,000 makers (partial objects) that most commands never
    call."""

    __slots__ = ("_build", "_built", "_sources")

    def __init__(self, sources: dict[K, S], build: Callable[[K, S], V]):
        self._sources = sources
        self._build = build
        self._built: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        try:
            return self._built[key]
        except KeyError:
            value = self._built[key] = self._build(key, self._sources[key])  # KeyError: unknown
            return value

    def get(self, key: K, default: Any = None) -> Any:  # rules ask 400,000 times a run
        found = self._built.get(key, _UNBUILT)
        if found is not _UNBUILT:
            return found
        return self[key] if key in self._sources else default

    def _all(self) -> dict[K, V]:
        """Every record, built, in the sources' order (iteration must not depend on which
        records happened to be asked for first)."""
        if len(self._built) != len(self._sources):
            built, build = self._built, self._build
            self._built = {
                k: built[k] if k in built else build(k, source)
                for k, source in self._sources.items()
            }
        return self._built

    def items(self) -> ItemsView[K, V]:
        return self._all().items()

    def values(self) -> ValuesView[V]:
        return self._all().values()

    def __contains__(self, key: object) -> bool:
        return key in self._sources

    def __iter__(self) -> Iterator[K]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def __repr__(self) -> str:
        return f"Records({len(self._sources)} records, {len(self._built)} built)"


# --- organisation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    head: str
    parent: str | None = None
    github_team: str | None = None  # organisation/team-slug, an owner in CODEOWNERS
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    department: str
    email: str | None = None
    github: str | None = None
    manager: str | None = None
    template: str | None = None
    title: str | None = None
    key: str | None = None  # an age or SSH public key: a recipient of sealed files
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Org:
    departments: Mapping[str, Department]
    people: Mapping[str, Person]
    hr: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    org_key: str | None = None  # every sealed file is also sealed to it (SPEC section 7)
    github_teams: Mapping[str, str] = field(default_factory=dict)  # role -> org/team

    @cached_property
    def _reports(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for person in self.people.values():
            if person.manager:
                out.setdefault(person.manager, []).append(person.id)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _children(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for dept in self.departments.values():
            if dept.parent:
                out.setdefault(dept.parent, []).append(dept.id)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def by_github(self) -> dict[str, str]:
        """Lower-cased GitHub login -> person id."""
        return {p.github.lower(): p.id for p in self.people.values() if p.github}

    def reports(self, person: str) -> tuple[str, ...]:
        """Direct reports of `person`."""
        return self._reports.get(person, ())

    def manager_of(self, person: str) -> str | None:
        p = self.people.get(person)
        return p.manager if p else None

    def skip_level_of(self, person: str) -> str | None:
        manager = self.manager_of(person)
        return self.manager_of(manager) if manager else None

    def manager_chain(self, person: str) -> list[str]:
        """Managers above `person`, nearest first; stops at a loop."""
        chain: list[str] = []
        current = self.manager_of(person)
        while current and current not in chain and current != person:
            chain.append(current)
            current = self.manager_of(current)
        return chain

    def department_chain(self, dept: str) -> list[str]:
        """`dept` and its ancestors, nearest first; stops at a loop or unknown parent."""
        chain: list[str] = []
        current: str | None = dept
        while current and current in self.departments and current not in chain:
            chain.append(current)
            current = self.departments[current].parent
        return chain

    def top_department(self, dept: str) -> str:
        chain = self.department_chain(dept)
        return chain[-1] if chain else dept

    def subdepartments(self, dept: str) -> list[str]:
        """`dept` and every department below it."""
        out, todo = [], [dept]
        while todo:
            current = todo.pop()
            if current in out:
                continue
            out.append(current)
            todo.extend(self._children.get(current, ()))
        return out

    def children(self, dept: str) -> tuple[str, ...]:
        """The departments directly below `dept`, in org.yaml's order."""
        return self._children.get(dept, ())

    def members(self, dept: str, nested: bool = True) -> list[str]:
        """People of `dept` (and, when nested, of the departments below it), in org.yaml's
        order; from an index built once, since the site and the tree ask for every
        department (410 departments x 10,000 people at scale)."""
        if not nested:
            return list(self._direct_members.get(dept, ()))
        found = [p for d in self.subdepartments(dept) for p in self._direct_members.get(d, ())]
        return sorted(found, key=self._position.__getitem__)

    @cached_property
    def _direct_members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.people.values():
            out.setdefault(p.department, []).append(p.id)
        return out

    @cached_property
    def _position(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.people)}

    def heads_over(self, person: str) -> list[str]:
        """Heads of the person's department and its ancestors, nearest first."""
        p = self.people.get(person)
        if not p:
            return []
        return [self.departments[d].head for d in self.department_chain(p.department)]

    def person_for_login(self, login: str | None) -> str | None:
        return self.by_github.get(login.lower()) if login else None


# --- cycle and templates ----------------------------------------------------------------


@dataclass(frozen=True)
class RatingLevel:
    rating: str
    min: float
    bonus: float = 0.0


@dataclass(frozen=True)
class Quota:
    """Share limits of one rating within a calibration group (fractions of complete members)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class GroupConfig:
    id: str
    departments: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class CalibrationConfig:
    groups: tuple[GroupConfig, ...] | None  # None: one group per top-level department
    distribution: Mapping[str, Quota]
    rounding: str = "nearest"
    leniency_gap: float = 10.0


@dataclass(frozen=True)
class CheckpointConfig:
    """cycle.yaml's `checkpoint:`: a mid-cycle check-point in execution (no score)."""

    date: dt.date  # from this day each person and their manager owe one
    due: dt.date


@dataclass(frozen=True)
class Cycle:
    id: str
    period_start: dt.date
    period_end: dt.date
    phase: str
    rating_scale: tuple[RatingLevel, ...]
    name: str | None = None
    deadlines: Mapping[str, dt.date] = field(default_factory=dict)
    default_template: str | None = None
    department_templates: Mapping[str, str] = field(default_factory=dict)
    person_templates: Mapping[str, str] = field(default_factory=dict)
    calibration: CalibrationConfig = field(
        default_factory=lambda: CalibrationConfig(None, {}, "nearest")
    )
    min_coverage: float = 1.0
    max_coverage: float = 1.5
    approvals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    designated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    checkin_interval_days: int = 14
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    sealed: bool = False  # confidentiality: sealed (SPEC section 7)
    subject_reads: tuple[str, ...] = ("manager",)  # confidentiality_subject_reads
    checkpoint: CheckpointConfig | None = None

    @property
    def title(self) -> str:
        return self.name or self.id

    def level(self, rating: str) -> RatingLevel | None:
        return next((lv for lv in self.rating_scale if lv.rating == rating), None)


@dataclass(frozen=True)
class Band:
    min: float
    score: float


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    unit: str | None = None
    direction: str = "higher"
    scoring: str = "linear"
    cap: float = 1.0
    weight: float | None = None
    bands: tuple[Band, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class Template:
    id: str
    sections: Mapping[str, float]
    name: str | None = None
    kpis: tuple[Kpi, ...] = ()
    allow_custom_kpis: bool = False
    max_objectives: int | None = None
    max_key_results: int | None = None
    scale: int = 5
    group_weights: Mapping[str, float] = field(default_factory=dict)
    peers_min: int = 0
    peers_max: int | None = None
    questions: tuple[Question, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)

    def kpi(self, kpi_id: str) -> Kpi | None:
        return next((k for k in self.kpis if k.id == kpi_id), None)


# --- objectives and goals ---------------------------------------------------------------


@dataclass(frozen=True)
class KeyResult:
    id: str
    title: str
    kind: str  # "numeric" | "milestone" | "graded"
    start: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str | None = None
    direction: str = "higher"
    weight: float | None = None
    done: bool | None = None
    score: float | None = None
    contributes_to: str | None = None
    aggregate: str | None = None
    carried_from: str | None = None
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    # A team key result (a department's, `team: true`): scored once, counted by each member
    # who lists it; `owner` checks in for it (None: the department's head).
    team: bool = False
    owner: str | None = None
    # A member's reference to a team key result (`ref: dept/objective/kr`, kind "ref"): no
    # values of its own; its id is the reference itself (no key result id has a '/').
    ref: str | None = None


@dataclass(frozen=True)
class Objective:
    id: str
    title: str
    key_results: tuple[KeyResult, ...] = ()
    aligns_to: str | None = None
    weight: float | None = None
    description: str | None = None
    kind: str = "okr"  # "okr" | "development"
    carried_from: str | None = None
    where: Where = field(default=NOWHERE, compare=False, repr=False)

    def key_result(self, kr_id: str) -> KeyResult | None:
        return next((kr for kr in self.key_results if kr.id == kr_id), None)


@dataclass(frozen=True)
class ObjectiveSet:
    """company.yaml or departments/<d>.yaml: the objectives of the company or a department."""

    owner: str
    objectives: tuple[Objective, ...]
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    # A department's check-ins of its team key results (a goals file's, of its own).
    checkins: tuple[Checkin, ...] = ()

    def objective(self, obj_id: str) -> Objective | None:
        return next((o for o in self.objectives if o.id == obj_id), None)


@dataclass(frozen=True)
class KpiEntry:
    id: str
    target: float
    actual: float | None = None
    custom: Kpi | None = None  # a KPI the person added (the template allows custom KPIs)
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class PlanItem:
    task: str
    due: dt.date | None = None
    standard: str | None = None
    done: bool | None = None


@dataclass(frozen=True)
class Checkin:
    date: dt.date
    values: Mapping[str, float | bool]
    confidence: float | None = None
    note: str | None = None
    blockers: str | None = None
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Goals(ObjectiveSet):
    kpis: Mapping[str, KpiEntry] = field(default_factory=dict)
    plan: tuple[PlanItem, ...] = ()
    peers: tuple[str, ...] = ()


# --- reviews and calibration ------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    action: str
    due: dt.date | None = None


@dataclass(frozen=True)
class Review:
    subject: str
    reviewer: str
    ratings: Mapping[str, int]
    comments: str | None = None
    strengths: str | None = None
    improvements: str | None = None
    improvement_plan: tuple[Action, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Checkpoint:
    """checkpoints/<person>.yaml: a person's mid-cycle check-point with their manager.
    Confidential like a review; never scored."""

    person: str
    summary: str
    date: dt.date | None = None
    employee_notes: str | None = None
    manager_notes: str | None = None
    next_steps: tuple[Action, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class FinalRating:
    rating: str
    reason: str | None = None
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Calibration:
    group: str
    ratings: Mapping[str, FinalRating]
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Group:
    """A resolved calibration group: its members and the heads who own it."""

    id: str
    departments: tuple[str, ...]
    members: tuple[str, ...]
    heads: tuple[str, ...]
    name: str | None = None


# --- the whole cycle --------------------------------------------------------------------


@dataclass(frozen=True)
class CycleData:
    """Everything in cycles/<id>/ that parsed and passed its schema."""

    root: str  # repository root (absolute path)
    dir: str  # the cycle's folder, relative to root: "cycles/<id>"
    cycle: Cycle
    org: Org
    templates: Mapping[str, Template] = field(default_factory=dict)
    company: ObjectiveSet | None = None
    departments: Mapping[str, ObjectiveSet] = field(default_factory=dict)
    goals: Mapping[str, Goals] = field(default_factory=dict)
    reviews: Mapping[tuple[str, str], Review] = field(default_factory=dict)
    calibrations: Mapping[str, Calibration] = field(default_factory=dict)
    results: Any = None  # results.yaml of a closed cycle, as plain data
    checkpoints: Mapping[str, Checkpoint] = field(default_factory=dict)  # person -> record
    documents: Mapping[str, Document] = field(default_factory=dict, repr=False)
    # Files of the cycle (paths from the root) left out of the model for problems of their
    # own: a rule does not report what follows from their absence (one mistake, one error).
    left_out: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # The parent key results each left-out objectives file says it contributes to (path ->
    # refs, read from its text as far as it goes): their coverage and sums are not judged.
    left_out_claims: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Sealed files (SPEC section 7) the caller's identity does not open: path inside the
    # cycle folder, plain form -> the sealed file's path from the root. A state of its own:
    # "sealed, not readable by you", never missing and never an error.
    unreadable: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Whether a sealed file was opened into this record: nothing derived from it may be
    # written to disk (the cache included).
    opened: bool = field(default=False, compare=False, repr=False)
    # The identity of the bytes this record was built from (sources.content_digest), set by
    # the loader; not copied by dataclasses.replace, so a derived record never claims it.
    content: str | None = field(default=None, init=False, compare=False, repr=False)
    # The paths (from the repository root) of the files that digest covers, set with it.
    examined: frozenset[str] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.cycle.id

    def template_left_out(self, template: str) -> bool:
        """Whether `templates/<template>.yaml` exists but was left out for its own errors:
        what follows from its absence is not a problem of its own."""
        return f"{self.dir}/templates/{template}.yaml" in self.left_out

    def owner_left_out(self, owner: str) -> bool:
        """Whether the objectives file of `owner` (the company, a department or a person)
        exists but was left out for its own errors: a reference into it is no error."""
        if owner == COMPANY:
            return self.path("company.yaml") in self.left_out
        return (
            self.path("goals", f"{owner}.yaml") in self.left_out
            or self.path("departments", f"{owner}.yaml") in self.left_out
        )

    @cached_property
    def sealed_subjects(self) -> frozenset[str]:
        """People with a review of them the caller cannot open: their review section is
        sealed (a number from the readable reviews alone would be wrong)."""
        return frozenset(rel.split("/")[1] for rel in self.unreadable if rel.startswith("reviews/"))

    def sealed_path(self, rel: str) -> str | None:
        """The sealed file the caller cannot open that holds `rel` (plain form), or None."""
        return self.unreadable.get(rel)

    @cached_property
    def claimed_by_left_out(self) -> frozenset[str]:
        """Parent key results (refs) that a left-out file may add into."""
        return frozenset(ref for refs in self.left_out_claims.values() for ref in refs)

    @cached_property
    def unsettled(self) -> Mapping[str, str]:
        """person -> a left-out file (path in the cycle folder) their score depends on: their
        goals file, a review of them, their template, the department file holding a team key
        result they list, or a file adding into one of their `aggregate: sum` key results
        (upward through sums). Such a person's score is not known until the file is fixed:
        they are incomplete, and nothing follows from it."""
        out: dict[str, str] = {}
        templates: dict[str, str] = {}
        departments: dict[str, str] = {}
        cut = len(self.dir) + 1
        for path in sorted(self.left_out):
            rel = path[cut:]
            parts = rel.split("/")
            stem = parts[-1].removesuffix(".yaml")
            if parts[0] == "goals" and len(parts) == 2:
                out.setdefault(stem, rel)
            elif parts[0] == "reviews" and len(parts) == 3:
                out.setdefault(parts[1], rel)
            elif parts[0] == "templates" and len(parts) == 2:
                templates[stem] = rel
            elif parts[0] == "departments" and len(parts) == 2:
                departments[stem] = rel
        if departments:  # a member's team key result lives in a left-out department file
            for goals in self.goals.values():
                for objective in goals.objectives:
                    for listed in objective.key_results:
                        dept = listed.ref.split("/")[0] if listed.ref else None
                        if dept in departments:
                            out.setdefault(goals.owner, departments[dept])
        if templates:
            for person in self.org.people:
                chosen = self.template_id_for(person)
                if chosen in templates:
                    out.setdefault(person, templates[chosen])
        todo = [
            (ref, path[cut:]) for path, refs in sorted(self.left_out_claims.items()) for ref in refs
        ]
        seen: set[str] = set()
        while todo:
            ref, rel = todo.pop(0)
            kr = None if ref in seen else self.find_key_result(ref)
            seen.add(ref)
            if kr is None or kr.current is not None or kr.aggregate != "sum":
                continue  # only a sum without a current of its own counts its contributors
            out.setdefault(ref.split("/")[0], rel)
            if kr.contributes_to:
                todo.append((kr.contributes_to, rel))
        people = self.org.people
        return {person: rel for person, rel in out.items() if person in people}

    def template_for(self, person: str) -> Template | None:
        """A person's own template, else cycle `people`, nearest department, default."""
        return self.templates.get(self.template_id_for(person) or "")

    @cached_property
    def _memo(self) -> dict[tuple[str, str, str], str | None]:
        """Answers of template_id_for and relation: rules and scoring ask each of them
        again for every review (120,000 times at 10,000 people)."""
        return {}

    def template_id_for(self, person: str) -> str | None:
        key = ("template", person, "")
        memo = self._memo
        if key not in memo:
            memo[key] = self._template_id_for(person)
        return memo[key]

    def _template_id_for(self, person: str) -> str | None:
        p = self.org.people.get(person)
        if p is None:
            return None
        if p.template:
            return p.template
        if person in self.cycle.person_templates:
            return self.cycle.person_templates[person]
        for dept in self.org.department_chain(p.department):
            if dept in self.cycle.department_templates:
                return self.cycle.department_templates[dept]
        return self.cycle.default_template

    def relation(self, subject: str, reviewer: str) -> str | None:
        """How `reviewer` relates to `subject`, the first of RELATIONS that fits, or None."""
        key = ("relation", subject, reviewer)
        memo = self._memo
        if key not in memo:
            memo[key] = self._relation(subject, reviewer)
        return memo[key]

    def _relation(self, subject: str, reviewer: str) -> str | None:
        org = self.org
        if subject not in org.people or reviewer not in org.people:
            return None
        if reviewer == subject:
            return "self"
        if org.manager_of(subject) == reviewer:
            return "manager"
        if org.skip_level_of(subject) == reviewer:
            return "skip_level"
        if reviewer in self.cycle.designated.get(subject, ()):
            return "designated"
        goals = self.goals.get(subject)
        if goals and reviewer in goals.peers:
            return "peer"
        if org.manager_of(reviewer) == subject:
            return "upward"
        return None

    def expected_reviewers(self, subject: str) -> dict[str, str]:
        """reviewer -> relation for every review this subject should receive."""
        org = self.org
        out: dict[str, str] = {subject: "self"}
        candidates = [org.manager_of(subject), org.skip_level_of(subject)]
        candidates += list(self.cycle.designated.get(subject, ()))
        goals = self.goals.get(subject)
        candidates += list(goals.peers) if goals else []
        candidates += list(org.reports(subject))
        for reviewer in candidates:
            if reviewer and reviewer not in out and reviewer in org.people:
                relation = self.relation(subject, reviewer)
                if relation:
                    out[reviewer] = relation
        return out

    @cached_property
    def groups(self) -> tuple[Group, ...]:
        """Calibration groups resolved to members: a person joins the group listing their
        nearest department (so a sub-department can have a group of its own)."""
        org, config = self.org, self.cycle.calibration
        if config.groups is None:
            tops = [d.id for d in org.departments.values() if not d.parent]
            configs = [GroupConfig(t, (t,), org.departments[t].name) for t in tops]
        else:
            configs = list(config.groups)
        owner: dict[str, str] = {}
        for gc in configs:
            for dept in gc.departments:
                owner.setdefault(dept, gc.id)
        members: dict[str, list[str]] = {gc.id: [] for gc in configs}
        group_of_dept: dict[str, str | None] = {}  # per department, not per person: 10,000
        for person in org.people.values():  # people share a few hundred departments
            dept = person.department
            if dept not in group_of_dept:
                chain = org.department_chain(dept)
                group_of_dept[dept] = next((owner[d] for d in chain if d in owner), None)
            group = group_of_dept[dept]
            if group is not None:
                members[group].append(person.id)
        out = []
        for gc in configs:
            listed = set(gc.departments)
            tops = [
                d
                for d in gc.departments
                if d in org.departments and not (set(org.department_chain(d)[1:]) & listed)
            ]
            heads = tuple(dict.fromkeys(org.departments[d].head for d in tops))
            out.append(Group(gc.id, gc.departments, tuple(members[gc.id]), heads, gc.name))
        return tuple(out)

    @cached_property
    def _group_by_person(self) -> dict[str, Group]:
        out: dict[str, Group] = {}
        for group in self.groups:
            for member in group.members:
                out.setdefault(member, group)
        return out

    def group_of(self, person: str) -> Group | None:
        """The calibration group `person` belongs to (indexed once: asked for everyone)."""
        return self._group_by_person.get(person)

    def objective_set(self, owner: str) -> ObjectiveSet | None:
        """The objectives owned by 'company', a department or a person."""
        if owner == COMPANY:
            return self.company
        return self.departments.get(owner) or self.goals.get(owner)

    def find_objective(self, ref: str) -> Objective | None:
        owner, _, obj = ref.partition("/")
        objectives = self.objective_set(owner)
        return objectives.objective(obj.split("/")[0]) if objectives else None

    def find_key_result(self, ref: str) -> KeyResult | None:
        parts = ref.split("/")
        if len(parts) != 3:
            return None
        objective = self.find_objective(ref)
        return objective.key_result(parts[2]) if objective else None

    def team_key_result(self, ref: str) -> KeyResult | None:
        """The team key result `ref` names (a department's, `team: true`), or None."""
        kr = self.find_key_result(ref) if ref.split("/")[0] in self.departments else None
        return kr if kr is not None and kr.team else None

    def team_owner(self, dept: str, kr: KeyResult) -> str | None:
        """Who checks in for a team key result of `dept`: its `owner`, else the head."""
        department = self.org.departments.get(dept)
        return kr.owner or (department.head if department else None)

    def is_member(self, person: str, dept: str) -> bool:
        """Whether `person` is of `dept` or of a department below it: who may list its
        team key results."""
        p = self.org.people.get(person)
        return p is not None and dept in self.org.department_chain(p.department)

    @cached_property
    def team_listing(self) -> Mapping[str, tuple[str, ...]]:
        """team key result (`dept/objective/kr`) -> the members who list it, in org order
        (a reference that is no valid one is not counted: the rules report it)."""
        out: dict[str, dict[str, None]] = {}
        for person in self.org.people:  # org order, so each tuple is in it
            goals = self.goals.get(person)
            for objective in goals.objectives if goals else ():
                for kr in objective.key_results:
                    ref = kr.ref
                    if ref is None or self.team_key_result(ref) is None:
                        continue
                    if self.is_member(person, ref.split("/")[0]):
                        out.setdefault(ref, {})[person] = None
        return {ref: tuple(people) for ref, people in out.items()}

    def all_objective_sets(self) -> Iterator[ObjectiveSet]:
        if self.company:
            yield self.company
        yield from self.departments.values()
        yield from self.goals.values()

    @cached_property
    def _reviews_by_subject(self) -> dict[str, list[Review]]:
        out: dict[str, list[Review]] = {}
        for (subject, _), review in self.reviews.items():
            out.setdefault(subject, []).append(review)
        return out

    def reviews_of(self, subject: str) -> list[Review]:
        # indexed once: scanning every review per person is quadratic (10 min at 10,000)
        return list(self._reviews_by_subject.get(subject, ()))

    def path(self, *parts: str) -> str:
        """A path inside this cycle, relative to the repository root."""
        return "/".join((self.dir, *parts))
