"""Metric points as readiness, objectives and launch reviews read them: which points a selector takes, the points
of a window of days, the store's points of a few metrics, and a value judged against a threshold.

A :class:`MetricSelector` (``metric`` plus optional ``tool``, ``project`` and exact ``dimensions``) is the one way
every configured metric — a guardrail, an objective's KPI, a metric a launch review tracks — names its points.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schema import MetricPoint, Release, Tool
from schema.evidence import Evidence
from sync.store import Store

Op = Literal["<=", ">=", "<", ">"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


def compare(value: float, op: Op, threshold: float) -> bool:
    """``value op threshold``, e.g. ``compare(0.02, "<=", 0.05)``."""
    return _OPS[op](value, threshold)


class MetricSelector(BaseModel):
    """Which metric points count: one metric, optionally from one tool, one project, with exactly these dimensions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    tool: Tool | None = Field(None, description="Only points from this analytics tool.")
    project: str | None = Field(None, description="Only points from this analytics project (its id).")
    dimensions: dict[str, str] = Field(default_factory=dict, description="Only points with exactly these.")

    def selects(self, point: MetricPoint) -> bool:
        return (
            point.metric == self.metric
            and (self.tool is None or point.source.tool is self.tool)
            and (self.project is None or point.source.instance == self.project)
            and point.dimensions == self.dimensions
        )

    def where(self) -> str:
        """The tool and project the points come from, as a person reads it: ``posthog 1000``, or ``any``."""
        parts = [p for p in (self.tool.value if self.tool else None, self.project) if p]
        parts += [f"{k}={v}" for k, v in sorted(self.dimensions.items())]
        return " ".join(parts) or "any"


def covers(projects: Iterable[str], release: Release) -> bool:
    """Whether a list of Jira project keys / GitHub repos (``applies_to``) covers ``release``; ``[]`` covers all."""
    wanted = {p.casefold() for p in projects}
    return not wanted or release.project.casefold() in wanted


def selected(selector: MetricSelector, points: Iterable[MetricPoint]) -> list[MetricPoint]:
    """The points ``selector`` takes, oldest first."""
    return sorted((p for p in points if selector.selects(p)), key=lambda p: p.bucket)


def settled_until(now: datetime, lag_days: int) -> datetime:
    """The end of the settled days (UTC midnight): today's bucket is in with ``lag_days`` 0, out with 1, yesterday's
    out too with 2, and so on."""
    return datetime.combine(now.astimezone(UTC).date() - timedelta(days=lag_days - 1), time(), UTC)


def window(points: Sequence[MetricPoint], start: datetime, end: datetime) -> list[MetricPoint]:
    """The points whose bucket starts in ``[start, end)``."""
    return [p for p in points if start <= p.bucket < end]


def point_evidence(point: MetricPoint) -> Evidence:
    """A metric point as evidence: ``error_rate 2026-11-24`` — ``0.0153``."""
    return Evidence(record_id=point.id, label=f"{point.metric} {point.bucket:%Y-%m-%d}", detail=f"{point.value:g}")


def metric_points(store: Store, names: Iterable[str]) -> list[MetricPoint]:
    """Every stored point of the named metrics (none read when no name is given)."""
    wanted = set(names)
    if not wanted:
        return []
    return [r for r in store.records.iter(kind="metric") if isinstance(r, MetricPoint) and r.metric in wanted]


__all__ = [
    "MetricSelector",
    "Op",
    "compare",
    "covers",
    "metric_points",
    "point_evidence",
    "selected",
    "settled_until",
    "window",
]
