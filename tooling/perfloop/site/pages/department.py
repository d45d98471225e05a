"""A department's page (objectives, sub-departments, members) and the departments index."""

from __future__ import annotations

from .. import blocks
from ..layout import Layout, Linker
from ..markup import number, percent, plain, plural, table, text
from ..svg import progress_bar
from ..view import CycleView
from . import Page
from .objectives import objectives_section, titles
from .okrtree import people_tree
from .overview import trend_chart


def member_rows(view: CycleView, layout: Layout, linker: Linker, people: list[str]) -> str:
    rows = []
    for pid in people:
        person = view.org.people[pid]
        goals = view.data.goals.get(pid)
        last = max((c.date for c in goals.checkins), default=None) if goals else None
        rows.append(
            (
                linker.a(layout.person(pid), text(person.name)),
                text(person.title or ""),
                str(len(goals.objectives)) if goals else "no goals yet",
                progress_bar(view.overall(pid)) if goals else "–",
                last.isoformat() if last else "–",
            )
        )
    return table(("Person", "Title", "Objectives", "Progress", "Last check-in"), rows)


# The index pages' search entries: every name they list is found on its own page.
_INDEX_SUMMARY = "Every department with its head, size, goals set and average progress"
_PEOPLE_SUMMARY = "Everyone, by department, with their title"


def title(view: CycleView, dept: str) -> str:
    return plain(view.org.departments[dept].name)


def index_title(view: CycleView) -> str:
    return plain(f"Departments {view.cycle.title}")


def people_title(view: CycleView) -> str:
    return plain(f"People {view.cycle.title}")


def build(view: CycleView, layout: Layout, linker: Linker, dept: str) -> Page:
    d = view.org.departments[dept]
    facts = [f"Head: {linker.a(layout.person(d.head), text(view.person_name(d.head)))}"]
    if d.parent:
        facts.append(
            "Part of " + linker.a(layout.department(d.parent), text(view.department_name(d.parent)))
        )
    subs = view.subdepartments(dept)
    if subs:
        facts.append(
            "Teams: "
            + ", ".join(linker.a(layout.department(s), text(view.department_name(s))) for s in subs)
        )
    c = view.completion(dept)
    facts.append(
        f"{plural(c.people, 'person', 'people')}, {number(c.with_goals)} with goals, "
        f"{number(c.checked_in)} checked in"
    )
    own = view.members(dept, nested=False)
    warnings = view.warnings_of({dept, *own})
    parts = [
        f"<h1>{text(d.name)}</h1>",
        f'<p class="pl-facts">{" · ".join(facts)}</p>',
        f"<p>Average progress of its people: {progress_bar(c.progress)}</p>",
        "## Progress over the cycle",
        trend_chart(view, dept, subs),
        "## Objectives",
        objectives_section(view, layout, linker, dept),
        "## People",
        member_rows(view, layout, linker, own)
        if own
        else '<p class="pl-muted">Nobody belongs to this department directly.</p>',
    ]
    tree = people_tree(view, layout, linker, dept)
    if tree:
        parts += ["## People's objectives", tree]
    if warnings:
        items = "".join(f"<li>{text(m)}</li>" for m in warnings)
        parts += ["## Alignment warnings", f'<ul class="pl-warnings">{items}</ul>']
    # its name (the entry's title), head and own objectives: its people and their objectives
    # are found on their own pages
    summary = blocks.summary(f"Head: {view.person_name(d.head)}", *titles(view, dept))
    return Page(title(view, dept), "\n\n".join(parts), summary)


def build_index(view: CycleView, layout: Layout, linker: Linker) -> Page:
    def rows(depts: list[str], depth: int) -> list[str]:
        out = []
        for dept in depts:
            c = view.completion(dept)
            name = linker.a(layout.department(dept), text(view.department_name(dept)))
            out.append(
                f'<tr><td style="padding-left:{0.6 + depth * 1.2:.1f}em">{name}</td>'
                f"<td>{text(view.person_name(view.org.departments[dept].head))}</td>"
                f"<td>{c.people}</td><td>{percent(c.with_goals / c.people) if c.people else '–'}"
                f"</td><td>{progress_bar(c.progress)}</td></tr>"
            )
            out += rows(view.subdepartments(dept), depth + 1)
        return out

    body = (
        f"<h1>Departments: {text(view.cycle.title)}</h1>\n\n"
        '<table class="pl-table"><thead><tr><th>Department</th><th>Head</th><th>People</th>'
        "<th>Goals set</th><th>Average progress</th></tr></thead>"
        f"<tbody>{''.join(rows(view.top_departments, 0))}</tbody></table>"
    )
    return Page(index_title(view), body, blocks.summary(_INDEX_SUMMARY))


def build_people_index(view: CycleView, layout: Layout, linker: Linker) -> Page:
    """Everyone, by department, name and title only: people's pages stay out of the
    navigation (a nav with every person grows quadratically with the company), so this
    lists them; their progress is in each department's table (with it, this page was
    3.9 MB at 10,000 people)."""
    parts = [
        f"<h1>People: {text(view.cycle.title)}</h1>",
        "<p class=\"pl-muted\">Everyone, by department. A department's page has its people's "
        "progress and last check-in, and their objectives under what they align to.</p>",
    ]
    for dept in _depth_first(view, view.top_departments):
        people = view.members(dept, nested=False)
        if not people:
            continue
        name = linker.a(layout.department(dept), text(view.department_name(dept)))
        items = "".join(
            f"<li>{linker.a(layout.person(pid), text(view.person_name(pid)))}"
            + (f" <small>{text(job)}</small>" if (job := view.org.people[pid].title) else "")
            + "</li>"
            for pid in sorted(people, key=view.person_name)
        )
        # the heading a block of its own: the table of contents lists every department
        parts += [f'<h2 id="{text(dept)}">{name}</h2>', f'<ul class="pl-people">{items}</ul>']
    return Page(people_title(view), "\n\n".join(parts), blocks.summary(_PEOPLE_SUMMARY))


def _depth_first(view: CycleView, depts: list[str]) -> list[str]:
    out = []
    for dept in depts:
        out.append(dept)
        out += _depth_first(view, view.subdepartments(dept))
    return out
