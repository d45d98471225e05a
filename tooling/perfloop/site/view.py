"""What the pages show about one cycle, computed once: progress, alignment, completion.

Progress comes from `perfloop.tree`'s records, which use `perfloop.progress` (the spec's KR
and objective formulas), as `perfloop tree` does; nothing here scores anybody. Development
objectives are shown but left out of a person's overall progress, as scoring leaves them
out of the OKR section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .. import alignment, progress
from ..model import COMPANY, CycleData, KeyResult, Objective
from ..problems import Problem
from ..rules import alignment as alignment_rules
from ..tree import KrNode, ObjectiveNode, build_tree

if TYPE_CHECKING:  # imported when a page asks for git history (below)
    from .history import Timelines


@dataclass(frozen=True)
class KrView:
    """A key result as the site shows it: `perfloop tree`'s record of it (reference,
    progress, effective current) with the key result itself for what that record does not
    carry (a manual score, `aggregate`)."""

    node: KrNode
    kr: KeyResult

    @property
    def ref(self) -> str:
        return self.node.ref

    @property
    def progress(self) -> float:
        return self.node.progress

    @property
    def current(self) -> float | None:  # effective current of a numeric KR (aggregates summed)
        return self.node.current


@dataclass(frozen=True)
class ObjectiveView:
    """An objective as the site shows it: `perfloop tree`'s record of it with the
    objective itself (description, carried_from) and its key results."""

    owner: str
    node: ObjectiveNode
    objective: Objective
    key_results: tuple[KrView, ...]

    @property
    def ref(self) -> str:
        return self.node.ref

    @property
    def progress(self) -> float:
        return self.node.progress


@dataclass(frozen=True)
class Completion:
    """How far a department's people are in the loop (public facts only)."""

    people: int
    with_goals: int
    checked_in: int
    progress: float | None  # mean overall progress of the people with goals


@dataclass(frozen=True)
class Point:
    date: dt.date
    progress: float


