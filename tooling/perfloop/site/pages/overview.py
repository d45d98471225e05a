"""A cycle at a glance: phase, deadlines and completion by department.

For the current cycle this is the summary on the home page; an archived cycle gets it as
its own overview page.
"""

from __future__ import annotations

import datetime as dt

from ... import status
from ...model import PHASES
from ..audience import Audience
from ..layout import Layout, Linker
from ..markup import number, percent, plain, plural, table, text
from ..svg import Series, progress_bar, timeline
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


SUMMARY_HEADINGS = (
    "## Deadlines",
    "## Who still owes what",
    "## Progress over the cycle",
    "## Completion by department",
)
# What the public site may say is owed: goals and check-ins are public; who still owes a
# review or a calibration file is for restricted builds.
PUBLIC_WORK = frozenset(
    {"goals", "department objectives", "company objectives", "peers", "check-in"}
)
MAX_OWED_ROWS = 40  # the home page lists the most overdue; `perfloop status` lists all


def summary(
    view: CycleView, layout: Layout, linker: Linker, audience: Audience | None = None
) -> str:
    """The cycle at a glance, as a page body (HTML blocks and Markdown headings)."""
    return join_summary(summary_blocks(view, layout, linker, audience))


def join_summary(blocks: list[str]) -> str:
    """The summary's HTML blocks with its headings between them."""
    parts = [blocks[0]]
    for heading, block in zip(SUMMARY_HEADINGS, blocks[1:], strict=True):
        parts += [heading, block]
    return "\n\n".join(parts)


def summary_blocks(
    view: CycleView, layout: Layout, linker: Linker, audience: Audience | None = None
) -> list[str]:
    cycle = view.cycle
    steps = dict(cycle.deadlines)
    if cycle.checkpoint is not None:  # its due date only: the notes are confidential
        steps["check-point"] = cycle.checkpoint.due
    deadlines = "".join(
        f"<tr><td>{text(name)}</td><td>{day.isoformat()}</td></tr>"
        for name, day in sorted(steps.items(), key=lambda kv: kv[1])
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
        owed_block(view, layout, linker, audience or Audience("public")),
        trend_chart(view, None, view.top_departments),
        '<table class="pl-table"><thead><tr><th>Department</th><th>People</th>'
        "<th>Goals set</th><th>Checked in</th><th>Average progress</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
    ]


def owed_block(view: CycleView, layout: Layout, linker: Linker, audience: Audience) -> str:
    """Who still owes what in the current phase (`perfloop status`), overdue first and in
    red. The public site lists the public work only (goals, check-ins); a restricted build
    lists reviews and calibration too, for the people its audience may see."""
    cycle = view.cycle
    if cycle.phase == "closed":
        return '<p class="pl-muted">The cycle is closed: nothing is owed.</p>'
    today = view.today
    data = view.data
    if audience.restricted:
        items = [
            i
            for i in status.owed(data, today)
            if all(
                audience.sees_results_of(data, p)
                for p in (*i.who, i.subject)
                if p is not None and p in view.org.people
            )
        ]
    else:  # no scores: the public build has no reviews to score
        items = [i for i in status.owed(data, today, scores={}) if i.what in PUBLIC_WORK]
    ranked = sorted(items, key=lambda i: (-i.overdue_days, i.due or dt.date.max))
    overdue = sum(i.overdue for i in items)
    rows = []
    for item in ranked[:MAX_OWED_ROWS]:
        who = ", ".join(linker.a(layout.person(p), text(view.person_name(p))) for p in item.who)
        due = ""
        if item.due is not None:  # overdue only with a due date (status._late)
            due = (
                f'<span class="pl-overdue">overdue by {plural(item.overdue_days, "day")} '
                f"(due {item.due.isoformat()})</span>"
                if item.overdue
                else f"due {item.due.isoformat()}"
            )
        rows.append((who or "(nobody)", text(item.what), text(item.detail), due))
    hidden = (
        ""
        if audience.restricted
        else (
            " Reviews and calibration files owed are listed in restricted builds "
            "(<code>perfloop site --audience hr</code>) and by <code>perfloop status</code>."
            if cycle.phase in ("review", "calibration")
            else ""
        )
    )
    if not rows:
        return f'<p class="pl-muted">Nothing owed on {today.isoformat()}.{hidden}</p>'
    more = len(items) - len(rows)
    lead = (
        f"<p>On {today.isoformat()}: {plural(len(items), 'item')} owed, "
        f'<span class="{"pl-overdue" if overdue else ""}">{number(overdue)} overdue</span>'
        + (
            f"; the {number(len(rows))} most overdue below, all with <code>perfloop status</code>"
            if more
            else ""
        )
        + f".{hidden}</p>"
    )
    return lead + table(("Who", "What", "Detail", "Due"), rows)


def trend_chart(view: CycleView, dept: str | None, parts: list[str]) -> str:
    """The average progress of `dept`'s people (None: the company's) and of each of
    `parts` (its departments) on each of the cycle's trend days."""
    days = view.trend_days
    if len(days) < 2:
        return '<p class="pl-muted">The cycle has not started yet.</p>'
    series = []
    for owner in [dept, *parts]:
        trend = view.department_trend(owner)
        if trend is not None:
            name = view.department_name(owner) if owner else "Company"
            series.append(Series(name, tuple(zip(days, trend, strict=True))))
    if not series:
        return '<p class="pl-muted">Nobody has goals yet.</p>'
    return timeline(
        series,
        view.cycle.period_start,
        view.cycle.period_end,
        "Average progress over the cycle",
        "Each line: the average overall progress of the people with goals, on the 1st and "
        "16th of each month, from their check-ins; its last point is today's.",
        emphasise_first=True,
    )


def _share(part: int, whole: int) -> str:
    if not whole:
        return "–"
    return f"{number(part)} ({percent(part / whole)})"


def title(view: CycleView) -> str:
    return plain(f"{view.cycle.title} overview")


def build(view: CycleView, layout: Layout, linker: Linker) -> Page:
    heading = text(f"{view.cycle.title} overview")
    return Page(title(view), f"<h1>{heading}</h1>\n\n{summary(view, layout, linker)}")
