"""Charts as inline SVG, computed in Python: scope burn-up, work items by status category, metric sparklines.

Every function is pure and returns ``Markup`` (safe to embed in an autoescaped template); every piece of text that
came from data is escaped here. Each chart carries ``role="img"``, a ``<title>`` and an ``aria-label`` so it reads
without its colours, and a ``data-testid`` for browser tests. Long series are thinned to at most
``MAX_POINTS`` points (first and last kept), so a chart's size does not grow with the history behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from markupsafe import Markup, escape

from schema.readiness import BurnupPoint, MetricSeries

MAX_POINTS = 240

CATEGORY_ORDER = ("todo", "in_progress", "done", "cancelled")
CATEGORY_COLOURS = {"todo": "#8c959f", "in_progress": "#0969da", "done": "#1a7f37", "cancelled": "#6e40c9"}
_OTHER_COLOUR = "#bf8700"
_DONE = "#1a7f37"
_SCOPE = "#57606a"
_FAIL = "#cf222e"
_LINE = "#0969da"

T = TypeVar("T")


def number(value: float) -> str:
    """A figure as a person writes it: 12, 12.5, 0.031, 1,250."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def thin(items: Sequence[T], limit: int = MAX_POINTS) -> list[T]:
    """At most ``limit`` evenly spaced items, always keeping the first and the last."""
    if len(items) <= limit:
        return list(items)
    step = (len(items) - 1) / (limit - 1)
    return [items[round(i * step)] for i in range(limit)]


OP_SYMBOLS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}


def op_symbol(op: str) -> str:
    return OP_SYMBOLS.get(op, op)


def meets(value: float, op: str | None, threshold: float | None) -> bool | None:
    """Whether ``value`` satisfies the threshold; None when there is no threshold to apply."""
    if threshold is None or op is None:
        return None
    checks = {"<=": value <= threshold, ">=": value >= threshold, "<": value < threshold, ">": value > threshold}
    return checks.get(op)


def _svg(testid: str, width: int, height: int, label: str, body: list[str]) -> Markup:
    title = escape(label)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" data-testid="{escape(testid)}" role="img" '
        f'aria-label="{title}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'class="chart"><title>{title}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  # every data-derived string is escaped above


