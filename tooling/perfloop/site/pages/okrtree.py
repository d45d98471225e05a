"""The OKR tree: company objectives, the department and people objectives aligned to them,
with progress, bottom-up coverage and alignment warnings; every level collapsible."""

from __future__ import annotations

from ...model import COMPANY
from ..blocks import SKIP_END, SKIP_START
from ..layout import Layout, Linker
from ..markup import attr, plain, text
from ..svg import progress_bar
from ..view import CycleView, ObjectiveView
from . import Page
from .objectives import anchor, coverage_note, kr_value

MAX_DEPTH = 12  # aligns_to chains are validated loop-free; this is a second guard


def _kind(view: CycleView, owner: str) -> str:
    if owner == COMPANY:
        return "company"
    return "department" if owner in view.org.departments else "person"


def _unindexed(node: str) -> str:
    """People's objectives in the tree stay out of the search index: each is indexed on its
    owner's page, and at 10,000 people they are most of a 30 MB page (see blocks.py)."""
    return f"{SKIP_START}{node}{SKIP_END}"


def _owner_link(view: CycleView, layout: Layout, linker: Linker, owner: str) -> str:
    name = text(view.owner_name(owner))
    if owner == COMPANY:
        return name
    if owner in view.org.departments:
        return linker.a(layout.department(owner), name)
    return linker.a(layout.person(owner), name)


def _node(
    view: CycleView, layout: Layout, linker: Linker, ov: ObjectiveView, depth: int, seen: set
) -> str:
    seen = seen | {ov.ref}
    kind = _kind(view, ov.owner)
    krs = "".join(
        f'<li><span class="pl-id">{text(kv.kr.id)}</span> {text(kv.kr.title)} '
        f"{progress_bar(kv.progress, kv.kr.title)} <small>{kr_value(kv)}</small> "
        f"{coverage_note(view, layout, linker, kv)}</li>"
        for kv in ov.key_results
    )
    children = [c for c in view.children.get(ov.ref, []) if c.ref not in seen]
    inner = ""
    if depth < MAX_DEPTH:
        nodes = [(c, _node(view, layout, linker, c, depth + 1, seen)) for c in children]
        inner = "".join(
            _unindexed(node) if kind != "person" and _kind(view, c.owner) == "person" else node
            for c, node in nodes
        )
    is_open = " open" if kind != "person" else ""
    return (
        f'<details class="pl-node pl-{kind}" id="{attr(anchor(ov.ref))}"{is_open}>'
        f'<summary><span class="pl-owner">{_owner_link(view, layout, linker, ov.owner)}</span> '
        f'<span class="pl-title">{text(ov.objective.title)}</span> '
        f"{progress_bar(ov.progress, ov.objective.title)}"
        f"{f' <small>{len(children)} aligned</small>' if children else ''}</summary>"
        f'<ul class="pl-tree-krs">{krs}</ul>{inner}</details>'
    )


def title(view: CycleView) -> str:
    return plain(f"OKR tree {view.cycle.title}")


def build(view: CycleView, layout: Layout, linker: Linker) -> Page:
    parts = [
        f"<h1>OKR tree: {text(view.cycle.title)}</h1>",
        '<p class="pl-muted">Company objectives, with the department and people objectives '
        "that align to them. Progress is the share of each key result's way from start to "
        "target; an objective's is the weighted mean of its key results. Coverage compares "
        "the contributors' targets with the target they add up to.</p>",
    ]
    roots = view.objectives(COMPANY)
    if roots:
        parts.append(
            '<div class="pl-tree">'
            + "".join(_node(view, layout, linker, ov, 0, set()) for ov in roots)
            + "</div>"
        )
    else:
        parts.append('<p class="pl-muted">The company has no objectives in this cycle.</p>')
    loose = view.unaligned + view.orphans
    if loose:
        parts.append("## Not aligned")
        parts.append(
            '<div class="pl-tree">'
            + "".join(
                _unindexed(node) if _kind(view, ov.owner) == "person" else node
                for ov in loose
                if ov.owner != COMPANY
                for node in [_node(view, layout, linker, ov, 0, set())]
            )
            + "</div>"
        )
    if view.warnings:
        items = "".join(f"<li>{text(p.message)}</li>" for p in view.warnings)
        parts.append("## Alignment warnings")
        parts.append(f'<ul class="pl-warnings">{items}</ul>')
    return Page(title(view), "\n\n".join(parts))
