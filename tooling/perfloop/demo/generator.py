"""A realistic demo company of N people, as the files of a performance repository.

`generate(people, seed, phase)` is a pure function: the same arguments give the same bytes
(one `random.Random(seed)`, no clock, no global state). It returns {path: text} for
`mkdocs`-free repository content: `cycles/<id>/...` only; the command adds the site and git.

The company: a CEO and a small executive office; top-level departments sized by share
(Engineering, Sales, Customer Success, People Operations, Product, Marketing, Finance,
Legal), nested 2-4 levels; every manager has 3-12 direct reports. Each person has a hidden
`performance` in [0, 1] from which their key-result progress, KPI actuals and review
ratings are drawn, so scores spread over the whole rating scale.

Text is emitted directly (f-strings), not through a YAML dumper: it is ~10x faster at
10,000 people. Every free-text value is a JSON string, which is valid YAML and never
changes type (`"no"`, `"2026-01-01"` stay strings); ids are generated to match the id
pattern and never look like YAML 1.1 booleans or dates.

Calibration files start from the engine's own distribution proposal: the generated cycle
is loaded from memory (`repository.load_cycle` over `_MemorySource`), scored and proposed
by `scoring` and `calibration`, so the demo never disagrees with `perfloop calibrate`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING

from ..sources import Entry
from .words import (
    BLOCKERS,
    COMMENTS,
    COMPANY_ALIGNMENT,
    COMPANY_OBJECTIVES,
    COURSES,
    DEPARTMENT_OBJECTIVES,
    FIRST_NAMES,
    GROWTH_KRS,
    IMPROVEMENTS,
    LAST_NAMES,
    METRICS,
    MILESTONES,
    NOTES,
    PEOPLE_OBJECTIVE,
    PERSONAL_OBJECTIVES,
    PLAN_ACTIONS,
    PLAN_TASKS,
    SELF_COMMENTS,
    STRENGTHS,
    SUM_KR,
    TEMPLATE_OF_FAMILY,
    THINGS,
    TITLES,
    TOP_DEPARTMENTS,
    UNITS,
    UPWARD_COMMENTS,
)

if TYPE_CHECKING:
    from ..calibration import Proposal
    from ..model import CycleData

CYCLE_ID = "2026-h2"
CYCLE_NAME = "H2 2026"
PERIOD_START = dt.date(2026, 7, 1)
PERIOD_END = dt.date(2026, 12, 31)
# Each phase ends on its deadline; check-ins are made while the goals are executed, between
# the planning and execution deadlines, so no check-in is dated after the phase it belongs to.
DEADLINES = {
    "planning": dt.date(2026, 7, 15),
    "execution": dt.date(2026, 11, 1),
    "review": dt.date(2026, 11, 20),
    "calibration": dt.date(2026, 12, 10),
}
PHASES = ("planning", "execution", "review", "calibration")
MIN_PEOPLE = 20
MAX_PEOPLE = 200_000
SPAN_MIN, SPAN_MAX = 3, 12  # direct reports of every manager
MAX_DEPTH = 4  # department nesting levels

# The demo's site (the starter's mkdocs.yml: no site_url, site_dir public) publishes the
# schemas in public/schemas/ (schemaref.py): relative paths resolve once it is built.
SCHEMA_LINE = "# yaml-language-server: $schema={up}public/schemas/{kind}.schema.json\n"

# rating, min score, bonus: best first (spec section 3)
RATING_SCALE = (("S", 90, 1.5), ("A", 80, 1.2), ("B", 65, 1.0), ("C", 50, 0.6), ("D", 0, 0.0))
DISTRIBUTION = {"S": (None, 0.10), "A": (None, 0.25), "D": (0.05, None)}  # rating: (min, max)
ROUNDING = "nearest"
ORG_KEY = "org"  # the org identity's name among a sealed company's identities (org.key)

# --- the organisation ---------------------------------------------------------------------


@dataclass
class Dept:
    id: str
    name: str
    family: str
    level: int  # 1 for a top-level department
    head: str = ""
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    top: str = ""


@dataclass
class Person:
    id: str
    name: str
    first: str
    github: str
    department: str
    family: str
    manager: str | None
    performance: float
    title: str = ""
    reports: list[str] = field(default_factory=list)
    template: str = ""


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    """An id from a display name: lower-case ASCII letters, digits and '-'."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


