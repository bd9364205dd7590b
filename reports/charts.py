"""Charts as inline SVG, computed in Python: scope burn-up, work items by status category, metric sparklines, the
roadmap timeline.

Every function is pure and returns ``Markup`` (safe to embed in an autoescaped template); every piece of text that
came from data is escaped here. Each chart carries ``role="img"``, a ``<title>`` and an ``aria-label`` so it reads
without its colours, and a ``data-testid`` for browser tests. Long series are thinned to at most
``MAX_POINTS`` points (first and last kept), so a chart's size does not grow with the history behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from markupsafe import Markup, escape

from schema.planning import TimelineRow, TimelineState
from schema.readiness import BurnupPoint, MetricSeries

MAX_POINTS = 240

CATEGORY_ORDER = ("todo", "in_progress", "done", "cancelled")
CATEGORY_COLOURS = {"todo": "#8c959f", "in_progress": "#0969da", "done": "#1a7f37", "cancelled": "#6e40c9"}
_OTHER_COLOUR = "#bf8700"
STATE_COLOURS = {
    TimelineState.DONE: "#1a7f37",
    TimelineState.ON_TRACK: "#0969da",
    TimelineState.AT_RISK: "#bf8700",
    TimelineState.BLOCKED: "#cf222e",
}
STATE_WORDS = {
    TimelineState.DONE: "done",
    TimelineState.ON_TRACK: "on track",
    TimelineState.AT_RISK: "at risk",
    TimelineState.BLOCKED: "blocked",
}
TIMELINE_ROWS = 40
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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


def _months(first: date, last: date) -> list[date]:
    day = date(first.year, first.month, 1)
    found = []
    while day <= last:
        if day >= first:
            found.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return found


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Axis:
    first: date
    span: int
    left: float
    width: float

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.span)

    def x(self, day: date) -> float:
        """Where ``day`` is; a day past the end of the axis is at its end."""
        return self.left + min((day - self.first).days, self.span) / self.span * self.width


def _timeline_row(row: TimelineRow, axis: _Axis, mid: float) -> str:
    colour = STATE_COLOURS[row.state]
    x = axis.x
    parts = [f'<text x="8" y="{mid + 4:.1f}">{escape(_short(row.label))}<title>{escape(row.label)}</title></text>']
    if row.start is not None and row.target is not None and row.start <= row.target:
        bar_w = max(x(row.target) - x(row.start), 2.0)
        parts.append(
            f'<rect x="{x(row.start):.1f}" y="{mid - 6:.1f}" width="{bar_w:.1f}" height="12" rx="3" '
            f'fill="{colour}" fill-opacity="0.75"/>'
        )
    if row.target is not None:
        tx = x(row.target)
        parts.append(
            f'<line x1="{tx:.1f}" y1="{mid - 9:.1f}" x2="{tx:.1f}" y2="{mid + 9:.1f}" stroke="{colour}" '
            'stroke-width="2"/>'
        )
    if row.forecast is not None:
        fx = x(row.forecast)
        if row.target is not None and row.forecast > row.target:
            parts.append(
                f'<line x1="{x(row.target):.1f}" y1="{mid:.1f}" x2="{fx:.1f}" y2="{mid:.1f}" stroke="{_FAIL}" '
                'stroke-width="2" stroke-dasharray="4 3"/>'
            )
        if row.forecast > axis.last:  # off the chart: an arrow at its edge, the date in words
            arrow = f"{fx - 6:.1f},{mid - 6:.1f} {fx + 4:.1f},{mid:.1f} {fx - 6:.1f},{mid + 6:.1f}"
            parts.append(f'<polygon points="{arrow}" fill="{colour}"/>')
        else:
            diamond = f"{fx:.1f},{mid - 6:.1f} {fx + 6:.1f},{mid:.1f} {fx:.1f},{mid + 6:.1f} {fx - 6:.1f},{mid:.1f}"
            parts.append(f'<polygon points="{diamond}" fill="#ffffff" stroke="{colour}" stroke-width="2"/>')
    if row.slipped:
        end = max(x(d) for d in (row.target, row.forecast) if d is not None)
        beyond = f" → {row.forecast.isoformat()}" if row.forecast and row.forecast > axis.last else ""
        note = f"slipped {row.slip_days} d{beyond}"
        parts.append(f'<text x="{end + 9:.1f}" y="{mid + 4:.1f}" fill="{_FAIL}">{note}</text>')
    state = STATE_WORDS[row.state] + (f", slipped {row.slip_days} days" if row.slipped else "")
    return (
        f'<g data-testid="timeline-row" data-state="{row.state.value}" data-slipped="{str(row.slipped).lower()}" '
        f'aria-label="{escape(row.label)}: {escape(state)}">{"".join(parts)}</g>'
    )


def timeline(rows: Sequence[TimelineRow], *, today: date, label: str, max_rows: int = TIMELINE_ROWS) -> Markup:
    """One row per roadmap item or release: a bar from start to target in its state's colour, a diamond at its
    forecast (a dashed red stretch when that is after the target; an arrow at the edge when it is off the chart), a
    red note on a slipped row, a line for today and month ticks; at most ``max_rows`` rows (a line says how many
    more)."""
    shown = list(rows[:max_rows])
    dates = [d for r in shown for d in (r.start, r.target, r.forecast) if d is not None]
    width, left, right, top, row_h = 960, 260, 180, 30, 26
    if not dates:
        empty = '<text x="8" y="34" class="muted">No roadmap item or release has a date yet.</text>'
        return _svg("chart-timeline", width, 60, f"{label}: nothing dated yet", [empty])
    # the axis spans every start and target and today, a month beyond; a later forecast points off its end
    planned = [d for r in shown for d in (r.start, r.target) if d is not None]
    first = min(*dates, today) - timedelta(days=3)
    last = max(*planned, today) + timedelta(days=30)
    axis = _Axis(first, max((last - first).days, 1), left, width - left - right)
    bottom = top + row_h * len(shown)
    more = len(rows) - len(shown)
    body: list[str] = []
    for month in _months(first, first + timedelta(days=axis.span)):
        mx = axis.x(month)
        body += [
            f'<line x1="{mx:.1f}" y1="{top - 6}" x2="{mx:.1f}" y2="{bottom}" stroke="#d0d7de"/>',
            f'<text x="{mx + 3:.1f}" y="{top - 10}" class="axis">{_MONTHS[month.month - 1]} {month.year}</text>',
        ]
    body += [_timeline_row(row, axis, top + i * row_h + row_h / 2) for i, row in enumerate(shown)]
    tx = axis.x(today)
    legend = "  ".join(f'<tspan fill="{STATE_COLOURS[st]}">■ {STATE_WORDS[st]}</tspan>' for st in TimelineState)
    body += [
        f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{bottom}" stroke="{_FAIL}" stroke-width="1.5" '
        'data-role="today"/>',
        f'<text x="{tx:.1f}" y="{bottom + 14}" text-anchor="middle" fill="{_FAIL}" class="axis">today '
        f"{today.isoformat()}</text>",
        f'<text x="8" y="{bottom + 32}" class="legend">{legend}  ◇ forecast  ┆ today</text>',
    ]
    if more:
        body.append(f'<text x="8" y="{bottom + 50}" class="muted">… and {more} more (see the roadmap table)</text>')
    summary = f"{label}: {len(rows)} rows, {sum(r.slipped for r in rows)} slipped; today {today.isoformat()}"
    return _svg("chart-timeline", width, bottom + (58 if more else 40), summary, body)


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
    "timeline",
]
