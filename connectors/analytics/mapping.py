"""Analytics answers → metric points, as pure functions.

Two steps, so a mapping fix can be replayed over stored raw payloads without calling the tool:

1. ``posthog_series`` / ``amplitude_series`` / ``mixpanel_series`` read a tool's answer into *raw points*
   ``{"x": <the bucket as the tool wrote it>, "value": <number>, "series": <label or None>}``, or raise
   :class:`BadDataError` naming why the answer is not a daily metric series (a funnel, a list, an async status …);
2. :func:`metric_point` turns one raw point (the payload kept with the record) into a :class:`MetricPoint`.

``series`` labels a point only when the answer holds several series (a group-by); it becomes a dimension. A day
without a number (``null``) is still a point of the series: :func:`metric_point` rejects it alone, naming it, and the
other days of the answer are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from numbers import Real
from typing import Any
from zoneinfo import ZoneInfo

from connectors import shape
from connectors.analytics.config import AnalyticsMetric
from schema import BadDataError, MetricPoint, SourceRef, Tool, ids

RawPoint = dict[str, Any]


def _is_day(value: object) -> bool:
    if not isinstance(value, str) or len(value) < 10:
        return False
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _number_or_none(value: object) -> bool:
    return value is None or _number(value)


def _answer(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise BadDataError(f"not a metric series: expected a JSON object, got {shape.kind_of(raw)}")
    return raw


def _aligned(days: object, values: object, what: str) -> list[tuple[Any, Any]]:
    """Days and their values, one each: a series that does not line up cannot say which value is which day's."""
    if not isinstance(days, list) or not isinstance(values, list):
        raise BadDataError(
            f"{what}: days and values must be arrays, got {shape.kind_of(days)} and {shape.kind_of(values)}"
        )
    if len(days) != len(values):
        raise BadDataError(f"{what} has {len(values)} values for {len(days)} days")
    return list(zip(days, values, strict=True))


def _labelled(rows: Sequence[tuple[str, object, str | None]]) -> list[RawPoint]:
    several = len({label for _, _, label in rows}) > 1
    return [{"x": x, "value": v, "series": label if several else None} for x, v, label in rows]


def posthog_series(raw: Mapping[str, Any]) -> list[RawPoint]:
    """A HogQL query answer (``columns`` + positional ``results``) or a trends insight (``result[].days``)."""
    raw = _answer(raw)
    status = raw.get("query_status")
    if raw.get("results") is None and isinstance(status, Mapping) and not status.get("complete"):
        raise BadDataError("query still running (async): poll query_status.id, no results yet")
    result = raw.get("result")
    if isinstance(result, list) and all(isinstance(r, Mapping) and "days" in r for r in result):
        return _labelled(
            [
                (d, v, str(r.get("label")))
                for index, r in enumerate(result)
                for d, v in _aligned(r.get("days"), r.get("data"), f"`result` {index} (`days`, `data`)")
            ]
        )
    rows, columns = raw.get("results", result), raw.get("columns")
    if not isinstance(rows, list) or not isinstance(columns, list):
        raise BadDataError("not a query response: no `columns` and `results` (nor a `query_status` still running)")
    if not all(isinstance(row, list) and len(row) == len(columns) for row in rows):
        raise BadDataError(f"`results` rows must be arrays of one value per column ({len(columns)} `columns`)")
    width = range(len(columns))
    day = next((i for i in width if rows and all(_is_day(row[i]) for row in rows)), None)
    if day is None and rows:
        raise BadDataError(f"no day column: not a time series (`columns` {columns})")
    value = next(
        (
            i
            for i in width
            if i != day and rows and all(_number_or_none(row[i]) for row in rows) and any(_number(r[i]) for r in rows)
        ),
        None,
    )
    if rows and value is None:
        raise BadDataError(f"no numeric column beside the day (`columns` {columns})")
    labels = [i for i in width if i not in (day, value)]
    return _labelled(
        [(row[day], row[value], " / ".join(str(row[i]) for i in labels) or None) for row in rows]
        if day is not None and value is not None
        else []
    )


def amplitude_series(raw: Mapping[str, Any]) -> list[RawPoint]:
    """Dashboard REST ``data.series`` (one list per segment) over ``data.xValues`` dates."""
    data = _answer(raw).get("data")
    if not isinstance(data, Mapping):
        kind = "`data` is a list (an event list or funnel)" if isinstance(data, list) else "no `data` object"
        raise BadDataError(f"not a metric series: {kind}")
    x_values, series = data.get("xValues"), data.get("series")
    if not isinstance(x_values, list) or not isinstance(series, list):
        raise BadDataError("not a metric series: no `data.series` over `data.xValues`")
    if not all(_is_day(x) for x in x_values):
        raise BadDataError(f"`xValues` are not dates (a distribution or composition): {x_values[:3]}")
    labels = data.get("seriesLabels") or data.get("seriesMeta") or []
    labels = labels if isinstance(labels, list) else []
    rows = []
    for index, values in enumerate(series):
        if not isinstance(values, list) or len(values) != len(x_values):
            count = len(values) if isinstance(values, list) else shape.kind_of(values)
            raise BadDataError(f"`series` {index} has {count} values for {len(x_values)} `xValues`")
        label = labels[index] if index < len(labels) else index
        name = str(label.get("segmentIndex")) if isinstance(label, Mapping) else str(label)
        rows += [(x, v, name) for x, v in zip(x_values, values, strict=True)]
    return _labelled(rows)


