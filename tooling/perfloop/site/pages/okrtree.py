"""The OKR tree: company objectives and the department objectives aligned to them (at any
depth), with progress, bottom-up coverage and alignment warnings; every level collapsible.

People's objectives are drawn on their department's page (`people_tree`), under what they
align to; the tree page says at each objective how many people's objectives align to it
and links to them there. With every person on it the tree page was 33 MB at 10,000 people,
too much for a browser; split this way no page grows with the company beyond a department
(the tree page grows with the departments, a department's page with its own people).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ...model import COMPANY
from ..blocks import summary, toc_entry
from ..layout import Layout, Linker
from ..markup import attr, number, plain, plural, text
from ..svg import progress_bar
from ..view import CycleView, KrView, ObjectiveView
from . import Page
from .objectives import (
    TEAM_BADGE,
    anchor,
    coverage_note,
    kr_value,
    ref_link,
    team_link,
    team_note,
    titles,
)

MAX_DEPTH = 12  # aligns_to chains are validated loop-free; this is a second guard
NOT_ALIGNED = "not-aligned"  # a department page's group of its people's unaligned objectives
DEVELOPMENT = "development-objectives"  # ... and of their development objectives


def _kind(view: CycleView, owner: str) -> str:
    if owner == COMPANY:
        return "company"
    return "department" if owner in view.org.departments else "person"


def group_anchor(ov: ObjectiveView) -> str:
    """The id of the group a person's objective is drawn in on their department's page,
    when no objective of a colleague in that department is above it."""
    parent = ov.objective.aligns_to
    if parent:
        return _aligned_to(parent)
    return NOT_ALIGNED if ov.objective.kind == "okr" else DEVELOPMENT


def _aligned_to(ref: str) -> str:
    return "aligned-" + ref.replace("/", "--")


def _owner_link(view: CycleView, layout: Layout, linker: Linker, owner: str) -> str:
    name = text(view.owner_name(owner))
    if owner == COMPANY:
        return name
    if owner in view.org.departments:
        return linker.a(layout.department(owner), name)
    return linker.a(layout.person(owner), name)


@dataclass(frozen=True)
class Drawing:
    """Draws objective nodes for one page: a child objective that `here` accepts is drawn
    below its parent, the others are counted with a link to the page that draws them."""

    view: CycleView
    layout: Layout
    linker: Linker
    here: Callable[[ObjectiveView], bool]

    def node(self, ov: ObjectiveView, depth: int = 0, seen: frozenset[str] = frozenset()) -> str:
        view, layout, linker = self.view, self.layout, self.linker
        seen = seen | {ov.ref}
        kind = _kind(view, ov.owner)
        krs = "".join(self.key_result(kv) for kv in ov.key_results)
        children = [c for c in view.children.get(ov.ref, []) if c.ref not in seen]
        drawn = [c for c in children if self.here(c)]
        inner = ""
        if depth < MAX_DEPTH:
            inner = "".join(self.node(c, depth + 1, seen) for c in drawn)
        others = [c for c in children if not self.here(c)]
        tag = (
            ' <span class="pl-badge">development</span>'
            if ov.objective.kind == "development"
            else ""
        )
        is_open = " open" if kind != "person" else ""
        return (
            f'<details class="pl-node pl-{kind}" id="{attr(anchor(ov.ref))}"{is_open}>'
            f'<summary><span class="pl-owner">{_owner_link(view, layout, linker, ov.owner)}'
            f'</span> <span class="pl-title">{text(ov.objective.title)}</span>{tag} '
            f"{progress_bar(ov.progress, ov.objective.title)}"
            f"{f' <small>{len(children)} aligned</small>' if children else ''}</summary>"
            f'<ul class="pl-tree-krs">{krs}</ul>'
            f"{self.elsewhere(others, 'Aligned to this')}{inner}</details>"
        )

    def key_result(self, kv: KrView) -> str:
        view, layout, linker = self.view, self.layout, self.linker
        if kv.node.listed is not None:  # a team key result: drawn in full under its department
            link = team_link(view, layout, linker, kv.node.listed)
            return (
                f"<li>{TEAM_BADGE} {text(kv.node.title)} "
                f"{progress_bar(kv.progress, kv.node.title)} "
                f"<small>team key result of {link}</small></li>"
            )
        return (
            f'<li><span class="pl-id">{text(kv.kr.id)}</span> {text(kv.kr.title)} '
            f"{progress_bar(kv.progress, kv.kr.title)} <small>{kr_value(kv)}</small> "
            f"{team_note(view, kv)}{coverage_note(view, layout, linker, kv)}</li>"
        )

    def elsewhere(self, objectives: Iterable[ObjectiveView], lead: str) -> str:
        """How many of `objectives` each other page draws, linked to where they are."""
        view, layout = self.view, self.layout
        places: dict[tuple[str, str], tuple[str, int]] = {}
        for ov in objectives:
            if _kind(view, ov.owner) == "person":
                dept = view.org.people[ov.owner].department
                where = (layout.department(dept), group_anchor(ov))
                label = view.department_name(dept)
            else:
                where, label = (layout.tree, anchor(ov.ref)), "the OKR tree"
            places[where] = (label, places.get(where, (label, 0))[1] + 1)
        if not places:
            return ""
        links = ", ".join(
            self.linker.a(page, f"{number(count)} in {text(label)}", at)
            for (page, at), (label, count) in places.items()
        )
        return f'<p class="pl-elsewhere">{text(lead)}: {links}</p>'


def people_tree(view: CycleView, layout: Layout, linker: Linker, dept: str) -> str:
    """The objectives of a department's people (its own members, not its teams'), grouped
    under the objective each aligns to; a colleague's objective aligned to another's is
    drawn below it. Empty when none of them has objectives."""
    members = set(view.members(dept, nested=False))
    drawing = Drawing(view, layout, linker, lambda c: c.owner in members)
    groups: dict[str, list[ObjectiveView]] = {}
    for pid in view.members(dept, nested=False):
        for ov in view.objectives(pid):
            parent = ov.objective.aligns_to
            if parent and parent.partition("/")[0] in members and view.data.find_objective(parent):
                continue  # drawn below the colleague's objective
            groups.setdefault(group_anchor(ov), []).append(ov)
    if not groups:
        return ""
    own = [_aligned_to(ov.ref) for ov in view.objectives(dept)]
    order = {gid: i for i, gid in enumerate([*own, *groups, NOT_ALIGNED, DEVELOPMENT])}
    ranked = sorted(
        groups,
        key=lambda g: (g == DEVELOPMENT, g == NOT_ALIGNED, g not in own, order[g]),
    )
    parts = []
    for gid in ranked:
        roots = groups[gid]
        head = _group_head(view, layout, linker, roots[0])
        nodes = "".join(drawing.node(ov) for ov in roots)
        parts.append(
            f'<details class="pl-node pl-group" id="{attr(gid)}" open><summary>{head} '
            f"<small>{plural(len(roots), 'objective')}</small></summary>{nodes}</details>"
        )
    return f'<div class="pl-tree">{"".join(parts)}</div>'


def _group_head(view: CycleView, layout: Layout, linker: Linker, ov: ObjectiveView) -> str:
    parent = ov.objective.aligns_to
    if not parent:
        if ov.objective.kind == "okr":
            return "Not aligned to any objective above"
        return "Development objectives (not scored)"
    owner = parent.partition("/")[0]
    found = next((p for p in view.objectives(owner) if p.ref == parent), None)
    bar = f" {progress_bar(found.progress, found.objective.title)}" if found else ""
    return f"Aligned to {ref_link(view, layout, linker, parent)}{bar}"


def title(view: CycleView) -> str:
    return plain(f"OKR tree {view.cycle.title}")


def build(view: CycleView, layout: Layout, linker: Linker) -> Page:
    drawing = Drawing(view, layout, linker, lambda c: _kind(view, c.owner) != "person")
    parts = [
        f"<h1>OKR tree: {text(view.cycle.title)}</h1>",
        '<p class="pl-muted">Company objectives, with the department objectives that align '
        "to them. People's objectives are on their department's page, under the objective "
        "they align to: each objective here links to them. Progress is the share of each key "
        "result's way from start to target; an objective's is the weighted mean of its key "
        "results. Coverage compares the contributors' targets with the target they add up "
        "to.</p>",
    ]
    roots = view.objectives(COMPANY)
    if roots:
        # each company objective in the table of contents, and as jump links (a phone has
        # no table of contents beside the page): the tree is the site's longest page
        parts += [toc_entry(2, anchor(ov.ref), text(ov.objective.title)) for ov in roots]
        jumps = " · ".join(
            f'<a href="#{attr(anchor(ov.ref))}">{text(ov.objective.title)}</a>' for ov in roots
        )
        parts.append(f'<p class="pl-jump">Company objectives: {jumps}</p>')
        parts.append(f'<div class="pl-tree">{"".join(drawing.node(ov) for ov in roots)}</div>')
    else:
        parts.append('<p class="pl-muted">The company has no objectives in this cycle.</p>')
    # a department objective aligned to a person's (a warning) is below no objective here
    below_person = [
        ov
        for dept in view.org.departments
        for ov in view.objectives(dept)
        if ov.objective.aligns_to
        and _kind(view, ov.objective.aligns_to.partition("/")[0]) == "person"
    ]
    loose = list(
        {
            ov.ref: ov for ov in view.unaligned + view.orphans + below_person if ov.owner != COMPANY
        }.values()
    )
    if loose:
        people = [ov for ov in loose if _kind(view, ov.owner) == "person"]
        nodes = "".join(drawing.node(ov) for ov in loose if _kind(view, ov.owner) != "person")
        parts.append("## Not aligned")
        lead = "People's objectives not aligned to anything"
        parts.append(f'<div class="pl-tree">{nodes}{drawing.elsewhere(people, lead)}</div>')
    if view.warnings:
        parts.append("## Alignment warnings")
        parts.append(_warnings(view, drawing))
    # the company's objectives; a department's are indexed on the department's page
    return Page(
        title(view), "\n\n".join(parts), summary("Company objectives", *titles(view, COMPANY))
    )


def _warnings(view: CycleView, drawing: Drawing) -> str:
    """Warnings about the company's and departments' files, and per department a link to
    those about its people's files (listed on the department's page)."""
    items: list[str] = []
    by_dept: dict[str, int] = {}  # department -> warnings about its people's files
    for problem in view.warnings:
        owner = view.owner_of_file(problem.path)
        person = view.org.people.get(owner) if owner else None
        if person is None:
            items.append(f"<li>{text(problem.message)}</li>")
        else:
            by_dept[person.department] = by_dept.get(person.department, 0) + 1
    if by_dept:
        links = ", ".join(
            drawing.linker.a(
                drawing.layout.department(dept),
                f"{number(count)} in {text(view.department_name(dept))}",
                "alignment-warnings",
            )
            for dept, count in by_dept.items()
        )
        lead = text("Warnings about people's goals files, on their department's page")
        items.append(f"<li>{lead}: {links}</li>")
    return f'<ul class="pl-warnings">{"".join(items)}</ul>'
