"""Restricted results: scores, ratings, calibration, review text, history, leniency.

Only built for a restricted audience, and only for what it may see (see `audience.py`).
Scores come from `perfloop.scoring`, quotas and proposals from `perfloop.calibration`,
leniency and rating history from their modules: nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from ... import calibration, leniency, ratings_history
from ...frozen import recorded_scores
from ...model import Group
from ...scoring import PersonScore, score_cycle
from ..audience import Audience
from ..layout import Layout, Linker
from ..markup import number, plain, plural, table, text
from ..svg import distribution, stacked_shares
from ..view import CycleView
from . import Page

RELATION_NAMES = {
    "self": "Self",
    "manager": "Manager",
    "skip_level": "Skip-level",
    "designated": "Designated",
    "peer": "Peer",
    "upward": "Upward",
}


def _score(x: float | None) -> str:
    """A score or bonus as the command line prints it: two decimals (`87.30`, `1.20`)."""
    return "–" if x is None else f"{x:.2f}"


def rating_stats(ratings: list[str], scale: list[str]) -> tuple[dict[str, int], float | None, str]:
    """(people per rating of `scale`, the mean rating in scale points, the median rating):
    points count up from the worst rating (1) to the best (len(scale)); the median is the
    middle rating (the lower of the two middle ones for an even count). Ratings that are no
    longer on the scale are left out."""
    counts = {r: 0 for r in scale}
    for rating in ratings:
        if rating in counts:
            counts[rating] += 1
    points = sorted(len(scale) - scale.index(r) for r in ratings if r in counts)
    if not points:
        return counts, None, "–"
    median = points[(len(points) - 1) // 2]
    return counts, sum(points) / len(points), scale[len(scale) - median]


class Results:
    """One cycle's results, computed once per build for one audience."""

    def __init__(self, view: CycleView, audience: Audience):
        self.view = view
        self.data = view.data
        self.audience = audience

    @cached_property
    def scores(self) -> Mapping[str, PersonScore]:
        return recorded_scores(self.data) or score_cycle(self.data)  # closed: its record

    @cached_property
    def groups(self) -> list[Group]:
        return [g for g in self.data.groups if self.audience.sees_group(self.data, g)]

    @cached_property
    def proposals(self) -> dict[str, calibration.Proposal]:
        return {g.id: calibration.propose(self.data, g, self.scores) for g in self.groups}

    @cached_property
    def problems(self) -> list:
        return calibration.check(self.data, self.scores)

    @cached_property
    def raters(self) -> list[leniency.RaterStats]:
        return leniency.leniency(self.data, self.scores)

    @cached_property
    def history(self) -> list[ratings_history.CycleRatings]:
        return ratings_history.history(self.data, self.scores)

    @cached_property
    def streaks(self) -> list[ratings_history.StreakFlag]:
        return ratings_history.streaks(self.history)

    def visible(self, person: str) -> bool:
        return self.audience.sees_results_of(self.data, person)

    def final_rating(self, person: str) -> str | None:
        return self.scores[person].rating if person in self.scores else None

    # --- the results index ---------------------------------------------------------------

    def title(self) -> str:
        return plain(f"Results {self.view.cycle.title}")

    def page(self, layout: Layout, linker: Linker) -> Page:
        view = self.view
        parts = [f"<h1>Results: {text(view.cycle.title)}</h1>"]
        if self.groups:
            jumps = " · ".join(
                f'<a href="#group-{text(g.id)}">{text(g.name or g.id)}</a>' for g in self.groups
            )
            parts.append(f'<p class="pl-jump">Groups: {jumps} · <a href="#people">People</a></p>')
        else:
            parts.append(
                '<p class="pl-muted">No calibration group lies entirely within what this '
                "audience may see; individual results are on each person's page.</p>"
            )
        trend = self._trend(None)
        if trend:
            parts += ["## Ratings across cycles", trend]
        for group in self.groups:
            parts.append(self._group(group, layout, linker))
        people = [p for p in view.org.people if self.visible(p)]
        if people:
            parts += ["## People", self._people_table(people, layout, linker)]
        return Page(self.title(), "\n\n".join(parts))

    def _trend(self, members: list[str] | None) -> str:
        """The rating distribution of each cycle (of `members`, or of everyone this audience
        sees) with its mean and median: a chart for everyone, a table for a group."""
        scale = [level.rating for level in self.data.cycle.rating_scale]
        columns, rows = [], []
        for cycle in self.history:
            ratings = [
                r
                for pid, r in cycle.ratings.items()
                if (pid in members if members is not None else self._sees_history(pid))
            ]
            counts, mean, median = rating_stats(ratings, scale)
            if not sum(counts.values()):
                continue
            columns.append((cycle.cycle, counts))
            rows.append(
                (
                    text(cycle.cycle),
                    *(str(counts[r]) for r in scale),
                    str(sum(counts.values())),
                    _score(mean),
                    text(median),
                )
            )
        if not rows:
            return ""
        numeric = frozenset(range(1, len(scale) + 3))
        head = ("Cycle", *(text(r) for r in scale), "People", "Mean", "Median")
        note = (
            f'<p class="pl-sub">Mean in scale points: {text(scale[-1])} = 1 up to '
            f"{text(scale[0])} = {len(scale)}; median: the middle rating.</p>"
        )
        if members is not None:
            return table(head, rows, numeric=numeric, caption="Ratings across cycles") + note
        chart = stacked_shares(columns, scale, "Share of each rating by cycle")
        return "\n\n".join([chart, table(head, rows, numeric=numeric), note])

    def _sees_history(self, pid: str) -> bool:
        if self.audience.kind == "hr":
            return True  # people who left count in their cycles too
        return pid in self.view.org.people and self.visible(pid)

    def _group(self, group: Group, layout: Layout, linker: Linker) -> str:
        cycle = self.data.cycle
        proposal = self.proposals[group.id]
        cal = self.data.calibrations.get(group.id)
        finals = {
            m: (cal.ratings[m].rating if cal and m in cal.ratings else proposal.proposed.get(m))
            for m in proposal.proposed
        }
        counts = {level.rating: 0 for level in cycle.rating_scale}
        for rating in finals.values():
            if rating in counts:
                counts[rating] += 1
        limits = {r: (q.min, q.max) for r, q in proposal.quotas.items()}
        quota_rows = [
            (
                text(r),
                str(q.min),
                str(q.max),
                str(counts.get(r, 0)),
                ""
                if q.min <= counts.get(r, 0) <= q.max
                else '<span class="pl-overdue">outside quota</span>',
            )
            for r, q in proposal.quotas.items()
        ]
        rows = []
        for member in proposal.proposed:
            final = cal.ratings.get(member) if cal else None
            rows.append(
                (
                    linker.a(layout.person(member), text(self.view.person_name(member))),
                    _score(proposal.finals.get(member)),
                    text(proposal.scored.get(member) or ""),
                    text(proposal.proposed.get(member) or ""),
                    text(final.rating) if final else "not calibrated yet",
                    text(final.reason or "") if final else "",
                )
            )
        incomplete = "".join(
            f"<li>{linker.a(layout.person(p), text(self.view.person_name(p)))}: "
            + (f"missing {text(', '.join(missing))}" if missing else _SEALED)
            + "</li>"
            for p, missing in proposal.incomplete.items()
        )
        file = self.data.path("calibration", f"{group.id}.yaml")
        flags = [*proposal.flags, *(p.message for p in self.problems if p.path == file)]
        raters = [r for r in self.raters if r.group == group.id]
        rater_rows = [
            (
                text(self.view.person_name(r.manager)),
                str(r.reviews),
                _score(r.mean),
                _score(r.group_mean),
                "lenient" if r.flagged and r.gap > 0 else "severe" if r.flagged else "",
            )
            for r in raters
        ]
        name = text(group.name or group.id)
        out = [
            f'<h2 id="group-{text(group.id)}">{name}</h2>',
            f"<p>{plural(proposal.size, 'complete member')}; "
            f"{'calibrated in ' + text(file) if cal else 'no calibration file yet'}.</p>",
            distribution(counts, limits, f"Ratings in {group.name or group.id} against quotas"),
            table(
                ("Rating", "Min", "Max", "Now", ""),
                quota_rows,
                caption=f"Quotas of {name}",
                numeric=frozenset({1, 2, 3}),
            ),
            table(
                ("Person", "Final score", "Score's rating", "Proposal", "Calibrated", "Reason"),
                rows,
                caption=f"People of {name}",
                numeric=frozenset({1}),
            ),
        ]
        if flags:
            out.append(
                '<ul class="pl-warnings">' + "".join(f"<li>{text(f)}</li>" for f in flags) + "</ul>"
            )
        if incomplete:
            out.append(f"<p>Incomplete (no final score):</p><ul>{incomplete}</ul>")
        if rater_rows:
            out.append(
                table(
                    ("Manager", "Reviews", "Mean", "Group mean", "Flag"),
                    rater_rows,
                    caption="Manager leniency: mean manager-review value against the group's",
                    numeric=frozenset({1, 2, 3}),
                )
            )
        trend = self._trend(list(proposal.proposed) + list(proposal.incomplete))
        if trend and len(self.history) > 1:
            out.append(trend)
        # the heading on its own: the table of contents lists every group
        return out[0] + "\n\n" + "\n".join(out[1:])

    def _people_table(self, people: list[str], layout: Layout, linker: Linker) -> str:
        rows = []
        for pid in people:
            s = self.scores.get(pid)
            if s is None:
                continue
            rows.append(
                (
                    linker.a(layout.person(pid), text(self.view.person_name(pid))),
                    _score(s.okr),
                    _score(s.kpi),
                    _score(s.review),
                    _score(s.final),
                    text(s.rating or "–"),
                    _score(s.bonus),
                )
            )
        return table(
            ("Person", "OKR", "KPI", "Review", "Final", "Rating", "Bonus"),
            rows,
            numeric=frozenset({1, 2, 3, 4, 6}),
        )

    # --- one person's results ------------------------------------------------------------

    def person_section(self, pid: str, linker: Linker) -> str:
        s = self.scores.get(pid)
        if s is None:
            return ""
        weights = ", ".join(f"{text(k)} {number(v)}" for k, v in s.weights.items())
        parts = [
            "## Results",
            '<table class="pl-table"><thead><tr><th>OKR</th><th>KPI</th><th>Review</th>'
            "<th>Final</th><th>Score's rating</th><th>Final rating</th><th>Bonus</th></tr>"
            f"</thead><tbody><tr><td>{_score(s.okr)}</td><td>{_score(s.kpi)}</td>"
            f"<td>{_score(s.review)}</td><td>{_score(s.final)}</td>"
            f"<td>{text(s.proposed or '–')}</td><td>{text(s.rating or '–')}</td>"
            f"<td>{_score(s.bonus)}</td></tr></tbody></table>",
            f'<p class="pl-sub">Section weights: {weights}'
            + (f"; incomplete, missing {text(', '.join(s.missing))}" if s.missing else "")
            + (f"; {_SEALED}: {text(', '.join(s.sealed))}" if s.sealed else "")
            + "</p>",
        ]
        if s.kpis:
            parts.append(
                '<table class="pl-table"><thead><tr><th>KPI</th><th>Target</th><th>Actual</th>'
                "<th>Achievement</th><th>Score</th></tr></thead><tbody>"
                + "".join(
                    f"<tr><td>{text(k.name)}</td><td>{number(k.target)}</td>"
                    f"<td>{number(k.actual)}</td><td>{number(k.achievement, 3)}</td>"
                    f"<td>{_score(k.score)}</td></tr>"
                    for k in s.kpis
                )
                + "</tbody></table>"
            )
        if s.review_groups:
            parts.append(
                '<table class="pl-table"><thead><tr><th>Review group</th><th>Weight</th>'
                "<th>Reviews</th><th>Score</th></tr></thead><tbody>"
                + "".join(
                    f"<tr><td>{text(RELATION_NAMES.get(g.relation, g.relation))}</td>"
                    f"<td>{number(g.weight)}</td><td>{len(g.reviews)}</td>"
                    f"<td>{_score(g.score)}</td></tr>"
                    for g in s.review_groups
                )
                + "</tbody></table>"
            )
        parts.append(self._reviews(pid))
        history = ratings_history.person_history(self.history, pid)
        if any(r for _, r in history):
            flags = [f for f in self.streaks if f.person == pid]
            parts.append(
                "<p><strong>Rating history:</strong> "
                + " → ".join(f"{text(c)}: {text(r or '–')}" for c, r in history)
                + "".join(
                    f' <span class="pl-badge pl-warn">{text(f.end)} of the scale '
                    f"{len(f.cycles)} cycles running</span>"
                    for f in flags
                )
                + "</p>"
            )
        return "\n\n".join(p for p in parts if p)

    def _reviews(self, pid: str) -> str:
        template = self.data.template_for(pid)
        questions = {q.id: q.text for q in template.questions} if template else {}
        blocks = []
        for review in sorted(self.data.reviews_of(pid), key=lambda r: r.reviewer):
            relation = self.data.relation(pid, review.reviewer)
            if not self.audience.sees_review_text(self.data, pid, relation):
                continue
            ratings = "".join(
                f"<tr><td>{text(questions.get(q, q))}</td><td>{number(v)}</td></tr>"
                for q, v in review.ratings.items()
            )
            fields = "".join(
                f"<p><strong>{label}:</strong> {text(value)}</p>"
                for label, value in (
                    ("Comments", review.comments),
                    ("Strengths", review.strengths),
                    ("Improvements", review.improvements),
                )
                if value
            )
            plan = "".join(
                f"<li>{text(a.action)}{f' (by {a.due.isoformat()})' if a.due else ''}</li>"
                for a in review.improvement_plan
            )
            blocks.append(
                f'<details class="pl-review"><summary>'
                f"{text(RELATION_NAMES.get(relation or '', 'Review'))} review by "
                f"{text(self.view.person_name(review.reviewer))}</summary>"
                f'<table class="pl-table"><tbody>{ratings}</tbody></table>{fields}'
                f"{f'<p><strong>Improvement plan:</strong></p><ul>{plan}</ul>' if plan else ''}"
                "</details>"
            )
        if not blocks:
            return ""
        return "### Reviews\n\n" + "\n".join(blocks)


_SEALED = "sealed, not readable by you"  # SPEC section 7: never "missing"