def _points(coords: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


def burnup(points: Sequence[BurnupPoint], *, label: str, release_date: date | None = None) -> Markup:
    """Done vs total scope over days; a dashed vertical line marks the release date when it is in range."""
    width, height, left, right, top, bottom = 600, 240, 48, 16, 16, 40
    if not points:
        return _svg(
            "chart-burnup",
            width,
            60,
            f"{label}: no burn-up history yet",
            ['<text x="8" y="34" class="muted">No burn-up history yet.</text>'],
        )
    series = thin(sorted(points, key=lambda p: p.day))
    first, last = series[0].day.toordinal(), series[-1].day.toordinal()
    span = max(last - first, 1)
    peak = max(max(p.total for p in series), max(p.done for p in series), 1.0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + (day.toordinal() - first) / span * plot_w

    def y(value: float) -> float:
        return top + plot_h - value / peak * plot_h

    done = [(x(p.day), y(p.done)) for p in series]
    total = [(x(p.day), y(p.total)) for p in series]
    area = [(done[0][0], y(0)), *done, (done[-1][0], y(0))]
    end = series[-1]
    body = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#d0d7de"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0):.1f}" stroke="#d0d7de"/>',
    ]
    for tick in (0.0, peak / 2, peak):
        body.append(
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="axis">{escape(number(tick))}</text>'
        )
    body += [
        f'<polygon points="{_points(area)}" fill="{_DONE}" fill-opacity="0.12"/>',
        f'<polyline points="{_points(total)}" fill="none" stroke="{_SCOPE}" stroke-width="2" stroke-dasharray="6 4"/>',
        f'<polyline points="{_points(done)}" fill="none" stroke="{_DONE}" stroke-width="2.5"/>',
        f'<text x="{left}" y="{height - 22}" class="axis">{escape(series[0].day.isoformat())}</text>',
        f'<text x="{width - right}" y="{height - 22}" text-anchor="end" class="axis">'
        f"{escape(end.day.isoformat())}</text>",
        f'<text x="{left}" y="{height - 4}" class="legend"><tspan fill="{_DONE}">━ done '
        f'{escape(number(end.done))}</tspan>  <tspan fill="{_SCOPE}">┅ scope {escape(number(end.total))}</tspan>'
        "</text>",
    ]
    if release_date is not None and first <= release_date.toordinal() <= last:
        rx = x(release_date)
        body += [
            f'<line x1="{rx:.1f}" y1="{top}" x2="{rx:.1f}" y2="{y(0):.1f}" stroke="{_FAIL}" stroke-dasharray="3 3"/>',
            f'<text x="{rx - 4:.1f}" y="{top + 10}" text-anchor="end" class="axis">release</text>',
        ]
    summary = f"{label}: {number(end.done)} of {number(end.total)} done on {end.day.isoformat()}"
    return _svg("chart-burnup", width, height, summary, body)


def categories(by_category: dict[str, int], *, label: str) -> Markup:
    """One horizontal bar per status category, known categories first, each labelled with its count."""
    names = [c for c in CATEGORY_ORDER if c in by_category] + sorted(set(by_category) - set(CATEGORY_ORDER))
    row, left, width = 26, 110, 480
    height = max(len(names), 1) * row + 8
    peak = max(by_category.values(), default=0) or 1
    bar_w = width - left - 70
    body: list[str] = []
    for i, name in enumerate(names):
        count = by_category[name]
        top = 4 + i * row
        length = max(count / peak * bar_w, 1.0 if count else 0.0)
        colour = CATEGORY_COLOURS.get(name, _OTHER_COLOUR)
        body += [
            f'<text x="{left - 8}" y="{top + 15}" text-anchor="end" class="axis">'
            f"{escape(name.replace('_', ' '))}</text>",
            f'<rect x="{left}" y="{top}" width="{length:.1f}" height="{row - 8}" rx="3" fill="{colour}"/>',
            f'<text x="{left + length + 6:.1f}" y="{top + 15}" class="axis">{escape(number(count))}</text>',
        ]
    if not names:
        body.append('<text x="8" y="20" class="muted">No work items.</text>')
    described = ", ".join(f"{n.replace('_', ' ')} {by_category[n]}" for n in names) or "no work items"
    return _svg("chart-categories", width, max(height, 30), f"{label}: {described}", body)


def sparkline(series: MetricSeries) -> Markup:
    """A metric's recent values with its threshold as a dashed line; the last value is marked and labelled."""
    width, height, pad = 240, 48, 4
    if not series.points:
        return _svg(
            f"chart-metric-{series.metric}",
            width,
            height,
            f"{series.metric}: no data",
            [f'<text x="{pad}" y="28" class="muted">no data</text>'],
        )
    values = thin(sorted(series.points, key=lambda p: p[0]))
    stamps = [t.timestamp() for t, _ in values]
    levels = [v for _, v in values]
    if series.threshold is not None:
        levels.append(series.threshold)
    low, high = min(levels), max(levels)
    spread = (high - low) or 1.0
    start, span = stamps[0], (stamps[-1] - stamps[0]) or 1.0

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - low) / spread)

    coords = [(pad + (s - start) / span * (width - 2 * pad), y(v)) for s, (_, v) in zip(stamps, values, strict=True)]
    last = values[-1][1]
    ok = meets(last, series.op, series.threshold)
    colour = _FAIL if ok is False else _LINE
    body = []
    if series.threshold is not None:
        ty = y(series.threshold)
        body.append(
            f'<line x1="{pad}" y1="{ty:.1f}" x2="{width - pad}" y2="{ty:.1f}" stroke="{_FAIL}" '
            'stroke-dasharray="4 3" stroke-width="1" data-role="threshold"/>'
        )
    body += [
        f'<polyline points="{_points(coords)}" fill="none" stroke="{colour}" stroke-width="1.8"/>',
        f'<circle cx="{coords[-1][0]:.1f}" cy="{coords[-1][1]:.1f}" r="3" fill="{colour}"/>',
    ]
    rule = (
        f", threshold {op_symbol(series.op)} {number(series.threshold)}"
        if series.threshold is not None and series.op
        else ""
    )
    verdict = {True: " (meets threshold)", False: " (breaches threshold)", None: ""}[ok]
    label = f"{series.metric}: last {number(last)}{rule}{verdict}"
    return _svg(f"chart-metric-{series.metric}", width, height, label, body)


__all__ = [
    "CATEGORY_ORDER",
    "MAX_POINTS",
    "OP_SYMBOLS",
    "burnup",
    "categories",
    "meets",
    "number",
    "op_symbol",
    "sparkline",
    "thin",
]
