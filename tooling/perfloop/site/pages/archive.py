"""The archive: earlier cycles, each kept with its own tree, departments and people."""

from __future__ import annotations

from ..layout import Layout, Linker
from ..markup import text
from ..view import CycleView
from . import Page

TITLE = "Archive"


def build(views: list[tuple[CycleView, Layout]], linker: Linker) -> Page:
    rows = "".join(
        f"<tr><td>{linker.a(layout.overview, text(view.cycle.title))}</td>"
        f"<td>{view.cycle.period_start.isoformat()} to {view.cycle.period_end.isoformat()}</td>"
        f"<td>{text(view.cycle.phase)}</td>"
        f"<td>{linker.a(layout.tree, 'OKR tree')} · {linker.a(layout.people, 'people')}</td></tr>"
        for view, layout in views
    )
    body = "<h1>Archive</h1>\n\n" + (
        '<table class="pl-table"><thead><tr><th>Cycle</th><th>Period</th><th>Phase</th>'
        f"<th>Pages</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else '<p class="pl-muted">No earlier cycles yet.</p>'
    )
    return Page(TITLE, body)
