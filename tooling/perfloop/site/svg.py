"""Inline SVG and CSS charts: no script, no CDN (company sites often sit behind firewalls).

Every label is passed through `markup` by the caller or here; colours come from CSS
variables so the charts follow Material's light and dark schemes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .markup import attr, number, percent, text

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
    series: Sequence[Series], start: dt.date, end: dt.date, title: str = "Check-in timeline"
) -> str:
    """Progress over the cycle: one line per key result, 0–100% on the y axis."""
    width, height, left, right, top, bottom = 640, 240, 44, 12, 12, 28
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
            f'y2="{ty:.1f}"/><text class="pl-axis" x="{left - 6}" y="{ty + 4:.1f}" '
            f'text-anchor="end">{percent(tick)}</text>'
        )
    for day in _month_starts(start, end):
        tx = x(day)
        parts.append(
            f'<line class="pl-grid" x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{top + plot_h}"/>'
            f'<text class="pl-axis" x="{tx:.1f}" y="{height - 8}" text-anchor="middle">'
            f"{day.strftime('%b')}</text>"
        )
    labels = [text(line.label) for line in series]
    for i, line in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points = [(d, v, f"{x(d):.1f}", f"{y(v):.1f}") for d, v in sorted(line.points)]
        if not points:
            continue
        coords = " ".join(f"{px},{py}" for _, _, px, py in points)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>'
        )
        parts += [
            f'<circle cx="{px}" cy="{py}" r="3.5" fill="{colour}">'
            f"<title>{labels[i]}: {percent(v)} on {d.isoformat()}</title></circle>"
            for d, v, px, py in points
        ]
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="pl-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
        f"{label}</li>"
        for i, label in enumerate(labels)
    )
    return f'<figure class="pl-figure">{"".join(parts)}<ul class="pl-legend">{legend}</ul></figure>'


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], dt.date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def distribution(
    counts: Mapping[str, int], limits: Mapping[str, tuple[int | None, int | None]], title: str
) -> str:
    """People per rating as bars, with the group's quota (min/max counts) marked."""
    ratings = list(counts)
    most = max([*counts.values(), *(m for _, m in limits.values() if m is not None), 1])
    width, height, left, top, bottom = 60 + 70 * len(ratings), 200, 30, 14, 30
    plot_h = height - top - bottom

    def y(n: float) -> float:
        return top + plot_h * (1 - n / most)

    parts = [
        f'<svg class="pl-chart pl-dist" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{attr(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{text(title)}</title>",
        f'<line class="pl-grid" x1="{left}" y1="{y(0):.1f}" x2="{width}" y2="{y(0):.1f}"/>',
    ]
    for i, rating in enumerate(ratings):
        bx, n = left + 20 + 70 * i, counts[rating]
        low, high = limits.get(rating, (None, None))
        over = (high is not None and n > high) or (low is not None and n < low)
        parts.append(
            f'<rect class="pl-barrect{" pl-over" if over else ""}" x="{bx}" y="{y(n):.1f}" '
            f'width="40" height="{y(0) - y(n):.1f}"><title>{text(rating)}: {n}</title></rect>'
            f'<text class="pl-axis" x="{bx + 20}" y="{height - 12}" text-anchor="middle">'
            f"{text(rating)}</text>"
            f'<text class="pl-axis" x="{bx + 20}" y="{y(n) - 3:.1f}" text-anchor="middle">'
            f"{n}</text>"
        )
        for bound, kind in ((high, "max"), (low, "min")):
            if bound is not None:
                parts.append(
                    f'<line class="pl-quota pl-{kind}" x1="{bx - 6}" y1="{y(bound):.1f}" '
                    f'x2="{bx + 46}" y2="{y(bound):.1f}"><title>{kind} {number(bound)}</title>'
                    "</line>"
                )
    parts.append("</svg>")
    return f'<figure class="pl-figure">{"".join(parts)}</figure>'
