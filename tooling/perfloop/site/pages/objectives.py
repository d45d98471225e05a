"""Objectives and key results as HTML, shared by the tree, department and person pages."""

from __future__ import annotations

from ...model import COMPANY
from ..layout import Layout, Linker
from ..markup import attr, number, plural, table, text
from ..svg import progress_bar
from ..view import CycleView, KrView, ObjectiveView


def anchor(ref: str) -> str:
    """A page anchor for an objective or KR reference (ids are [a-z0-9-] only)."""
    return "o-" + ref.replace("/", "--")


def ref_link(view: CycleView, layout: Layout, linker: Linker, ref: str) -> str:
    """A link to the page that shows objective or KR `ref`, labelled with its owner and title."""
    owner, _, rest = ref.partition("/")
    obj_id = rest.split("/")[0]
    objective = view.data.find_objective(ref)
    label = f"{text(view.owner_name(owner))}: {text(objective.title if objective else rest)}"
    if owner == COMPANY:
        page = layout.tree
    elif owner in view.org.departments:
        page = layout.department(owner)
    else:
        page = layout.person(owner)
    return linker.a(page, label, anchor(f"{owner}/{obj_id}"))


def kr_value(kv: KrView) -> str:
    """A key result's value as `perfloop tree` states it: a numeric key result shows its
    values even when a hand grade sets its progress ("99 of 120 ms, graded by hand")."""
    kr = kv.kr
    if kr.kind == "milestone":
        return "done" if kr.done else "not done"
    if kr.kind == "graded":  # its title often says who grades it: not repeated here
        return "graded by hand" if kr.score is not None else "no grade yet"
    unit = f" {text(kr.unit)}" if kr.unit else ""
    notes = []
    if kr.start is not None:
        notes.append(f"from {number(kr.start)}")
    if kr.direction == "lower":
        notes.append("lower is better")
    if kv.node.graded:
        notes.append("graded by hand")
    note = f" <small>({', '.join(notes)})</small>" if notes else ""
    return f"{number(kv.current)} of {number(kr.target)}{unit}{note}"


def team_view(view: CycleView, ref: str) -> KrView | None:
    """The department's team key result `ref` as the site shows it, or None."""
    owner, obj_id, _ = [*ref.split("/"), "", ""][:3]
    for ov in view.objectives(owner) if owner in view.org.departments else ():
        if ov.objective.id == obj_id:
            return next((kv for kv in ov.key_results if kv.ref == ref), None)
    return None


def team_link(view: CycleView, layout: Layout, linker: Linker, ref: str) -> str:
    """A link to a team key result where it is drawn in full: its department's page."""
    dept = ref.split("/")[0]
    return linker.a(layout.department(dept), text(view.department_name(dept)), anchor(ref))


TEAM_BADGE = (
    '<span class="pl-badge" title="a team key result: scored once, counted by each member '
    'who lists it">team</span>'
)


def team_note(view: CycleView, kv: KrView) -> str:
    """What a department's team key result says of itself: for how many it counts."""
    node = kv.node
    if not node.team:
        return ""
    owner = f", checked in by {text(view.person_name(node.team_owner))}" if node.team_owner else ""
    return (
        f'<span class="pl-badge">team: counts for {plural(len(node.members), "member")}'
        f"</span>{owner}"
    )


def coverage_note(view: CycleView, layout: Layout, linker: Linker, kv: KrView) -> str:
    cov = view.coverage.get(kv.ref)
    if cov is None:
        return ""
    if cov.ratio is None:
        return '<span class="pl-badge">contributors have no targets</span>'
    ok = view.coverage_ok(cov)
    cls = "pl-badge pl-ok" if ok else "pl-badge pl-warn"
    what = (
        "covered"
        if ok
        else "under-covered"
        if cov.ratio < view.cycle.min_coverage
        else ("over-covered")
    )
    return (
        f'<span class="{cls}" title="bottom-up targets / this target; expected '
        f'{number(view.cycle.min_coverage)}x to {number(view.cycle.max_coverage)}x">'
        f"{what}: {number(cov.ratio)}x by {plural(len(cov.contributors), 'contributor')}</span>"
    )


