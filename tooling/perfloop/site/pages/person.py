"""A person's page: objectives and key results with progress, plan, KPI targets, the
check-in timeline; in a restricted build for an audience allowed to see them, results."""

from __future__ import annotations

from collections.abc import Callable

from markdown.extensions.toc import slugify

from ...status import late_tasks
from .. import blocks
from ..layout import Layout, Linker
from ..markup import number, percent, plain, table, text
from ..svg import Series, progress_bar, timeline
from ..view import CycleView
from . import Page
from .objectives import objectives_section, titles


def _facts(view: CycleView, layout: Layout, linker: Linker, pid: str) -> str:
    p = view.org.people[pid]
    facts = []
    if p.title:
        facts.append(text(p.title))
    facts.append(
        linker.a(layout.department(p.department), text(view.department_name(p.department)))
    )
    if p.manager:
        facts.append(
            f"Manager: {linker.a(layout.person(p.manager), text(view.person_name(p.manager)))}"
        )
    reports = view.org.reports(pid)
    if reports:
        facts.append(
            "Reports: "
            + ", ".join(linker.a(layout.person(r), text(view.person_name(r))) for r in reports)
        )
    return f'<p class="pl-facts">{" · ".join(facts)}</p>'


def _kpis(view: CycleView, pid: str) -> str:
    goals = view.data.goals[pid]
    if not goals.kpis:
        return '<p class="pl-muted">No KPIs.</p>'
    template = view.data.template_for(pid)
    rows = []
    for kpi_id, entry in goals.kpis.items():
        kpi = entry.custom or (template.kpi(kpi_id) if template else None)
        name = kpi.name if kpi else kpi_id
        unit = f" {text(kpi.unit)}" if kpi and kpi.unit else ""
        better = "lower is better" if kpi and kpi.direction == "lower" else "higher is better"
        weight = number(kpi.weight) if kpi and kpi.weight is not None else ""
        own = " <small>(own KPI)</small>" if entry.custom else ""
        rows.append((f"{text(name)}{own}", f"{number(entry.target)}{unit}", better, weight))
    return table(("KPI", "Target", "Direction", "Weight"), rows)


def _plan(view: CycleView, pid: str) -> str:
    plan = view.data.goals[pid].plan
    if not plan:
        return '<p class="pl-muted">No plan items.</p>'
    late = {id(t) for t in late_tasks(view.data, pid, view.today)}  # as of the build
    rows = [
        (
            text(item.task),
            item.due.isoformat() if item.due else "",
            text(item.standard or ""),
            '<span class="pl-overdue">overdue</span>'
            if id(item) in late
            else "done"
            if item.done
            else ""
            if item.done is None
            else "not done",
        )
        for item in plan
    ]
    return table(("Task", "Due", "Quality standard", "Status"), rows)


def _checkins(view: CycleView, pid: str) -> str:
    goals = view.data.goals[pid]
    points = view.timeline(pid)
    parts = []
    if points:
        series = []
        for ref, pts in points.items():
            obj_id, _, kr_id = ref.partition("/")
            objective = goals.objective(obj_id)
            kr = objective.key_result(kr_id) if objective else None
            label = f"{ref} {kr.title}" if kr else ref
            team = view.data.team_key_result(kr.ref) if kr and kr.ref else None
            if team is not None:  # a team key result: its department's check-ins
                label = f"{obj_id} team: {team.title}"
            series.append(Series(label, tuple((p.date, p.progress) for p in pts)))
        cycle = view.cycle
        parts.append(
            timeline(
                series,
                cycle.period_start,
                cycle.period_end,
                "Key-result progress by date",
                "Each line: a key result's progress (its way from start to target) at each "
                "value a check-in recorded.",
            )
        )
    items = []
    for c in sorted(goals.checkins, key=lambda c: c.date, reverse=True):
        values = ", ".join(
            f"{text(ref)}: {text('done' if v is True else 'not done' if v is False else number(v))}"
            for ref, v in c.values.items()
        )
        extra = ""
        if c.confidence is not None:
            extra += f" · confidence {percent(c.confidence)}"
        note = f'<div class="pl-note">{text(c.note)}</div>' if c.note else ""
        blockers = (
            f'<div class="pl-note pl-blockers"><strong>Blockers:</strong> {text(c.blockers)}</div>'
            if c.blockers
            else ""
        )
        items.append(
            f'<li><strong>{c.date.isoformat()}</strong>{extra}<div class="pl-sub">{values}</div>'
            f"{note}{blockers}</li>"
        )
    if items:
        parts.append(f'<ol class="pl-checkins">{"".join(items)}</ol>')
    else:
        parts.append('<p class="pl-muted">No check-ins yet.</p>')
    return "\n".join(parts)


def title(view: CycleView, pid: str) -> str:
    return plain(view.org.people[pid].name)


def build(
    view: CycleView,
    layout: Layout,
    linker: Linker,
    pid: str,
    earlier: list[tuple[str, str]],
    results: Callable[[Linker], str] | None = None,
) -> Page:
    """`earlier`: (cycle title, page source) of this person's pages in earlier cycles;
    `results`: the restricted sections (results, the check-point) this build's audience
    may see, or None on the public site."""
    p = view.org.people[pid]
    goals = view.data.goals.get(pid)
    parts = [f"<h1>{text(p.name)}</h1>", _facts(view, layout, linker, pid)]
    if goals is None:
        parts.append('<p class="pl-muted">No goals file for this cycle yet.</p>')
    else:
        parts += [
            f"<p>Overall progress: {progress_bar(view.overall(pid))}</p>",
            "## Objectives",
            objectives_section(view, layout, linker, pid),
            "## KPIs",
            _kpis(view, pid),
            "## Plan",
            _plan(view, pid),
            "## Check-ins",
            _checkins(view, pid),
        ]
    if results is not None:
        parts.append(results(linker))
    if earlier:
        links = " · ".join(linker.a(uri, text(title)) for title, uri in earlier)
        parts += ["## Earlier cycles", f"<p>{links}</p>"]
    return Page(title(view, pid), "\n\n".join(parts), search_summary(view, pid))


def search_summary(view: CycleView, pid: str) -> str:
    """What the search index keeps of a person's page, one entry under their name: title,
    department, id (unless it is words of the name) and the titles of their objectives and
    key results. Not their manager, reports, values or check-ins: a search for a name
    should find that person, not everyone whose page mentions them."""
    p = view.org.people[pid]
    ident = "" if set(pid.split("-")) <= set(slugify(p.name, "-").split("-")) else pid
    return blocks.summary(
        p.title or "", view.department_name(p.department), ident, *titles(view, pid)
    )
