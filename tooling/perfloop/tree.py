"""The OKR tree: company -> departments (nested) -> people, with every objective's and key
result's progress, sum roll-ups and the spec's alignment warnings.

Goals and their progress are public inside the company, so the tree holds no score, rating
or review: a person's node shows objectives only, never their OKR section.
"""

from __future__ import annotations

from dataclasses import dataclass

from .alignment import Coverage, coverage
from .model import COMPANY, CycleData, KeyResult, Objective
from .progress import contributions, kr_current, kr_progress, objective_progress, round_half_up


@dataclass(frozen=True)
class KrNode:
    ref: str  # owner/objective/kr
    id: str
    title: str
    kind: str  # numeric | milestone | graded | ref (a reference to a team key result)
    progress: float  # 0..1
    start: float | None
    target: float | None
    current: float | None  # effective current
    unit: str | None
    direction: str
    weight: float | None
    done: bool | None
    aggregated: bool  # current summed from contributors (aggregate: sum, no own current)
    contributes_to: str | None
    contributors: tuple[str, ...]
    coverage: float | None
    warnings: tuple[str, ...] = ()
    graded: bool = False  # a numeric KR whose hand grade sets its progress
    # A team key result (a department's, team: true): who checks in for it, who lists it.
    team: bool = False
    team_owner: str | None = None
    members: tuple[str, ...] = ()
    # A member's reference to a team key result (kind "ref"): the team key result it lists.
    listed: str | None = None

    def to_json(self) -> dict:
        out = self._json()
        if self.team:
            out["team"] = {"owner": self.team_owner, "members": list(self.members)}
        if self.listed:
            out["listed"] = self.listed
        return out

    def _json(self) -> dict:
        return {
            "ref": self.ref,
            "title": self.title,
            "kind": self.kind,
            "graded": self.graded,
            "progress": round_half_up(self.progress, 4),
            "start": self.start,
            "target": self.target,
            "current": self.current,
            "unit": self.unit,
            "direction": self.direction,
            "weight": self.weight,
            "done": self.done,
            "aggregated": self.aggregated,
            "contributes_to": self.contributes_to,
            "contributors": list(self.contributors),
            "coverage": None if self.coverage is None else round_half_up(self.coverage, 4),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ObjectiveNode:
    ref: str
    id: str
    title: str
    kind: str  # okr | development
    progress: float
    weight: float | None
    aligns_to: str | None
    key_results: tuple[KrNode, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "ref": self.ref,
            "title": self.title,
            "kind": self.kind,
            "progress": round_half_up(self.progress, 4),
            "weight": self.weight,
            "aligns_to": self.aligns_to,
            "key_results": [kr.to_json() for kr in self.key_results],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Node:
    kind: str  # company | department | person
    id: str
    name: str
    objectives: tuple[ObjectiveNode, ...]
    children: tuple[Node, ...] = ()
    has_goals: bool = True  # False: no objectives file yet
    left_out: str | None = None  # its objectives file, left out for its own errors

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, node_id: str) -> Node | None:
        return next((n for n in self.walk() if n.id == node_id and n.kind != "company"), None)

    def warnings(self) -> list[str]:
        out: list[str] = []
        for o in self.objectives:
            out += o.warnings
            for kr in o.key_results:
                out += kr.warnings
        return out

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "has_goals": self.has_goals,
            "left_out": self.left_out,
            "objectives": [o.to_json() for o in self.objectives],
            "children": [c.to_json() for c in self.children],
        }


def build_tree(data: CycleData) -> Node:
    """The whole tree of the cycle, rooted at the company."""
    covers = {c.parent_ref: c for c in coverage(data)}
    org = data.org

    def objectives(owner: str) -> tuple[ObjectiveNode, ...]:
        found = data.objective_set(owner)
        if found is None:
            return ()
        return tuple(_objective(data, owner, o, covers) for o in found.objectives)

    def department(dept_id: str, seen: frozenset[str]) -> Node:
        dept = org.departments[dept_id]
        subs = [
            department(sub, seen | {dept_id}) for sub in org.children(dept_id) if sub not in seen
        ]
        people = [
            Node(
                "person",
                pid,
                org.people[pid].name,
                objectives(pid),
                (),
                pid in data.goals,
                left_out(f"goals/{pid}.yaml"),
            )
            for pid in org.members(dept_id, nested=False)
        ]
        return Node(
            "department",
            dept_id,
            dept.name,
            objectives(dept_id),
            tuple(subs + people),
            dept_id in data.departments,
            left_out(f"departments/{dept_id}.yaml"),
        )

    def left_out(rel: str) -> str | None:
        return rel if data.path(rel) in data.left_out else None

    tops = [d.id for d in org.departments.values() if not d.parent or d.parent == d.id]
    return Node(
        "company",
        COMPANY,
        "Company",
        objectives(COMPANY),
        tuple(department(d, frozenset()) for d in tops),
        data.company is not None,
        left_out("company.yaml"),
    )


def _objective(
    data: CycleData, owner: str, objective: Objective, covers: dict[str, Coverage]
) -> ObjectiveNode:
    ref = f"{owner}/{objective.id}"
    warnings = []
    if owner != COMPANY and objective.kind == "okr" and not objective.aligns_to:
        warnings.append(f"{ref} is not aligned to any objective above it")
    krs = tuple(_kr(data, owner, objective.id, kr, covers) for kr in objective.key_results)
    return ObjectiveNode(
        ref,
        objective.id,
        objective.title,
        objective.kind,
        objective_progress(data, owner, objective),
        objective.weight,
        objective.aligns_to,
        krs,
        tuple(warnings),
    )


