"""A cycle at a glance: phase, deadlines and completion by department.

For the current cycle this is the summary on the home page; an archived cycle gets it as
its own overview page.
"""

from __future__ import annotations

from ...model import PHASES
from ..layout import Layout, Linker
from ..markup import number, percent, plain, text
from ..svg import progress_bar
from ..view import CycleView
from . import Page


def phase_steps(phase: str) -> str:
    items = []
    for step in PHASES:
        cls = (
            "pl-now"
            if step == phase
            else "pl-done"
            if PHASES.index(step) < PHASES.index(phase)
            else ""
        )
        items.append(f'<li class="{cls}">{text(step)}</li>')
    return f'<ol class="pl-phases" aria-label="phase">{"".join(items)}</ol>'


SUMMARY_HEADINGS = ("## Deadlines", "## Completion by department")


def summary(view: CycleView, layout: Layout, linker: Linker) -> str:
    """The cycle at a glance, as a page body (HTML blocks and Markdown headings)."""
    return join_summary(summary_blocks(view, layout, linker))


def join_summary(blocks: list[str]) -> str:
    """The summary's three HTML blocks with its headings between them."""
    first, deadlines, completion = blocks
    return "\n\n".join([first, SUMMARY_HEADINGS[0], deadlines, SUMMARY_HEADINGS[1], completion])


def summary_blocks(view: CycleView, layout: Layout, linker: Linker) -> list[str]:
    cycle = view.cycle
    deadlines = "".join(
        f"<tr><td>{text(name)}</td><td>{day.isoformat()}</td></tr>"
        for name, day in sorted(cycle.deadlines.items(), key=lambda kv: kv[1])
    )
    rows = []
    for dept in view.top_departments:
        c = view.completion(dept)
        rows.append(
            f"<tr><td>{linker.a(layout.department(dept), text(view.department_name(dept)))}"
            f"</td><td>{c.people}</td><td>{_share(c.with_goals, c.people)}</td>"
            f"<td>{_share(c.checked_in, c.people)}</td><td>{progress_bar(c.progress)}</td></tr>"
        )
    company = view.overall("company")
    links = " · ".join(
        linker.a(uri, label)
        for uri, label in (
            (layout.tree, "OKR tree"),
            (layout.departments, "Departments"),
            (layout.people, "People"),
        )
    )
    return [
        f'<div class="pl-cycle"><p><strong>{text(cycle.title)}</strong> '
        f"({cycle.period_start.isoformat()} to {cycle.period_end.isoformat()}) is in the "
        f"<strong>{text(cycle.phase)}</strong> phase.</p>{phase_steps(cycle.phase)}"
        f"<p>Company progress: {progress_bar(company)}</p><p>{links}</p></div>",
        f'<table class="pl-table"><thead><tr><th>Step</th><th>Due</th></tr></thead>'
        f"<tbody>{deadlines}</tbody></table>"
        if deadlines
        else '<p class="pl-muted">No deadlines set.</p>',
        '<table class="pl-table"><thead><tr><th>Department</th><th>People</th>'
        "<th>Goals set</th><th>Checked in</th><th>Average progress</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
    ]


def _share(part: int, whole: int) -> str:
    if not whole:
        return "–"
    return f"{number(part)} ({percent(part / whole)})"


def title(view: CycleView) -> str:
    return plain(f"{view.cycle.title} overview")


def build(view: CycleView, layout: Layout, linker: Linker) -> Page:
    heading = text(f"{view.cycle.title} overview")
    return Page(title(view), f"<h1>{heading}</h1>\n\n{summary(view, layout, linker)}")