def q(text: str) -> str:
    """A YAML scalar that is always this exact string (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def num(value: float) -> str:
    """A number as YAML text: integers without a decimal point, floats by repr."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class _Company:
    """Builds the people and departments; all randomness comes from one Random."""

    def __init__(self, people: int, rng: Random):
        self.rng = rng
        self.people: dict[str, Person] = {}
        self.depts: dict[str, Dept] = {}
        self.taken: set[str] = {"company"}  # people and departments share one namespace
        self.logins: set[str] = set()
        self.unit_names: dict[str, list[str]] = {}
        self._build(people)

    # names and ids
    def _person(self, department: Dept, manager: str | None, title: str) -> Person:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = slug(f"{first} {last}")
        pid, n = base, 1
        while pid in self.taken:
            n += 1
            pid = f"{base}-{n}"
        self.taken.add(pid)
        login_base = re.sub(r"[^a-z0-9]", "", _ascii(first + last).lower())[:34]
        login, n = login_base, 1
        while login in self.logins:
            n += 1
            login = f"{login_base}{n}"
        self.logins.add(login)
        performance = min(1.0, max(0.1, rng.gauss(0.72, 0.15)))
        person = Person(
            pid,
            f"{first} {last}",
            first,
            login,
            department.id,
            department.family,
            manager,
            performance,
            title,
        )
        self.people[pid] = person
        department.members.append(pid)
        if manager:
            self.people[manager].reports.append(pid)
        return person

    def _dept(self, name: str, family: str, parent: Dept) -> Dept:
        did = slug(name)
        if did in self.taken:
            name = f"{name} ({parent.name})" if parent.level == 1 else f"{parent.name} {name}"
            did = slug(f"{parent.id} {slug(name.split(' (')[0])}")[:63].strip("-")
        base, n = did, 1
        while did in self.taken:
            n += 1
            did = f"{base[:59]}-{n}"
        self.taken.add(did)
        dept = Dept(did, name, family, parent.level + 1, parent=parent.id, top=parent.top)
        parent.children.append(did)
        self.depts[did] = dept
        return dept

    def _unit_name(self, family: str) -> str:
        pool = self.unit_names.get(family)
        if not pool:
            pool = list(UNITS[family])
            self.rng.shuffle(pool)
            self.unit_names[family] = pool
        return pool.pop()

    # structure
    def _build(self, total: int) -> None:
        exec_dept = Dept("exec", "Executive Office", "exec", 1, top="exec")
        self.taken.add(exec_dept.id)
        self.depts[exec_dept.id] = exec_dept
        ceo = self._person(exec_dept, None, "Chief Executive Officer")
        exec_dept.head = ceo.id
        self._person(exec_dept, ceo.id, "Chief of Staff")
        rest = total - 2
        chosen = TOP_DEPARTMENTS[: max(2, min(len(TOP_DEPARTMENTS), rest // 10))]
        shares = [share for _, _, _, share, _ in chosen]
        sizes = [max(4, round(share / sum(shares) * rest)) for share in shares]
        sizes[0] += rest - sum(sizes)  # engineering absorbs the rounding
        for (did, name, family, _, head_title), size in zip(chosen, sizes, strict=True):
            dept = Dept(did, name, family, 1, top=did)
            self.taken.add(did)
            self.depts[did] = dept
            head = self._person(dept, ceo.id, head_title)
            dept.head = head.id
            self._grow(dept, head, size - 1)

    def _grow(self, dept: Dept, manager: Person, below: int) -> None:
        """Give `manager` a subtree of `below` people inside (or under) `dept`."""
        rng = self.rng
        ics, line, senior = TITLES[dept.family]
        if below <= SPAN_MAX:
            for _ in range(below):
                self._person(dept, manager.id, rng.choice(ics))
            return
        layers = max(2, math.ceil(math.log(below) / math.log(8)))
        k = round(below ** (1 / layers) * rng.uniform(0.85, 1.2))
        k = max(SPAN_MIN, min(SPAN_MAX, below // 4, k))
        parts = _partition(below - k, k, SPAN_MIN, rng)
        for part in parts:
            manages_managers = part > SPAN_MAX
            if dept.level < MAX_DEPTH and (dept.level == 1 or manages_managers):
                sub = self._dept(self._unit_name(dept.family), dept.family, dept)
                lead = self._person(sub, manager.id, senior if manages_managers else line)
                sub.head = lead.id
                self._grow(sub, lead, part)
            else:
                lead = self._person(dept, manager.id, senior if manages_managers else line)
                self._grow(dept, lead, part)


def _partition(total: int, k: int, minimum: int, rng: Random) -> list[int]:
    """Split `total` into k parts of at least `minimum`, unevenly as real teams are."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(k)]
    spare = total - k * minimum
    parts = [minimum + int(spare * w / sum(weights)) for w in weights]
    for i in range(total - sum(parts)):
        parts[i % k] += 1
    return parts


# --- templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kpi:
    id: str
    name: str
    unit: str | None
    direction: str
    scoring: str
    cap: float
    weight: float
    bands: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class _Template:
    id: str
    name: str
    sections: dict[str, float]
    kpis: tuple[_Kpi, ...]
    groups: dict[str, float]
    questions: tuple[tuple[str, str], ...]
    peers: tuple[int, int] = (2, 5)
    max_objectives: int = 4
    max_key_results: int = 4


_INCIDENT_BANDS = ((1.0, 100), (0.8, 70), (0.5, 40), (0, 0))
_ATTRITION_BANDS = ((1.0, 100), (0.75, 60), (0, 0))
_LEADER_KPIS = (
    _Kpi("team-health", "Team engagement score", None, "higher", "linear", 1.1, 60),
    _Kpi(
        "regretted-attrition",
        "Regretted attrition, annualised",
        "%",
        "lower",
        "bands",
        1.0,
        40,
        _ATTRITION_BANDS,
    ),
)
_LEADER_QUESTIONS = (
    ("direction", "Does this leader set a clear direction and explain the why behind it?"),
    ("develops-people", "Do the people on their team grow and get honest, timely feedback?"),
    ("decisions", "Do they make timely, well-reasoned decisions and stand by them?"),
    ("cross-team", "How well do they work with other leaders and put the company first?"),
)

TEMPLATES = {
    t.id: t
    for t in (
        _Template(
            "engineering",
            "Engineering",
            {"okr": 50, "kpi": 20, "review": 30},
            (
                _Kpi(
                    "availability",
                    "Availability of the services you own",
                    "%",
                    "higher",
                    "linear",
                    1.2,
                    50,
                ),
                _Kpi(
                    "incidents",
                    "Sev-1 incidents in services you own",
                    None,
                    "lower",
                    "bands",
                    1.0,
                    30,
                    _INCIDENT_BANDS,
                ),
                _Kpi(
                    "review-turnaround",
                    "Median hours to first code review",
                    "h",
                    "lower",
                    "linear",
                    1.2,
                    20,
                ),
            ),
            {
                "self": 10,
                "peer": 20,
                "manager": 50,
                "skip_level": 10,
                "designated": 10,
                "upward": 0,
            },
            (
                (
                    "impact",
                    "What impact did this person's work have on customers and the business?",
                ),
                ("craft", "How good is the technical quality of their work?"),
                ("collaboration", "How well did they work with others?"),
                ("ownership", "Did they own problems through to the end?"),
            ),
        ),
        _Template(
            "sales",
            "Sales",
            {"okr": 30, "kpi": 50, "review": 20},
            (
                _Kpi("new-arr", "New annual recurring revenue", "USD", "higher", "linear", 1.2, 60),
                _Kpi(
                    "win-rate",
                    "Win rate on qualified opportunities",
                    "%",
                    "higher",
                    "linear",
                    1.0,
                    20,
                ),
                _Kpi(
                    "churn",
                    "Logo churn in accounts you sold",
                    "%",
                    "lower",
                    "bands",
                    1.0,
                    20,
                    ((1.0, 100), (0.8, 75), (0.6, 40), (0, 0)),
                ),
            ),
            {"self": 10, "peer": 15, "manager": 65, "skip_level": 0, "designated": 10, "upward": 0},
            (
                ("results", "How well did this person deliver against their number and plan?"),
                ("customer", "Do customers trust them, and do they sell what customers need?"),
                ("teamwork", "How well did they work with the rest of the company?"),
            ),
            max_objectives=3,
        ),
        _Template(
            "general",
            "General",
            {"okr": 55, "kpi": 15, "review": 30},
            (
                _Kpi(
                    "stakeholder-csat",
                    "Satisfaction of the people you serve (out of 5)",
                    None,
                    "higher",
                    "linear",
                    1.1,
                    60,
                ),
                _Kpi(
                    "plan-on-time", "Plan tasks delivered on time", "%", "higher", "linear", 1.0, 40
                ),
            ),
            {"self": 10, "peer": 20, "manager": 55, "skip_level": 15, "designated": 0, "upward": 0},
            (
                ("impact", "What difference did this person's work make to the company's goals?"),
                ("ownership", "Did they own their work end to end and flag problems early?"),
                ("collaboration", "How well did they work with people outside their team?"),
            ),
        ),
        _Template(
            "leadership",
            "Leadership (people managers)",
            {"okr": 60, "kpi": 10, "review": 30},
            _LEADER_KPIS,
            {"self": 5, "peer": 15, "manager": 45, "skip_level": 5, "designated": 5, "upward": 25},
            _LEADER_QUESTIONS,
        ),
        _Template(
            "ceo",
            "Chief executive (rated by the board)",
            {"okr": 75, "kpi": 25, "review": 0},
            _LEADER_KPIS,
            {"upward": 100},
            _LEADER_QUESTIONS,
            peers=(0, 5),
        ),
    )
}


def _render_template(t: _Template) -> str:
    out = [_schema_line("template", 3), f"id: {t.id}\n", f"name: {q(t.name)}\n", "sections:\n"]
    out += [f"  {k}: {num(v)}\n" for k, v in t.sections.items()]
    out.append("kpis:\n")
    for k in t.kpis:
        out.append(f"  - id: {k.id}\n    name: {q(k.name)}\n")
        if k.unit:
            out.append(f"    unit: {q(k.unit)}\n")
        out.append(f"    direction: {k.direction}\n    scoring: {k.scoring}\n")
        if k.scoring == "linear":
            out.append(f"    cap: {num(k.cap)}\n")
        out.append(f"    weight: {num(k.weight)}\n")
        if k.bands:
            out.append("    bands:\n")
            out += [f"      - {{min: {num(m)}, score: {num(s)}}}\n" for m, s in k.bands]
    out.append("allow_custom_kpis: false\n")
    out.append(
        f"okr:\n  max_objectives: {t.max_objectives}\n  max_key_results: {t.max_key_results}\n"
    )
    out.append("reviews:\n  scale: 5\n  groups:\n")
    out += [f"    {g}: {num(w)}\n" for g, w in t.groups.items()]
    out.append(f"  peers:\n    min: {t.peers[0]}\n    max: {t.peers[1]}\n  questions:\n")
    out += [f"    - id: {qid}\n      text: {q(text)}\n" for qid, text in t.questions]
    return "".join(out)


def _schema_line(kind: str, depth: int) -> str:
    """The schema line of a file `depth` folders below the repository root."""
    return SCHEMA_LINE.format(up="../" * depth, kind=kind)


# --- objectives and key results -----------------------------------------------------------


@dataclass
class _KR:
    id: str
    title: str
    kind: str = "numeric"  # numeric | milestone | graded
    start: float | None = None
    target: float | None = None
    current: float | None = None
    unit: str | None = None
    direction: str = "higher"
    decimals: int = 0
    weight: float | None = None
    done: bool = False
    grade: float = 0.0
    contributes_to: str | None = None
    aggregate: bool = False

    def render(self, progress: bool) -> str:
        out = [f"      - id: {self.id}\n        title: {q(self.title)}\n"]
        if self.kind == "graded" and progress:
            out.append(f"        score: {num(self.grade)}\n")
        elif self.kind != "numeric":
            out.append("        type: milestone\n")
            if progress:
                out.append(f"        done: {'true' if self.done else 'false'}\n")
        else:
            if self.start:
                out.append(f"        start: {num(self.start)}\n")
            out.append(f"        target: {num(self.target or 0)}\n")
            if progress and self.current is not None and not self.aggregate:
                out.append(f"        current: {num(self.current)}\n")
            if self.unit:
                out.append(f"        unit: {q(self.unit)}\n")
            if self.direction == "lower":
                out.append("        direction: lower\n")
        if self.weight is not None:
            out.append(f"        weight: {num(self.weight)}\n")
        if self.aggregate:
            out.append("        aggregate: sum\n")
        if self.contributes_to:
            out.append(f"        contributes_to: {self.contributes_to}\n")
        return "".join(out)


@dataclass
class _Objective:
    id: str
    title: str
    aligns_to: str | None
    krs: list[_KR]
    weight: float | None = None

    def render(self, progress: bool) -> str:
        out = [f"  - id: {self.id}\n    title: {q(self.title)}\n"]
        if self.aligns_to:
            out.append(f"    aligns_to: {self.aligns_to}\n")
        if self.weight is not None:
            out.append(f"    weight: {num(self.weight)}\n")
        out.append("    key_results:\n")
        out += [kr.render(progress) for kr in self.krs]
        return "".join(out)


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals))


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _metric(rng: Random, spec: tuple, thing: str, performance: float, kr_id: str) -> _KR:
    title, unit, (low, high), (mode, change), direction, dec = spec
    start = _round(rng.uniform(low, high), dec)
    delta = change * rng.uniform(0.8, 1.25) * (1 if mode == "abs" else start)
    target = _round(max(0.0, start + delta), dec)
    if unit == "%":
        target = min(target, 99.99 if dec >= 2 else 100.0)
    if target == start:
        target = _round(start + (10.0**-dec) * (1 if delta > 0 else -1), dec)
    progress = _clamp(performance + rng.gauss(0, 0.12), -0.1, 1.15)
    current = _round(start + progress * (target - start), dec)
    if unit == "%":
        current = min(current, 100.0)
    return _KR(
        kr_id,
        title.format(thing=thing),
        start=start,
        target=target,
        current=max(0.0, current),
        unit=unit,
        direction=direction,
        decimals=dec,
    )


def _milestone(rng: Random, title: str, thing: str, performance: float, kr_id: str) -> _KR:
    done = rng.random() < 0.1 + 0.85 * performance
    return _KR(kr_id, title.format(thing=thing), kind="milestone", done=done)


class _Picker:
    """Key results for one file: one subject (`thing`), no metric or milestone twice."""

    def __init__(self, rng: Random, family: str):
        self.rng, self.family = rng, family
        self.thing = rng.choice(THINGS[family])
        self.metrics = rng.sample(METRICS[family], len(METRICS[family]))
        self.milestones: list[str] = []

    def metric(self, performance: float, kr_id: str) -> _KR:
        if not self.metrics:
            return self.milestone(performance, kr_id)
        return _metric(self.rng, self.metrics.pop(), self.thing, performance, kr_id)

    def milestone(self, performance: float, kr_id: str) -> _KR:
        if not self.milestones:
            self.milestones = self.rng.sample(MILESTONES[self.family], len(MILESTONES[self.family]))
        return _milestone(self.rng, self.milestones.pop(), self.thing, performance, kr_id)


def _growth(rng: Random, performance: float, kr_id: str) -> _KR:
    title = rng.choice(GROWTH_KRS).format(course=rng.choice(COURSES))
    grade = _round(_clamp(performance + rng.gauss(0, 0.1), 0, 1), 2)
    return _KR(kr_id, title, kind="graded", grade=grade)


def _weights(rng: Random, items: list, options: dict[int, list[tuple[int, ...]]]) -> None:
    """Give siblings weights summing to 100 about half the time; else leave them equal."""
    choices = options.get(len(items))
    if choices and rng.random() < 0.5:
        for item, weight in zip(items, rng.choice(choices), strict=True):
            item.weight = float(weight)


OBJECTIVE_WEIGHTS: dict[int, list[tuple[int, ...]]] = {
    2: [(60, 40), (50, 50), (70, 30)],
    3: [(50, 30, 20), (40, 40, 20)],
}
KR_WEIGHTS: dict[int, list[tuple[int, ...]]] = {
    2: [(50, 50), (60, 40)],
    3: [(40, 40, 20), (50, 25, 25)],
    4: [(40, 20, 20, 20)],
}


def _round_step(value: float, step: int) -> float:
    return float(max(step, round(value / step) * step))


def _parent_target(total: float, step: int) -> float:
    """A parent target its contributors cover 1.0x to 1.5x (the default alignment bounds)."""
    target = _round_step(total / 1.2, step)
    while total / target > 1.5:
        target += step
    while total / target < 1.0 and target > step:
        target -= step
    return target


class _Demo:
    """Everything random happens here, in a fixed order, from one Random."""

    def __init__(self, people: int, seed: int, phase: str, sealed: bool = False):
        self.rng = Random(seed)
        # A sealed company's keys come from the OS, never from `rng`: its plain content (and
        # so every score) is the same as the plain demo's of the same seed.
        self.sealed = sealed
        self.identities: dict[str, str] = {}  # person id (and ORG_KEY) -> identity file text
        self.recipients: dict[str, str] = {}  # the same -> its age recipient
        self.data: CycleData | None = None  # the cycle as loaded from memory, when it was
        self.company = _Company(people, self.rng)
        self.phase = phase
        self.progress = phase != "planning"
        self.with_reviews = phase in ("review", "calibration")
        self.cycle_dir = f"cycles/{CYCLE_ID}"
        self.people = self.company.people
        self.depts = self.company.depts
        self.ceo = self.depts["exec"].head
        for person in self.people.values():
            if person.id == self.ceo:
                person.template = "ceo"
            elif person.reports:
                person.template = "leadership"
            else:
                person.template = TEMPLATE_OF_FAMILY.get(person.family, "general")
        self.goals: dict[str, list[_Objective]] = {}
        self.kpis: dict[str, dict[str, tuple[float, float]]] = {}
        self.peers: dict[str, list[str]] = {}
        self.designated: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}

    # contributions roll up: person -> department -> parent department (-> company ARR)
    def _sums(self) -> None:
        rng = self.rng
        self.contribution: dict[str, _KR] = {}
        for person in self.people.values():
            if person.reports or person.family not in SUM_KR:
                continue
            if person.family != "sales" and rng.random() > 0.5:
                continue
            title, unit, (low, high), step = SUM_KR[person.family]
            target = float(rng.randrange(low, high + 1, step))
            achieved = _clamp(person.performance + rng.gauss(0, 0.15), 0, 1.3)
            current = float(round(target * achieved / step) * step)
            self.contribution[person.id] = _KR(
                "", title, start=None, target=target, current=current, unit=unit
            )
        self.dept_sum: dict[str, float] = {}
        for dept in reversed(list(self.depts.values())):
            if dept.family not in SUM_KR:
                continue
            step = SUM_KR[dept.family][3]
            total = sum(
                self.contribution[m].target or 0 for m in dept.members if m in self.contribution
            )
            total += sum(self.dept_sum.get(c, 0) for c in dept.children)
            if total:
                self.dept_sum[dept.id] = _parent_target(total, step)
        self.company_arr = _parent_target(self.dept_sum.get("sales", 1_000_000), 100_000)

    def _department_objectives(self, dept: Dept) -> list[_Objective]:
        rng, family = self.rng, dept.family
        primary, secondary = DEPARTMENT_OBJECTIVES[family]
        if dept.parent:
            align = [f"{dept.parent}/o1", f"{dept.parent}/o2", f"{dept.parent}/o3"]
        else:
            a, b = COMPANY_ALIGNMENT[family]
            align = [f"company/{a}", f"company/{b}", "company/o4"]
        first: list[_KR] = []
        if dept.id in self.dept_sum:
            title, unit, _, _ = SUM_KR[family]
            parent = None
            if dept.parent and dept.parent in self.dept_sum:
                parent = f"{dept.parent}/o1/kr1"
            elif not dept.parent and family == "sales":
                parent = "company/o1/kr1"
            first.append(
                _KR(
                    "kr1",
                    title,
                    target=self.dept_sum[dept.id],
                    unit=unit,
                    aggregate=True,
                    contributes_to=parent,
                )
            )
        pick = _Picker(rng, family)
        first.append(pick.metric(rng.uniform(0.5, 0.9), f"kr{len(first) + 1}"))
        second = [
            pick.metric(rng.uniform(0.5, 0.9), "kr1"),
            pick.milestone(rng.uniform(0.5, 0.9), "kr2"),
        ]
        engagement = _round(rng.uniform(68, 74), 0)
        third = [
            _KR(
                "kr1",
                "Engagement score",
                start=engagement,
                target=engagement + 5,
                current=engagement + rng.choice((2.0, 3.0, 4.0, 5.0, 6.0)),
                unit="points",
            ),
            _KR(
                "kr2",
                "People with a written growth plan",
                start=float(rng.randrange(20, 50)),
                target=90.0,
                current=float(rng.randrange(60, 96)),
                unit="%",
            ),
        ]
        return [
            _Objective("o1", primary, align[0], first),
            _Objective("o2", secondary, align[1], second),
            _Objective("o3", PEOPLE_OBJECTIVE, align[2], third),
        ]

    def _person_objectives(self, person: Person) -> list[_Objective]:
        rng, family, perf = self.rng, person.family, person.performance
        if person.id == self.ceo:
            align = ["company/o1", "company/o3", "company/o4"]
        else:
            align = [f"{person.department}/o{i}" for i in (1, 2, 3)]
        pick = _Picker(rng, family)
        thing = pick.thing
        first_titles, second_titles = PERSONAL_OBJECTIVES[family]
        first: list[_KR] = []
        if person.id in self.contribution:
            kr = self.contribution[person.id]
            kr.id = "kr1"
            kr.contributes_to = f"{person.department}/o1/kr1"
            first.append(kr)
        for _ in range(rng.randint(1, 2)):
            make = pick.metric if rng.random() < 0.7 else pick.milestone
            first.append(make(perf, f"kr{len(first) + 1}"))
        second: list[_KR] = []
        for _ in range(rng.randint(1, 3)):
            make = pick.metric if rng.random() < 0.6 else pick.milestone
            second.append(make(perf, f"kr{len(second) + 1}"))
        objectives = [
            _Objective("o1", rng.choice(first_titles).format(thing=thing), align[0], first),
            _Objective("o2", rng.choice(second_titles).format(thing=thing), align[1], second),
        ]
        if person.reports:
            team = float(len(person.reports))
            planned = _clamp(round(team * (perf + rng.gauss(0, 0.1))), 0, team)
            engagement = _round(rng.uniform(66, 76), 0)
            objectives.append(
                _Objective(
                    "o3",
                    "Grow a team people want to stay in",
                    align[2],
                    [
                        _KR(
                            "kr1",
                            "Team members with a written growth plan",
                            target=team,
                            current=float(planned),
                            unit="people",
                        ),
                        _KR(
                            "kr2",
                            "Team engagement score",
                            start=engagement,
                            target=engagement + rng.choice((4.0, 5.0, 6.0)),
                            current=_round(engagement + 6 * perf + rng.gauss(0, 1.5), 0),
                            unit="points",
                        ),
                    ],
                )
            )
        elif rng.random() < 0.35 and person.template != "sales":
            objectives.append(
                _Objective("o3", "Grow my skills", align[2], [_growth(rng, perf, "kr1")])
            )
        _weights(rng, objectives, OBJECTIVE_WEIGHTS)
        for objective in objectives:
            _weights(rng, objective.krs, KR_WEIGHTS)
        return objectives

    def _kpi_values(self, person: Person, kpi: _Kpi) -> tuple[float, float]:
        rng, perf = self.rng, person.performance
        noise = rng.gauss(0, 0.06)
        match kpi.id:
            case "availability":
                target = rng.choice((99.5, 99.9, 99.95))
                return target, _round(min(100.0, target - (1 - perf) * 0.4 + noise / 10), 2)
            case "incidents":
                target = float(rng.randint(1, 3))
                return target, float(max(0, round(target * (1.6 - perf) + rng.gauss(0, 0.5))))
            case "review-turnaround":
                target = rng.choice((12.0, 24.0))
                return target, _round(max(1.0, target * (1.5 - 0.8 * perf + noise)), 1)
            case "new-arr":
                kr = self.contribution.get(person.id)
                if kr is not None and kr.target:
                    return kr.target, kr.current or 0.0
                target = float(rng.randrange(300_000, 900_000, 50_000))
                return target, _round(target * _clamp(perf + noise, 0, 1.3), -4)
            case "win-rate":
                target = float(rng.randint(20, 30))
                return target, _round(target * (0.6 + 0.5 * perf + noise), 0)
            case "churn":
                target = float(rng.randint(4, 8))
                return target, _round(max(0.0, target * (1.6 - 0.8 * perf + noise)), 1)
            case "stakeholder-csat":
                return 4.5, _round(min(5.0, 4.5 * (0.75 + 0.3 * perf + noise / 2)), 1)
            case "plan-on-time":
                return 90.0, _round(min(100.0, 90 * (0.7 + 0.4 * perf + noise)), 0)
            case "team-health":
                target = float(rng.randint(72, 80))
                return target, _round(target * (0.85 + 0.2 * perf + noise / 2), 0)
            case _:  # regretted-attrition
                target = float(rng.randint(6, 10))
                return target, _round(max(0.0, target * (1.5 - perf + noise)), 1)

    def _checkins(self, objectives: list[_Objective], performance: float) -> str:
        rng = self.rng
        months = sorted(rng.sample((7, 8, 9, 10), rng.randint(2, 4)))  # see DEADLINES
        krs = [(o.id, kr) for o in objectives for kr in o.krs if kr.kind != "graded"]
        out = ["checkins:\n"]
        for i, month in enumerate(months):
            last = i == len(months) - 1
            share = (i + 1) / len(months)
            values = []
            for obj_id, kr in krs:
                if not last and rng.random() < 0.4:
                    continue
                if kr.kind == "milestone":  # reported once it is decided, at the end
                    if last:
                        values.append(f"      {obj_id}/{kr.id}: {str(kr.done).lower()}\n")
                    continue
                start = kr.start or 0.0
                value = kr.current if last else start + share * ((kr.current or 0) - start)
                values.append(f"      {obj_id}/{kr.id}: {num(_round(value or 0, kr.decimals))}\n")
            first = DEADLINES["planning"].day + 1 if month == DEADLINES["planning"].month else 1
            day = dt.date(2026, month, rng.randint(first, 28))
            out.append(f"  - date: {day.isoformat()}\n")
            if values:
                out.append("    values:\n")
                out += values
            confidence = _round(_clamp(0.35 + 0.55 * performance + rng.gauss(0, 0.08), 0.1, 1), 2)
            out.append(f"    confidence: {num(confidence)}\n    note: {q(rng.choice(NOTES))}\n")
            if rng.random() < 0.2:
                out.append(f"    blockers: {q(rng.choice(BLOCKERS))}\n")
        return "".join(out)

    # --- building every file ------------------------------------------------------------

    def build(self) -> dict[str, str]:
        self._sums()
        for dept in self.depts.values():
            objectives = self._department_objectives(dept)
            self._add(
                f"departments/{dept.id}.yaml",
                _render_objectives("objectives", dept.id, objectives, self.progress),
            )
        for person in self.people.values():
            self._add(f"goals/{person.id}.yaml", self._goals_file(person))
        if self.with_reviews:
            self._choose_designated()
            for person in self.people.values():
                self._review_files(person)
        if self.phase == "calibration":
            self._calibration_files()
        self._add("company.yaml", self._company_file())
        self._add("org.yaml", self._org_file())
        self._add("cycle.yaml", self._cycle_file())
        for template in sorted({p.template for p in self.people.values()}):
            self._add(f"templates/{template}.yaml", _render_template(TEMPLATES[template]))
        return dict(sorted(self.files.items()))

    def _add(self, rel: str, text: str) -> None:
        self.files[f"{self.cycle_dir}/{rel}"] = text

    def _goals_file(self, person: Person) -> str:
        rng = self.rng
        objectives = self._person_objectives(person)
        self.goals[person.id] = objectives
        template = TEMPLATES[person.template]
        kpis = {k.id: self._kpi_values(person, k) for k in template.kpis}
        self.kpis[person.id] = kpis
        manager = person.manager
        siblings = [p for p in self.people[manager].reports if p != person.id] if manager else []
        self.peers[person.id] = rng.sample(siblings, 2) if len(siblings) >= 2 else []
        out = [_schema_line("goals", 3), f"owner: {person.id}\n", "objectives:\n"]
        out += [o.render(self.progress) for o in objectives]
        out.append("kpis:\n")
        for kpi_id, (target, actual) in kpis.items():
            out.append(f"  {kpi_id}:\n    target: {num(target)}\n")
            if self.progress:
                out.append(f"    actual: {num(actual)}\n")
        out.append("plan:\n")
        for task, standard in rng.sample(PLAN_TASKS, rng.randint(1, 3)):
            due = dt.date(2026, rng.randint(8, 11), rng.randint(1, 28))
            out.append(
                f"  - task: {q(task)}\n    due: {due.isoformat()}\n    standard: {q(standard)}\n"
            )
            if self.progress and rng.random() < person.performance:
                out.append("    done: true\n")
        if self.peers[person.id]:
            out.append(f"peers: [{', '.join(self.peers[person.id])}]\n")
        if self.progress:
            out.append(self._checkins(objectives, person.performance))
        return "".join(out)

    def _choose_designated(self) -> None:
        """One person in fifty (at least one) gets a reviewer from another top department."""
        rng, ids = self.rng, [p for p in self.people if p != self.ceo]
        wanted = max(1, len(ids) // 50)
        for subject in rng.sample(ids, len(ids)):
            if len(self.designated) == wanted:
                break
            person, reviewer = self.people[subject], self.people[rng.choice(ids)]
            related = {
                person.id,
                person.manager,
                self._skip(person),
                *self.peers[person.id],
                *person.reports,
            }
            top = self.depts[person.department].top
            if reviewer.id not in related and self.depts[reviewer.department].top != top:
                self.designated[person.id] = [reviewer.id]

    def _skip(self, person: Person) -> str | None:
        return self.people[person.manager].manager if person.manager else None

    def _review_files(self, subject: Person) -> None:
        rng = self.rng
        template = TEMPLATES[subject.template]
        reviewers: list[tuple[str, str]] = [(subject.id, "self")]
        if subject.manager:
            reviewers.append((subject.manager, "manager"))
        if skip := self._skip(subject):
            reviewers.append((skip, "skip_level"))
        reviewers += [(r, "designated") for r in self.designated.get(subject.id, [])]
        reviewers += [(r, "peer") for r in self.peers[subject.id]]
        reviewers += [(r, "upward") for r in subject.reports]
        level = _level(subject.performance)
        first = subject.first
        for reviewer, relation in reviewers:
            bias = {"self": 0.06, "upward": 0.04, "peer": 0.02}.get(relation, 0.0)
            ratings = [
                int(_clamp(round(1 + 4 * (subject.performance + bias + rng.gauss(0, 0.1))), 1, 5))
                for _ in template.questions
            ]
            out = [_schema_line("review", 4), "ratings:\n"]
            out += [
                f"  {qid}: {r}\n" for (qid, _), r in zip(template.questions, ratings, strict=True)
            ]
            if relation == "self":
                out.append(f"comments: {q(rng.choice(SELF_COMMENTS[level]))}\n")
            elif relation == "upward":
                out.append(f"comments: {q(rng.choice(UPWARD_COMMENTS).format(first=first))}\n")
            elif relation == "peer":
                out.append(f"strengths: {q(rng.choice(STRENGTHS).format(first=first))}\n")
                if rng.random() < 0.5:
                    out.append(f"improvements: {q(rng.choice(IMPROVEMENTS).format(first=first))}\n")
            else:
                out.append(f"comments: {q(rng.choice(COMMENTS[level]).format(first=first))}\n")
            if relation == "manager":
                out.append(f"strengths: {q(rng.choice(STRENGTHS).format(first=first))}\n")
                out.append(f"improvements: {q(rng.choice(IMPROVEMENTS).format(first=first))}\n")
                out.append("improvement_plan:\n")
                for action in rng.sample(PLAN_ACTIONS, rng.randint(1, 2)):
                    due = rng.choice(("2027-03-31", "2027-06-30"))
                    out.append(f"  - action: {q(action)}\n    due: {due}\n")
            self._add(f"reviews/{subject.id}/{reviewer}.yaml", "".join(out))

    # --- calibration --------------------------------------------------------------------

    def _calibration_files(self) -> None:
        """One file per group: the engine's distribution proposal (`calibration.propose`
        over this company, loaded from memory), then what a calibration session does."""
        from ..calibration import propose
        from ..scoring import score_cycle

        data = self.load()
        scores = score_cycle(data)
        for group in data.groups:
            proposal = propose(data, group, scores)
            ratings = _session(proposal, self.rng)
            out = [_schema_line("calibration", 3), "ratings:\n"]
            for pid, (rating, reason) in ratings.items():
                out.append(f"  {pid}:\n    rating: {rating}\n")
                if reason:
                    out.append(f"    reason: {q(reason)}\n")
            self._add(f"calibration/{group.id}.yaml", "".join(out))

    def load(self) -> CycleData:
        """The cycle generated so far, loaded from memory by the engine (kept in `data`).
        Its cycle.yaml is the plain form: it is read for scores and audiences, not checked."""
        from pathlib import Path

        from ..engine import load_cycle

        prefix = f"{self.cycle_dir}/"
        files = {k[len(prefix) :]: v for k, v in self.files.items()}
        files["cycle.yaml"] = self._cycle_file(plain=True)
        if "org.yaml" not in files:  # before `build` has added the cycle-wide files
            files["org.yaml"] = self._org_file()
            files["company.yaml"] = self._company_file()
            for template in {p.template for p in self.people.values()}:
                files[f"templates/{template}.yaml"] = _render_template(TEMPLATES[template])
        data, problems = load_cycle(Path("/demo"), CYCLE_ID, _MemorySource(files), False)
        if data is None:  # a bug in this generator, not bad input
            raise RuntimeError(f"demo company does not load: {problems[:3]}")
        self.data = data
        return data

    # --- cycle-wide files ---------------------------------------------------------------

    def _company_file(self) -> str:
        objectives = []
        for obj_id, title, krs in COMPANY_OBJECTIVES:
            items = []
            if obj_id == "o1":
                items.append(
                    _KR(
                        "kr1",
                        "New annual recurring revenue",
                        target=self.company_arr,
                        unit="USD",
                        aggregate=True,
                    )
                )
            for kr_id, kr_title, start, target, unit, direction in krs:
                current = _round(start + self.rng.uniform(0.4, 1.0) * (target - start), 2)
                items.append(
                    _KR(
                        kr_id,
                        kr_title,
                        start=float(start),
                        target=float(target),
                        current=current,
                        unit=unit,
                        direction=direction,
                    )
                )
            objectives.append(_Objective(obj_id, title, None, items))
        return _render_objectives("objectives", "company", objectives, self.progress)

    def _org_file(self) -> str:
        out = [_schema_line("org", 2), "departments:\n"]
        for d in self.depts.values():
            parent = f", parent: {d.parent}" if d.parent else ""
            out.append(f"  - {{id: {d.id}, name: {q(d.name)}, head: {d.head}{parent}}}\n")
        out.append("people:\n")
        domain = "example.com"
        for p in self.people.values():
            line = (
                f"  - {{id: {p.id}, name: {q(p.name)}, email: {p.id}@{domain}, "
                f"github: {p.github}, title: {q(p.title)}, department: {p.department}"
            )
            if p.manager:
                line += f", manager: {p.manager}"
            if p.template in ("leadership", "ceo"):
                line += f", template: {p.template}"
            if self.sealed:
                line += f", key: {self._key(p.id)}"
            out.append(line + "}\n")
        hr = self._hr()
        out.append(f"roles:\n  hr: [{', '.join(hr)}]\n  admins: [{hr[0]}]\n")
        if self.sealed:
            out.append(
                "# The org key: every sealed file is also sealed to it. Its identity is a secret "
                "of HR\n# and of the trusted gate (the demo's is in the --keys folder).\n"
                f"org_key: {self._key(ORG_KEY)}\n"
            )
        return "".join(out)

    def _key(self, owner: str) -> str:
        """`owner`'s age recipient, its key pair made on first use (from the OS's randomness)."""
        if owner not in self.recipients:
            from ..sealing.age import generate_identity

            self.identities[owner], self.recipients[owner] = generate_identity()
        return self.recipients[owner]

    def _hr(self) -> list[str]:
        """The head of People Operations and their direct reports (else the chief of staff)."""
        dept = self.depts.get("people-ops")
        if dept is None:
            return [self.people[self.ceo].reports[0]]
        return [dept.head, *self.people[dept.head].reports[:3]]

    def _cycle_file(self, plain: bool = False) -> str:
        departments = {
            d: t
            for d, t in (("eng", "engineering"), ("product", "engineering"), ("sales", "sales"))
            if d in self.depts
        }
        out = [
            _schema_line("cycle", 2),
            f"id: {CYCLE_ID}\nname: {q(CYCLE_NAME)}\n",
            f"period:\n  start: {PERIOD_START.isoformat()}\n  end: {PERIOD_END.isoformat()}\n",
            f"phase: {self.phase}\n",
            "confidentiality: sealed\n" if self.sealed and not plain else "",
            "deadlines:\n",
            *(f"  {phase}: {day.isoformat()}\n" for phase, day in DEADLINES.items()),
            "checkin_interval_days: 30\n",
            "templates:\n  default: general\n  departments:\n",
            *(f"    {d}: {t}\n" for d, t in departments.items()),
            "rating_scale:\n",
            *(f"  - {{rating: {r}, min: {m}, bonus: {b}}}\n" for r, m, b in RATING_SCALE),
            "calibration:\n  groups: departments\n  distribution:\n",
        ]
        for rating, (low, high) in DISTRIBUTION.items():
            parts = ([f"min: {low}"] if low is not None else []) + (
                [f"max: {high}"] if high is not None else []
            )
            out.append(f"    {rating}: {{{', '.join(parts)}}}\n")
        out.append(f"  rounding: {ROUNDING}\n")
        out.append("alignment:\n  min_coverage: 1.0\n  max_coverage: 1.5\n")
        out.append(
            "approvals:\n  goals: [manager]\n  goal_adjustment: [manager, skip_level]\n"
            "  checkin: []\n  self_review: [manager]\n  manager_review: [skip_level]\n"
            "  calibration: [department_head, hr]\n  cycle: [hr]\n"
        )
        if self.designated:
            out.append("designated:\n")
            out += [f"  {s}: [{', '.join(r)}]\n" for s, r in self.designated.items()]
        return "".join(out)


def _render_objectives(kind: str, owner: str, objectives: list[_Objective], progress: bool) -> str:
    depth = 2 if owner == "company" else 3  # company.yaml, departments/<id>.yaml
    out = [_schema_line(kind, depth), f"owner: {owner}\n", "objectives:\n"]
    out += [o.render(progress) for o in objectives]
    return "".join(out)


def _level(performance: float) -> str:
    return "high" if performance >= 0.82 else "low" if performance < 0.55 else "mid"


class _MemorySource:
    """The generated files of the cycle folder, as a `sources.Source` for `load_cycle`."""

    def __init__(self, files: dict[str, str]):
        self.raw = {rel: text.encode() for rel, text in files.items()}

    def entries(self) -> list[Entry]:
        return [Entry(rel) for rel in sorted(self.raw)]

    def read(self, rel: str) -> bytes:
        return self.raw[rel]


def _session(proposal: Proposal, rng: Random) -> dict[str, tuple[str, str]]:
    """What a calibration session makes of the proposal: the quota moves stand; a rating
    under its minimum is filled with the lowest scores above it; now and then one person
    is lifted into free room in the second-best rating. Every rating other than the one the
    score earns carries a reason. Returns person -> (rating, reason), best rating first."""
    names = list(proposal.quotas)
    n = proposal.size
    rating = dict(proposal.proposed)
    reason = {m.person: m.reason for m in proposal.moves}
    finals = proposal.finals
    for i in range(len(names) - 1, 0, -1):
        name, need = names[i], proposal.quotas[names[i]].min
        while sum(1 for r in rating.values() if r == name) < need:
            pid = min(
                (p for p in rating if names.index(rating[p]) < i), key=lambda p: (finals[p], p)
            )
            rating[pid] = name
            reason[pid] = (
                f"The group needs at least {need} {name} of {n}; lowest score after "
                "the calibration discussion, with a written improvement plan."
            )
    if n >= 8 and len(names) > 2 and rng.random() < 0.3:
        upper, lower = names[1], names[2]
        room = proposal.quotas[upper].max - sum(1 for r in rating.values() if r == upper)
        candidates = [p for p in rating if rating[p] == lower == proposal.scored[p]]
        if room > 0 and candidates:
            pid = max(candidates, key=lambda p: (finals[p], p))
            rating[pid] = upper
            reason[pid] = (
                "Raised in the calibration session: led the cross-team incident "
                "response, which the goals did not capture."
            )
    order = {name: i for i, name in enumerate(names)}
    ranked = sorted(rating, key=lambda p: (order[rating[p]], -finals[p], p))
    return {
        p: (rating[p], reason.get(p, "quota") if rating[p] != proposal.scored[p] else "")
        for p in ranked
    }


def generate(people: int, seed: int = 1, phase: str = "calibration") -> dict[str, str]:
    """The files of a demo company: {path from the repository root: text}, sorted by path.

    Deterministic: the same (people, seed, phase) always gives the same bytes.
    """
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE}")
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}")
    return _Demo(people, seed, phase).build()
