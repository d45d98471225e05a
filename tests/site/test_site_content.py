"""What the site's pages say, from the small repository loaded in-process: progress over
the cycle, who still owes what, key-result values, HR's rating statistics, tables."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from perfloop.repository import load_cycle
from perfloop.site.audience import Audience
from perfloop.site.layout import Layout, Linker
from perfloop.site.markup import plural, table
from perfloop.site.pages import objectives, overview
from perfloop.site.pages.results import rating_stats
from perfloop.site.view import CycleView

CYCLE = "2026-h2"
BOB_CHECKINS = """checkins:
  - date: 2026-08-01
    values: {o1/kr1: 3}
  - date: 2026-09-01
    values: {o1/kr1: 6}
"""


def _edit(repo: Path, rel: str, old: str, new: str) -> None:
    path = repo / "cycles" / CYCLE / rel
    content = path.read_text()
    assert old in content, (rel, old)
    path.write_text(content.replace(old, new))


def _view(repo: Path, today: dt.date, restricted: bool = False) -> CycleView:
    data, problems = load_cycle(repo, CYCLE)
    assert data is not None and not [p for p in problems if p.is_error], problems
    return CycleView(data, history=False, today=today)


def _words(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _execution(repo: Path) -> None:
    """bob checked in twice (3, then 6 of 12 dashboards; 9 today); the cycle is executing."""
    _edit(repo, "cycle.yaml", "phase: review", "phase: execution")
    (repo / "cycles" / CYCLE / "goals" / "bob.yaml").open("a").write(BOB_CHECKINS)


def test_progress_over_the_cycle_follows_the_check_ins(base_repo: Path) -> None:
    _execution(base_repo)
    view = _view(base_repo, dt.date(2026, 9, 20))
    assert view.trend_days == [
        dt.date(2026, 7, 1),
        dt.date(2026, 7, 16),
        dt.date(2026, 8, 1),
        dt.date(2026, 8, 16),
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 16),
        dt.date(2026, 9, 20),
    ]
    # kr1 is bob's only key result (start 0, target 12): 3/12 from Aug 1, 6/12 from Sep 1,
    # today's 9/12 on the last day
    assert view.overall_trend("bob") == [0, 0, 0.25, 0.25, 0.5, 0.5, 0.75]
    everyone = [t for p in view.org.people if (t := view.overall_trend(p)) is not None]
    company = view.department_trend(None)
    assert company == [sum(col) / len(everyone) for col in zip(*everyone, strict=True)]
    chart = overview.trend_chart(view, None, view.top_departments)
    assert "Company" in _words(chart) and chart.count("<polyline") == 1 + len(view.top_departments)


def test_home_page_says_who_owes_a_check_in_overdue_in_red(base_repo: Path) -> None:
    _execution(base_repo)
    view = _view(base_repo, dt.date(2026, 9, 20))
    linker = Linker({}, "index.md")
    block = overview.owed_block(view, Layout(CYCLE, True), linker, Audience("public"))
    # bob's last check-in (Sep 1) plus the 14-day interval: due Sep 15, 5 days late
    row = re.search(r"<tr><td>[^<]*Bob[^<]*</td>.*?</tr>", block).group(0)
    assert _words(row) == (
        "Bob Li check-in last check-in 2026-09-01, 19 days ago overdue by 5 days (due 2026-09-15)"
    )
    assert '<span class="pl-overdue">overdue by 5 days' in row


def test_reviews_owed_are_shown_to_restricted_audiences_only(base_repo: Path) -> None:
    view = _view(base_repo, dt.date(2026, 12, 1))  # review phase, due 2026-12-10
    args = (view, Layout(CYCLE, True), Linker({}, "index.md"))
    public = _words(overview.owed_block(*args, Audience("public")))
    assert "review" not in public.split("Reviews and calibration")[0]
    assert "listed in restricted builds" in public
    hr = _words(overview.owed_block(*args, Audience("hr")))
    assert "review" in hr and "due 2026-12-10" in hr


def test_a_numeric_key_result_graded_by_hand_keeps_its_values(base_repo: Path) -> None:
    _edit(
        base_repo,
        "goals/bob.yaml",
        "target: 12, current: 9}",
        "target: 12, current: 9, score: 0.5}",
    )
    view = _view(base_repo, dt.date(2026, 12, 1))
    (kv,) = view.objectives("bob")[0].key_results
    assert kv.progress == 0.5
    assert _words(objectives.kr_value(kv)) == "9 of 12 (graded by hand)"


def test_rating_statistics_count_mean_and_median_on_the_scale() -> None:
    scale = ["S", "A", "B", "C", "D"]
    counts, mean, median = rating_stats(["A", "B", "B", "D", "gone"], scale)
    assert counts == {"S": 0, "A": 1, "B": 2, "C": 0, "D": 1}
    assert mean == (4 + 3 + 3 + 1) / 4 and median == "B"
    assert rating_stats([], scale)[1:] == (None, "–")
    assert rating_stats(["S", "D"], scale)[2] == "D"  # the lower middle of an even count


def test_a_column_empty_in_every_row_is_left_out() -> None:
    out = table(("Task", "Due", "Status"), [("a", "", ""), ("b", "", "done")])
    assert "<th>Due</th>" not in out and "<th>Status</th>" in out
    assert _words(out) == "Task Status a b done"


def test_counts_read_as_english() -> None:
    assert plural(1, "contributor") == "1 contributor"
    assert plural(3, "contributor") == "3 contributors"
    assert plural(1, "person", "people") == "1 person"
    assert plural(1200, "person", "people") == "1,200 people"


def test_the_tree_does_not_say_graded_twice() -> None:
    from conftest import EXAMPLE_CYCLE, ROOT
    from perfloop.tree import build_tree, kr_line

    data, _ = load_cycle(ROOT, EXAMPLE_CYCLE)
    lines = [
        kr_line(kr)
        for node in build_tree(data).walk()
        for o in node.objectives
        for kr in o.key_results
    ]
    hannah = next(line for line in lines if "Discovery call quality" in line)
    assert hannah.endswith("kr2 Discovery call quality (graded by the VP Sales)")
    assert not any("(graded)" in line for line in lines)
