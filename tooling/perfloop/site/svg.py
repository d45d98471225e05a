"""Inline SVG and CSS charts: no script, no CDN (company sites often sit behind firewalls).

Every label is passed through `markup` by the caller or here; colours come from CSS
variables so the charts follow Material's light and dark schemes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .markup import attr, number, percent, text

# ratings, best first: greens, a neutral blue, then warm to red
RATINGS = ("#1b7837", "#4caf50", "#3f6fb5", "#e08a00", "#c62828", "#7b1fa2", "#616161")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def progress_bar(fraction: float | None, label: str = "progress") -> str:
    """A horizontal bar for a fraction in [0, 1], with the percentage beside it."""
    if fraction is None:
        return '<span class="pl-progress pl-none">–</span>'
    pct = percent(fraction)
    width = max(0.0, min(fraction, 1.0)) * 100
    tone = "pl-good" if fraction >= 0.7 else "pl-mid" if fraction >= 0.4 else "pl-low"
    # aria-valuemin and aria-valuemax are left at a progressbar's defaults (0 and 100): a
    # page can hold thousands of bars (the OKR tree has ~3,700 at 10,000 people)
    return (
        f'<span class="pl-progress" role="progressbar" aria-label="{attr(label)}" '
        f'aria-valuenow="{pct[:-1]}"><span class="pl-track"><span class="pl-fill {tone}" '
        f'style="width:{width:.3g}%"></span></span><span class="pl-pct">{pct}</span></span>'
    )


@dataclass(frozen=True)
class Series:
    """One line of a timeline: a label and (date, fraction) points."""

    label: str
    points: tuple[tuple[dt.date, float], ...]


def timeline(
    series: Sequence[Series],
    start: dt.date,
    end: dt.date,
    title: str = "Check-in timeline",
    explain: str = "",
    emphasise_first: bool = False,
) -> str:
    """Progress over the cycle: one line per series, 0–100% on the y axis, a legend that
    names each line and `explain` (what a line means) under it. The chart fills the content
    column; its labels keep a readable size at any width (perfloop.css)."""
    width, height, left, right, top, bottom = 640, 268, 72, 14, 18, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((end - start).days, 1)

    def x(day: dt.date) -> float:
        return left + plot_w * min(max((day - start).days / span, 0), 1)

    def y(fraction: float) -> float:
        return top + plot_h * (1 - min(max(fraction, 0), 1))

    parts = [
        f'<svg class="pl-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{attr(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{text(title)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = y(tick)
        parts.append(
            f'<line class="pl-grid" x1="{left}" y1="{ty:.1f}" x2="{width - right}" '
            f'y2="{ty:.1f}"/><text class="pl-axis" x="{left - 6}" y="{ty:.1f}" '
            f'dominant-baseline="middle" '
            f'text-anchor="end">{percent(tick)}</text>'
        )
    for day in _month_starts(start, end):
        tx = x(day)
        parts.append(
            f'<line class="pl-grid" x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{top + plot_h}"/>'
            f'<text class="pl-axis" x="{tx:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{day.strftime('%b')}</text>"
        )
    labels = [text(line.label) for line in series]
    for i, line in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points = [(d, v, f"{x(d):.1f}", f"{y(v):.1f}") for d, v in sorted(line.points)]
        if not points:
            continue
        coords = " ".join(f"{px},{py}" for _, _, px, py in points)
        # the first line is the whole (the company, the department): drawn heavier
        stroke = 4 if i == 0 and emphasise_first else 2.5
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="{stroke}" points="{coords}"/>'
        )
        parts += [
            f'<circle cx="{px}" cy="{py}" r="4" fill="{colour}">'
            f"<title>{labels[i]}: {percent(v)} on {d.isoformat()}</title></circle>"
            for d, v, px, py in points
        ]
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="pl-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
        f"{label}</li>"
        for i, label in enumerate(labels)
    )
    note = f'<figcaption class="pl-sub">{text(explain)}</figcaption>' if explain else ""
    return (
        f'<figure class="pl-figure">{"".join(parts)}<ul class="pl-legend">{legend}</ul>'
        f"{note}</figure>"
    )


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], dt.date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def _count_ticks(most: int) -> list[int]:
    """Whole-number ticks from 0 to at least `most`, at most about five of them."""
    step = 1
    while most / step > 5:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return list(range(0, most + step, step))


def distribution(
    counts: Mapping[str, int], limits: Mapping[str, tuple[int | None, int | None]], title: str
) -> str:
    """People per rating as bars against a counted y axis, with the group's quota (min/max
    counts) marked and labelled on each bar, and a legend for bars and marks."""
    ratings = list(counts)
    size = sum(counts.values())
    # a bound that limits nobody (a minimum of 0, a maximum of the whole group) is not drawn:
    # rating -> (low drawn, high drawn, low given, high given)
    bounds = {
        r: (low if low else None, high if high is not None and high < size else None, low, high)
        for r, (low, high) in limits.items()
    }
    most = max([*counts.values(), *(b[1] for b in bounds.values() if b[1] is not None), 1])
    ticks = _count_ticks(most)
    top_count = ticks[-1]
    width, height, left, right, top, bottom = 640, 270, 64, 12, 30, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(ratings), 1)
    bar_w = min(slot * 0.5, 90)

    def y(n: float) -> float:
        return top + plot_h * (1 - n / top_count)

    parts = [
        f'<svg class="pl-chart pl-dist" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{attr(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{text(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line class="pl-grid" x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" '
            f'y2="{y(tick):.1f}"/><text class="pl-axis" x="{left - 6}" y="{y(tick):.1f}" '
            f'dominant-baseline="middle" text-anchor="end">{tick}</text>'
        )
    parts.append(
        f'<text class="pl-axis" x="22" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 22 {top + plot_h / 2:.1f})">people</text>'
    )
    for i, rating in enumerate(ratings):
        cx, n = left + slot * (i + 0.5), counts[rating]
        bx = cx - bar_w / 2
        low, high, given_low, given_high = bounds.get(rating, (None, None, None, None))
        over = (high is not None and n > high) or (low is not None and n < low)
        parts.append(
            f'<rect class="pl-barrect{" pl-over" if over else ""}" x="{bx:.1f}" '
            f'y="{y(n):.1f}" width="{bar_w:.1f}" height="{y(0) - y(n):.1f}">'
            f"<title>{text(rating)}: {n}</title></rect>"
            f'<text class="pl-axis pl-strong" x="{cx:.1f}" y="{height - 36}" '
            f'text-anchor="middle">{text(rating)}</text>'
        )
        for bound, kind in ((high, "max"), (low, "min")):
            if bound is not None:
                parts.append(
                    f'<line class="pl-quota pl-{kind}" x1="{bx - 8:.1f}" y1="{y(bound):.1f}" '
                    f'x2="{bx + bar_w + 8:.1f}" y2="{y(bound):.1f}"><title>{kind} '
                    f"{number(bound)}</title></line>"
                )
        allowed = _allowed(given_low, given_high)
        if allowed:
            parts.append(
                f'<text class="pl-axis" x="{cx:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{allowed}</text>"
            )
        parts.append(
            f'<text class="pl-axis pl-strong" x="{cx:.1f}" y="{y(n) - 4:.1f}" '
            f'text-anchor="middle">{n}</text>'
        )
    parts.append("</svg>")
    legend = (
        '<li><span class="pl-swatch pl-bar-swatch"></span>people with the rating</li>'
        '<li><span class="pl-swatch pl-over-swatch"></span>outside the quota</li>'
        '<li><span class="pl-line-swatch pl-max"></span>most the quota allows</li>'
        '<li><span class="pl-line-swatch pl-min"></span>fewest the quota requires</li>'
        "<li>under each rating: how many people its quota allows</li>"
    )
    return f'<figure class="pl-figure">{"".join(parts)}<ul class="pl-legend">{legend}</ul></figure>'


def _allowed(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}–{high}" if low != high else f"{low}"
    if high is not None:
        return f"≤ {high}"
    return f"≥ {low}" if low is not None else ""


def stacked_shares(
    columns: Sequence[tuple[str, Mapping[str, int]]], ratings: Sequence[str], title: str
) -> str:
    """Each column (a cycle) as a bar of 100%, split by the share of each rating (best at
    the top), with the share written in each part large enough to hold it."""
    width, height, left, right, top, bottom = 640, 254, 72, 12, 18, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(columns), 1)
    bar_w = min(slot * 0.6, 120)
    parts = [
        f'<svg class="pl-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{attr(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{text(title)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = top + plot_h * (1 - tick)
        parts.append(
            f'<line class="pl-grid" x1="{left}" y1="{ty:.1f}" x2="{width - right}" '
            f'y2="{ty:.1f}"/><text class="pl-axis" x="{left - 6}" y="{ty:.1f}" '
            f'dominant-baseline="middle" '
            f'text-anchor="end">{percent(tick)}</text>'
        )
    for i, (label, counts) in enumerate(columns):
        total = sum(counts.get(r, 0) for r in ratings)
        cx = left + slot * (i + 0.5)
        bx, base = cx - bar_w / 2, float(top + plot_h)
        for j, rating in reversed(list(enumerate(ratings))):  # worst at the bottom
            n = counts.get(rating, 0)
            if not total or not n:
                continue
            h = plot_h * n / total
            colour = _rating_colour(j, len(ratings))
            parts.append(
                f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{text(label)}: {text(rating)} {n} of {total} '
                f"({percent(n / total)})</title></rect>"
            )
            if h >= 16:
                parts.append(
                    f'<text class="pl-on-bar" x="{cx:.1f}" y="{base - h / 2 + 4:.1f}" '
                    f'text-anchor="middle">{text(rating)} {percent(n / total)}</text>'
                )
            base -= h
        parts.append(
            f'<text class="pl-axis pl-strong" x="{cx:.1f}" y="{height - 10}" '
            f'text-anchor="middle">{text(label)}</text>'
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="pl-swatch" style="background:{_rating_colour(j, len(ratings))}">'
        f"</span>{text(rating)}</li>"
        for j, rating in enumerate(ratings)
    )
    return f'<figure class="pl-figure">{"".join(parts)}<ul class="pl-legend">{legend}</ul></figure>'


def _rating_colour(index: int, levels: int) -> str:
    """The colour of the `index`-th rating (best first) of a scale of `levels`: a scale of
    five uses the five first colours; a shorter one skips from the middle outwards."""
    if levels >= len(RATINGS):
        return RATINGS[index % len(RATINGS)]
    if levels <= 5:
        picks = {1: (2,), 2: (1, 4), 3: (1, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}[levels]
        return RATINGS[picks[index]]
    return RATINGS[index]