class CycleView:
    def __init__(self, data: CycleData, history: bool = True, today: dt.date | None = None):
        self.data = data
        self.history = history
        self.today = today or dt.date.today()  # what is owed and the trends' last day

    @property
    def cycle(self):
        return self.data.cycle

    @property
    def org(self):
        return self.data.org

    # --- objectives and progress -------------------------------------------------------

    def objectives(self, owner: str) -> tuple[ObjectiveView, ...]:
        return self._objectives.get(owner, ())

    @cached_property
    def _objectives(self) -> dict[str, tuple[ObjectiveView, ...]]:
        """Every owner's objectives, from the OKR tree `perfloop tree` prints (one source
        for progress: the site and the command line cannot disagree)."""
        out = {}
        for node in build_tree(self.data).walk():
            found = self.data.objective_set(node.id)
            if found is None or not node.objectives:
                continue
            out[node.id] = tuple(
                ObjectiveView(
                    node.id,
                    on,
                    objective,
                    tuple(
                        KrView(kn, kr)
                        for kn, kr in zip(on.key_results, objective.key_results, strict=True)
                    ),
                )
                for on, objective in zip(node.objectives, found.objectives, strict=True)
            )
        return out

    def overall(self, owner: str) -> float | None:
        """Weighted mean progress of an owner's (non-development) objectives."""
        if owner not in self._overall:
            views = [v for v in self.objectives(owner) if v.objective.kind != "development"]
            self._overall[owner] = progress.weighted_mean(
                [v.progress for v in views], [v.objective.weight for v in views]
            )
        return self._overall[owner]

    @cached_property
    def _overall(self) -> dict[str, float | None]:
        return {}

    @cached_property
    def children(self) -> dict[str, list[ObjectiveView]]:
        """objective ref -> the objectives that align to it (departments first, then people)."""
        out: dict[str, list[ObjectiveView]] = {}
        for owner in self._owners_in_tree_order():
            for view in self.objectives(owner):
                if view.objective.aligns_to:
                    out.setdefault(view.objective.aligns_to, []).append(view)
        return out

    def _owners_in_tree_order(self) -> Iterator[str]:
        yield from self.data.departments
        yield from self.data.goals

    @cached_property
    def unaligned(self) -> list[ObjectiveView]:
        """Objectives below company level with nothing to align to (a spec warning)."""
        return [
            view
            for owner in self._owners_in_tree_order()
            for view in self.objectives(owner)
            if view.objective.kind == "okr" and not view.objective.aligns_to
        ]

    @cached_property
    def orphans(self) -> list[ObjectiveView]:
        """Aligned objectives whose parent is missing from this tree (not reachable)."""
        known = {v.ref for views in self._objectives.values() for v in views}
        return [
            view
            for views in self.children.values()
            for view in views
            if view.objective.aligns_to not in known
        ]

    @cached_property
    def coverage(self) -> dict[str, alignment.Coverage]:
        """parent KR ref -> its bottom-up coverage."""
        return {c.parent_ref: c for c in alignment.coverage(self.data)}

    def coverage_ok(self, cov: alignment.Coverage) -> bool:
        return cov.within(self.cycle.min_coverage, self.cycle.max_coverage)

    @cached_property
    def warnings(self) -> list[Problem]:
        return sorted(alignment_rules.check(self.data))

    def warnings_of(self, owners: set[str]) -> list[str]:
        """Messages of the warnings about the files of `owners`, in `warnings` order."""
        found = sorted(i for owner in owners for i in self._warnings_by_owner.get(owner, ()))
        return [self.warnings[i].message for i in found]

    @cached_property
    def _warnings_by_owner(self) -> dict[str | None, list[int]]:
        out: dict[str | None, list[int]] = {}
        for i, problem in enumerate(self.warnings):
            out.setdefault(self.owner_of_file(problem.path), []).append(i)
        return out

    def owner_of_file(self, path: str) -> str | None:
        """The owner whose objectives a cycle file holds (company, a department, a person)."""
        rel = path.removeprefix(self.data.dir + "/")
        if rel == "company.yaml":
            return COMPANY
        folder, _, name = rel.partition("/")
        if folder in ("departments", "goals") and name.endswith(".yaml"):
            return name.removesuffix(".yaml")
        return None

    # --- people and departments ----------------------------------------------------------

    def department_name(self, dept: str) -> str:
        d = self.org.departments.get(dept)
        return d.name if d else dept

    def person_name(self, person: str) -> str:
        p = self.org.people.get(person)
        return p.name if p else person

    def owner_name(self, owner: str) -> str:
        if owner == COMPANY:
            return "Company"
        if owner in self.org.departments:
            return self.department_name(owner)
        return self.person_name(owner)

    @cached_property
    def top_departments(self) -> list[str]:
        return [d.id for d in self.org.departments.values() if not d.parent]

    def subdepartments(self, dept: str) -> list[str]:
        """The departments directly below `dept`."""
        return list(self.org.children(dept))

    def members(self, dept: str, nested: bool = True) -> list[str]:
        return self.org.members(dept, nested)

    def completion(self, dept: str) -> Completion:
        if dept not in self._completion:
            members = self.members(dept)
            with_goals = [m for m in members if m in self.data.goals]
            overall = [o for o in (self.overall(m) for m in with_goals) if o is not None]
            self._completion[dept] = Completion(
                people=len(members),
                with_goals=len(with_goals),
                checked_in=sum(1 for m in with_goals if self.data.goals[m].checkins),
                progress=sum(overall) / len(overall) if overall else None,
            )
        return self._completion[dept]

    @cached_property
    def _completion(self) -> dict[str, Completion]:
        return {}

    # --- progress over the cycle ---------------------------------------------------------

    @cached_property
    def trend_days(self) -> list[dt.date]:
        """The days the trend charts sample: the 1st and 16th of each month of the cycle up
        to today (a closed cycle: its end), and that last day itself."""
        start, end = self.cycle.period_start, self.cycle.period_end
        last = min(end, self.today) if self.cycle.phase != "closed" else end
        if last < start:
            return []
        days, month = [], dt.date(start.year, start.month, 1)
        while month <= last:
            for day in (month, month.replace(day=16)):
                if start <= day < last:
                    days.append(day)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return [*days, last]

    def overall_trend(self, person: str) -> list[float] | None:
        """A person's overall progress on each of `trend_days`, from their check-in
        timeline: each key result at its last point on or before the day (before its first
        point: no progress), the last day at today's progress. None without goals."""
        if person not in self._trends:
            self._trends[person] = self._overall_trend(person)
        return self._trends[person]

    @cached_property
    def _trends(self) -> dict[str, list[float] | None]:
        return {}

    def _overall_trend(self, person: str) -> list[float] | None:
        today = self.overall(person)
        if today is None:
            return None
        days = self.trend_days[:-1]  # the last day: today's progress
        timeline = self.timeline(person) if days else {}
        views = [v for v in self.objectives(person) if v.objective.kind != "development"]
        objectives = []  # each objective's progress on each day
        for view in views:
            krs = [
                _at_days(timeline.get(kv.ref.partition("/")[2], []), days)
                for kv in view.key_results
            ]
            kr_weights = [kv.kr.weight for kv in view.key_results]
            objectives.append(
                [
                    progress.weighted_mean([k[i] for k in krs], kr_weights) or 0.0
                    for i in range(len(days))
                ]
            )
        weights = [v.objective.weight for v in views]
        past = [
            progress.weighted_mean([o[i] for o in objectives], weights) or 0.0
            for i in range(len(days))
        ]
        return [*past, today]

    def department_trend(self, dept: str | None) -> list[float] | None:
        """The mean of `overall_trend` over the department's people with goals (nested), or
        over everyone with None."""
        people = self.members(dept) if dept else list(self.org.people)
        found = [t for t in (self.overall_trend(p) for p in people) if t is not None]
        if not found:
            return None
        return [sum(column) / len(found) for column in zip(*found, strict=True)]

    # --- check-in timeline ---------------------------------------------------------------

    def timeline(self, person: str) -> dict[str, list[Point]]:
        """`objective/kr` -> progress at each dated value: the goals file's check-ins plus,
        where available, points the git history adds. Worked out once a person: their
        page and the trends of their departments read it."""
        if person not in self._timelines:
            self._timelines[person] = self._timeline(person)
        return self._timelines[person]

    @cached_property
    def _timelines(self) -> dict[str, dict[str, list[Point]]]:
        return {}

    def _timeline(self, person: str) -> dict[str, list[Point]]:
        goals = self.data.goals.get(person)
        if goals is None:
            return {}
        values: dict[str, dict[dt.date, float | bool]] = {}
        for checkin in goals.checkins:
            for ref, value in checkin.values.items():
                values.setdefault(ref, {})[checkin.date] = value
        for day, ref, value in self._git_points(person):
            values.setdefault(ref, {}).setdefault(day, value)
        out: dict[str, list[Point]] = {}
        for ref, by_date in values.items():
            obj_id, _, kr_id = ref.partition("/")
            objective = goals.objective(obj_id)
            kr = objective.key_result(kr_id) if objective else None
            if kr is None:
                continue
            out[ref] = self._points(person, obj_id, kr, by_date)
        for objective in goals.objectives:  # a team key result's points: its department's
            for kr in objective.key_results:
                team = self.data.team_key_result(kr.ref) if kr.ref else None
                if kr.ref and team is not None:
                    out[f"{objective.id}/{kr.ref}"] = self._team_points(kr.ref, team)
        return out

    def _team_points(self, ref: str, team: KeyResult) -> list[Point]:
        """A team key result's progress at each of its department's check-ins: worked out
        once, not again for each member who lists it (every member's trend reads it)."""
        if ref not in self._team_timelines:
            dept, obj_id, kr_id = ref.split("/")
            found = self.data.departments.get(dept)
            checkins = found.checkins if found else ()
            key = f"{obj_id}/{kr_id}"
            by_date = {c.date: c.values[key] for c in checkins if key in c.values}
            self._team_timelines[ref] = self._points(dept, obj_id, team, by_date)
        return self._team_timelines[ref]

    @cached_property
    def _team_timelines(self) -> dict[str, list[Point]]:
        return {}

    def _points(
        self, owner: str, objective: str, kr: KeyResult, by_date: Mapping[dt.date, float | bool]
    ) -> list[Point]:
        """The KR's progress at each dated value, oldest first."""
        return [
            Point(day, self._progress_at(owner, objective, kr, value))
            for day, value in sorted(by_date.items())
        ]

    def _progress_at(self, owner: str, objective: str, kr: KeyResult, value) -> float:
        """The KR's progress had its value been `value` (the same formula as today's)."""
        if kr.kind == "milestone":
            kr = replace(kr, done=bool(value), score=None)
        elif isinstance(value, bool):
            return 1.0 if value else 0.0
        else:
            kr = replace(kr, current=float(value), score=None)
        return progress.kr_progress(self.data, owner, kr, objective)

    def _git_points(self, person: str) -> list[tuple[dt.date, str, float | bool]]:
        """Points from the goals file's git history, when the repository is a git
        checkout; nothing otherwise (a plain folder still builds)."""
        try:
            raw = self._git_timelines.get(person)
        except Exception:  # history is an optional enrichment; the page must still build
            raw = None
        if not raw:
            return []
        prefix = f"{person}/"
        return [
            (day, ref.removeprefix(prefix), value) for day, ref, value in _normalise_points(raw)
        ]

    @cached_property
    def _git_timelines(self) -> Timelines | Mapping[str, dict]:
        """Every person's timeline from git: one pass over the cycle's history, each
        person's points worked out when their page is built."""
        if not self.history or not (Path(self.data.root) / ".git").exists():
            return {}
        try:
            from .history import cycle_timelines

            return cycle_timelines(Path(self.data.root), self.data.id, self.data.documents)
        except Exception:  # history is an optional enrichment; the pages must still build
            return {}