def mixpanel_series(raw: Mapping[str, Any] | list[Any]) -> list[RawPoint]:
    """Insights ``series``, segmentation ``data.values`` or ``results`` — each ``{label: {date: number}}``."""
    if not isinstance(raw, Mapping):
        raise BadDataError("not a metric series: a list (names, cohorts or funnels)")
    data = raw.get("data")
    if isinstance(raw.get("series"), Mapping):
        where, by_label = "series", raw["series"]
    elif isinstance(data, Mapping) and isinstance(data.get("values"), Mapping):
        where, by_label = "data.values", data["values"]
    elif isinstance(raw.get("results"), Mapping):
        where, by_label = "results", {None: raw["results"]}
    else:
        kind = _mixpanel_kind(raw)
        raise BadDataError(
            f"not a metric series: {kind} without `series`, `data.values` or `results` of {{label: {{date: number}}}}"
        )
    rows = []
    for label, points in by_label.items():
        if not isinstance(points, Mapping) or not all(_is_day(x) and _number_or_none(v) for x, v in points.items()):
            named = where if label is None else f"{where}.{label}"
            raise BadDataError(f"not a metric series: `{named}` is not {{date: number}}")
        rows += [(x, v, label) for x, v in sorted(points.items())]
    return _labelled(rows)


def _mixpanel_kind(raw: Mapping[str, Any]) -> str:
    data = raw.get("data")
    if isinstance(data, Mapping) and any(isinstance(v, Mapping) and "steps" in v for v in data.values()):
        return "a funnel report"
    if all(_is_day(k) for k in (data if isinstance(data, Mapping) else raw)):
        return "a retention report"
    if isinstance(raw.get("events"), list):
        return "a top-events list"
    if isinstance(raw.get("results"), list):
        return "a profiles list"
    return "a property report"


def ratio_series(numerator: Iterable[RawPoint], denominator: Iterable[RawPoint]) -> list[RawPoint]:
    """Points of ``numerator / denominator`` joined by bucket and series; a zero denominator gives ``None``."""
    below = {(p["x"][:10], p["series"]): p["value"] for p in denominator}
    return [
        {
            "x": p["x"],
            "value": p["value"] / below[key] if below.get(key) else None,
            "series": p["series"],
            "numerator": p["value"],
            "denominator": below.get(key),
        }
        for p in numerator
        if (key := (p["x"][:10], p["series"])) in below
    ]


def complete_days(points: list[RawPoint], first: date, last: date) -> list[RawPoint]:
    """``points`` of an ungrouped series with a zero for each missing day (ClickHouse has no row for those)."""
    seen = {p["x"][:10] for p in points}
    missing = [
        {"x": day.isoformat(), "value": 0, "series": None}
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
        if day.isoformat() not in seen
    ]
    return sorted([*points, *missing], key=lambda p: str(p["x"]))


def bucket_of(x: str, zone: ZoneInfo) -> datetime:
    """The bucket start: a date is midnight in the project's zone; a datetime keeps its own offset."""
    if len(x) == 10:
        return datetime.combine(date.fromisoformat(x), time(), zone)
    moment = datetime.fromisoformat(x.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def metric_point(
    raw: RawPoint, *, tool: Tool, project: str, metric: AnalyticsMetric, zone: ZoneInfo, fetched_at: datetime
) -> MetricPoint:
    """One raw point as a record; ``fetched_at`` is its ``updated`` so a re-read of a settling day wins."""
    if not _number(raw.get("value")):
        raise BadDataError(f"{metric.name} at {raw.get('x')}: no numeric value ({raw.get('value')!r:.40})")
    try:
        bucket = bucket_of(str(raw["x"]), zone)
    except ValueError:
        raise BadDataError(f"{metric.name}: the day {raw['x']!r:.40} is neither a date nor an instant") from None
    dimensions = {**metric.filters, **({"series": str(raw["series"])} if raw.get("series") is not None else {})}
    record_id = ids.metric(tool.value, project, metric.name, bucket, dimensions)
    return MetricPoint(
        id=record_id,
        source=SourceRef(tool=tool, instance=project, native_id=record_id.split(":metric:", 1)[1]),
        updated=fetched_at,
        metric=metric.name,
        bucket=bucket,
        granularity="day",
        value=float(raw["value"]),
        dimensions=dimensions,
    )