def kr_table(view: CycleView, layout: Layout, linker: Linker, ov: ObjectiveView) -> str:
    rows, ids = [], []
    for kv in ov.key_results:
        kr = kv.kr
        if kv.node.listed is not None:  # a team key result the person lists: shown in full
            rows.append(_listed_row(view, layout, linker, kv))  # on its department's page
            ids.append(attr(anchor(kv.ref)))
            continue
        extra = []
        note = team_note(view, kv)
        if note:
            extra.append(note)
        if kr.contributes_to:
            extra.append(f"contributes to {ref_link(view, layout, linker, kr.contributes_to)}")
        if kr.aggregate == "sum":
            extra.append("sum of its contributors")
        note = coverage_note(view, layout, linker, kv)
        if note:
            extra.append(note)
        sub = f'<div class="pl-sub">{" · ".join(extra)}</div>' if extra else ""
        ids.append(attr(anchor(kv.ref)))
        rows.append(
            (
                f'<span class="pl-id">{text(kr.id)}</span> {text(kr.title)}{sub}',
                progress_bar(kv.progress, kr.title),
                kr_value(kv),
                number(kr.weight) if kr.weight is not None else "",
            )
        )
    if not rows:
        return '<p class="pl-muted">No key results.</p>'
    return table(("Key result", "Progress", "Value", "Weight"), rows, "pl-krs", ids=ids)


def _listed_row(
    view: CycleView, layout: Layout, linker: Linker, kv: KrView
) -> tuple[str, str, str, str]:
    listed = kv.node.listed or ""
    team = team_view(view, listed)
    sub = f'<div class="pl-sub">team key result of {team_link(view, layout, linker, listed)}</div>'
    return (
        f"{TEAM_BADGE} {text(kv.node.title)}{sub}",
        progress_bar(kv.progress, kv.node.title),
        kr_value(team) if team is not None else "",
        number(kv.kr.weight) if kv.kr.weight is not None else "",
    )


def objective_block(view: CycleView, layout: Layout, linker: Linker, ov: ObjectiveView) -> str:
    o = ov.objective
    meta = []
    if o.weight is not None:
        meta.append(f"weight {number(o.weight)}")
    if o.kind == "development":
        meta.append("development objective (not scored)")
    if o.aligns_to:
        meta.append(f"aligns to {ref_link(view, layout, linker, o.aligns_to)}")
    elif ov.owner != COMPANY and o.kind == "okr":
        meta.append('<span class="pl-badge pl-warn">not aligned to any objective above</span>')
    if o.carried_from:
        meta.append(f"carried from {text(o.carried_from)}")
    description = f'<p class="pl-desc">{text(o.description)}</p>' if o.description else ""
    children = view.children.get(ov.ref, [])
    below = ""
    if children:
        items = "".join(
            f"<li>{ref_link(view, layout, linker, c.ref)} {progress_bar(c.progress)}</li>"
            for c in children
        )
        below = (
            f'<details class="pl-aligned"><summary>{plural(len(children), "objective")} align'
            f"{'s' if len(children) == 1 else ''} to this</summary><ul>{items}</ul></details>"
        )
    return (
        f'<section class="pl-objective" id="{attr(anchor(ov.ref))}">'
        f'<div class="pl-objective-head"><span class="pl-id">{text(o.id)}</span> '
        f"<strong>{text(o.title)}</strong> {progress_bar(ov.progress, o.title)}</div>"
        f'<div class="pl-sub">{" · ".join(meta)}</div>{description}'
        f"{kr_table(view, layout, linker, ov)}{below}</section>"
    )


def titles(view: CycleView, owner: str) -> list[str]:
    """The titles of `owner`'s objectives and key results, once each: what the search index
    keeps of them (progress, values and the other owners they link to are not searched)."""
    found: dict[str, None] = {}  # ordered, without repeats
    for ov in view.objectives(owner):
        found[ov.objective.title] = None
        found.update((kv.node.title, None) for kv in ov.key_results)
    return list(found)


def objectives_section(view: CycleView, layout: Layout, linker: Linker, owner: str) -> str:
    views = view.objectives(owner)
    if not views:
        return '<p class="pl-muted">No objectives yet.</p>'
    return "\n".join(objective_block(view, layout, linker, ov) for ov in views)