def _at_days(points: list[Point], days: list[dt.date]) -> list[float]:
    """A key result's progress on each of `days` (ascending): its last point on or before
    the day, 0 before its first."""
    out, i, value = [], 0, 0.0
    for day in days:
        while i < len(points) and points[i].date <= day:
            value = points[i].progress
            i += 1
        out.append(value)
    return out


def _normalise_points(
    raw: Mapping[object, object] | Iterable[object] | None,
) -> Iterator[tuple[dt.date, str, float | bool]]:
    """Accept {ref: [(date, value, …)]} or [(date, {ref: value})] or records with those
    fields; refs may carry the owner (`alice/o1/kr1`) or not (`o1/kr1`)."""
    if isinstance(raw, dict):
        for ref, points in raw.items():
            for point in points:
                day, value = _pair(point)
                if isinstance(day, dt.date) and isinstance(value, int | float | bool):
                    yield _day(day), str(ref), value
        return
    for item in raw or ():
        day = getattr(item, "date", None)
        values = getattr(item, "values", None)
        if day is None and isinstance(item, tuple | list) and len(item) == 2:
            day, values = item
        if isinstance(day, dt.date) and isinstance(values, dict):
            for ref, value in values.items():
                if isinstance(value, int | float | bool):
                    yield _day(day), str(ref), value


def _pair(point: object) -> tuple[object, object]:
    if isinstance(point, tuple | list) and len(point) >= 2:
        return point[0], point[1]
    return getattr(point, "date", None), getattr(point, "value", None)


def _day(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