def _kr(
    data: CycleData, owner: str, objective: str, kr: KeyResult, covers: dict[str, Coverage]
) -> KrNode:
    ref = f"{owner}/{objective}/{kr.id}"
    if kr.ref is not None:  # a member's reference: no contributors, coverage or value
        return _reference(data, ref, kr)
    parts = contributions(data).get(ref, [])
    cov = covers.get(ref)
    warnings = []
    low, high = data.cycle.min_coverage, data.cycle.max_coverage
    if cov is not None and not cov.within(low, high):
        side = "under-covered" if (cov.ratio or 0) < low else "over-covered"
        names = ", ".join(c.ref for c in cov.contributors)
        warnings.append(
            f"{ref} is {side}: contributors' targets cover {cov.ratio:.2f}x its target "
            f"(expected {low:g}x to {high:g}x); contributors: {names}"
        )
    current = kr_current(data, owner, kr, objective) if kr.kind == "numeric" else None
    return KrNode(
        ref=ref,
        id=kr.id,
        title=kr.title,
        kind=kr.kind,
        progress=kr_progress(data, owner, kr, objective),
        start=kr.start,
        target=kr.target,
        current=current,
        unit=kr.unit,
        direction=kr.direction,
        weight=kr.weight,
        done=kr.done,
        aggregated=kr.kind == "numeric"
        and kr.current is None
        and kr.aggregate == "sum"
        and bool(parts),
        contributes_to=kr.contributes_to,
        contributors=tuple(c.ref for c in parts),
        coverage=cov.ratio if cov else None,
        warnings=tuple(warnings),
        graded=kr.kind == "numeric" and kr.score is not None,
        team=kr.team and owner in data.org.departments,
        team_owner=data.team_owner(owner, kr) if kr.team else None,
        members=data.team_listing.get(ref, ()) if kr.team else (),
    )


def _reference(data: CycleData, ref: str, kr: KeyResult) -> KrNode:
    """A member's line for a team key result they list: its title and progress, drawn in
    full once, under its department."""
    listed = kr.ref or ""
    team = data.team_key_result(listed)
    return KrNode(
        ref=ref,
        id=kr.id,
        title=team.title if team else listed,
        kind="ref",
        progress=kr_progress(data, "", kr),
        start=None,
        target=None,
        current=None,
        unit=team.unit if team else None,
        direction=team.direction if team else "higher",
        weight=kr.weight,
        done=None,
        aggregated=False,
        contributes_to=None,
        contributors=(),
        coverage=None,
        listed=listed,
    )


# --- drawing ----------------------------------------------------------------------------------


def bar(progress: float, width: int = 10) -> str:
    """A progress bar of `width` cells, e.g. [██████░░░░]."""
    filled = int(round_half_up(max(0.0, min(progress, 1.0)) * width, 0))
    return "[" + "█" * filled + "░" * (width - filled) + "]"


def _pct(progress: float) -> str:
    return f"{round_half_up(progress * 100, 0):3.0f}%"


def _value(x: float | None) -> str:
    return "-" if x is None else f"{x:,.10g}"


def kr_line(kr: KrNode) -> str:
    if kr.listed is not None:
        return (
            f"{bar(kr.progress)} {_pct(kr.progress)}  team {kr.title} "
            f"(team key result {kr.listed}, shown under its department)"
        )
    if kr.kind == "milestone":
        detail = "done" if kr.done else "not done"
    elif kr.kind == "graded":
        if "graded" in kr.title.lower():  # "(graded by the VP Sales)": not "(graded)" again
            return f"{bar(kr.progress)} {_pct(kr.progress)}  {kr.id} {kr.title}"
        detail = "graded by hand"
    else:
        unit = f" {kr.unit}" if kr.unit else ""
        detail = f"{_value(kr.current)} of {_value(kr.target)}{unit}"
        if kr.start:
            detail += f" from {_value(kr.start)}"
        if kr.direction == "lower":
            detail += ", lower is better"
        if kr.aggregated:
            detail += f", sum of {len(kr.contributors)} contributor(s)"
        if kr.graded:
            detail += ", graded by hand"
    if kr.team:
        detail += f"; team: counts for {len(kr.members)} member{'s' * (len(kr.members) != 1)}"
    return f"{bar(kr.progress)} {_pct(kr.progress)}  {kr.id} {kr.title} ({detail})"


def render(node: Node, show_people: bool = True) -> str:
    """The tree as indented text with progress bars and warnings."""
    lines: list[str] = []

    def draw(n: Node, prefix: str, last: bool, top: bool) -> None:
        label = {"company": n.name, "department": f"{n.name} ({n.id})"}.get(
            n.kind, f"{n.name} ({n.id})"
        )
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(f"{prefix}{branch}{label}")
        inner = prefix + ("" if top else ("   " if last else "│  "))
        children = [c for c in n.children if show_people or c.kind != "person"]
        guide = "│  " if children else "   "
        if n.left_out:
            lines.append(
                f"{inner}{guide}(left out: {n.left_out} has errors; see perfloop validate)"
            )
        elif not n.has_goals and n.kind != "person":
            lines.append(f"{inner}{guide}(no objectives file)")
        elif not n.has_goals:
            lines.append(f"{inner}{guide}(no goals file yet)")
        for o in n.objectives:
            tag = " [development]" if o.kind == "development" else ""
            lines.append(
                f"{inner}{guide}{bar(o.progress)} {_pct(o.progress)}  {o.id} {o.title}{tag}"
            )
            for w in o.warnings:
                lines.append(f"{inner}{guide}   ! {w}")
            for kr in o.key_results:
                lines.append(f"{inner}{guide}   {kr_line(kr)}")
                for w in kr.warnings:
                    lines.append(f"{inner}{guide}      ! {w}")
        for i, child in enumerate(children):
            draw(child, inner, i == len(children) - 1, False)

    draw(node, "", True, True)
    return "\n".join(lines)
