"""Objectives: what the roadmap is for. Each ties roadmap items to a KPI with a target and a date, and is judged on
three things, each with its evidence: the share of its work done, the forecast of its last item against its date
(the roadmap's throughput forecast, :mod:`sync.roadmap`), and the KPI's current value against its target.

Pure functions (:func:`objectives`) of the roadmap's statuses and the metric points; :func:`objectives_from_store`
gathers the points. ``[objectives.<name>]`` names its roadmap items by the roadmap's keys: a ``[roadmap.<name>]``
name, a Jira epic's key (``CHK-3``), a milestone as ``owner/repo@name``, or an item's record id.

An objective is **at risk** when any of these holds (each a reason it lists): a roadmap item it names is not on
the roadmap; it has no work; its last item's forecast lands after its date, or work remains with nothing finished
lately (no forecast); the KPI has no data in its window; its date has passed with the KPI short of the target. Else
it is **achieved** when the KPI meets its target and no work remains, and **on track** otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from statistics import fmean

from pydantic import BaseModel, ConfigDict, Field

from schema import MetricPoint
from schema.planning import (
    ForecastProgress,
    KpiProgress,
    ObjectiveProgress,
    ObjectivesReport,
    ObjectiveState,
    WorkProgress,
)
from schema.readiness import Evidence, RoadmapStatus
from sync.metrics import (
    MetricSelector,
    Op,
    compare,
    metric_points,
    point_evidence,
    selected,
    settled_until,
    window,
)
from sync.store import Store


class Kpi(MetricSelector):
    """``metric op target by date``, the value being the mean of the newest ``current_days`` days."""

    op: Op = ">="
    target: float
    by: date = Field(description="The date the target is to be met by: the objective's date.")
    current_days: int = Field(7, ge=1, description="Days of points averaged into the current value.")
    lag_days: int = Field(2, ge=0, description="Newest days left out (today is one): analytics numbers settle late.")


class ObjectiveConfig(BaseModel):
    """``[objectives.<name>]`` in pmhub.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    owner: str | None = None
    roadmap: list[str] = Field(default_factory=list, description="The roadmap items that serve it, by key.")
    kpi: Kpi


def _find(ref: str, statuses: Sequence[RoadmapStatus]) -> RoadmapStatus | None:
    wanted = ref.strip().casefold()
    return next((s for s in statuses if wanted in {(s.key or "").casefold(), s.id.casefold()}), None)


def _remaining(item: RoadmapStatus) -> bool:
    return item.category != "done" and item.items_done < item.items_total


def _work(items: Sequence[RoadmapStatus]) -> WorkProgress:
    done, total = sum(i.items_done for i in items), sum(i.items_total for i in items)
    points_done, points_total = sum(i.points_done for i in items), sum(i.points_total for i in items)
    share = points_done / points_total if points_total else (done / total if total else None)
    across = f"across {len(items)} roadmap item{'s' if len(items) != 1 else ''}"
    if points_total:
        summary = f"{share:.0%} done: {points_done:g}/{points_total:g} points, {done}/{total} items, {across}"
    elif total:
        summary = f"{share:.0%} done: {done}/{total} items, {across}"
    else:
        summary = f"no work {across}"
    evidence = [
        Evidence(
            record_id=i.id,
            label=i.title,
            detail=f"{i.category.replace('_', ' ')} · {i.items_done}/{i.items_total} items"
            + (" · at risk" if i.at_risk else ""),
        )
        for i in items
    ]
    return WorkProgress(
        items_done=done,
        items_total=total,
        points_done=points_done,
        points_total=points_total,
        share_done=share,
        summary=summary,
        evidence=evidence,
    )


def _forecast(items: Sequence[RoadmapStatus], by: date) -> ForecastProgress:
    open_items = [i for i in items if _remaining(i)]
    unknown = [i for i in open_items if i.forecast_date is None]
    dated = [i for i in open_items if i.forecast_date is not None]
    ordered = unknown + sorted(dated, key=lambda i: i.forecast_date or date.min, reverse=True)
    evidence = [
        Evidence(record_id=i.id, label=i.title, detail=f"forecast {i.forecast_date or 'none'} · {i.reason}".strip())
        for i in ordered
    ]
    if not open_items:
        summary = "No work left." if items else "No roadmap item serves it."
        return ForecastProgress(forecast_date=None, target_date=by, on_time=bool(items), summary=summary)
    if unknown:
        names = ", ".join(i.title for i in unknown)
        summary = f"No forecast: {names} has work left and nothing finished lately"
        return ForecastProgress(forecast_date=None, target_date=by, on_time=None, summary=summary, evidence=evidence)
    last = ordered[0].forecast_date or by
    on_time = last <= by
    summary = f"last item ({ordered[0].title}) forecast {last}, {'meets' if on_time else 'after'} {by}"
    return ForecastProgress(forecast_date=last, target_date=by, on_time=on_time, summary=summary, evidence=evidence)


def _kpi(kpi: Kpi, metrics: Iterable[MetricPoint], now: datetime) -> KpiProgress:
    end = settled_until(now, kpi.lag_days)
    start = end - timedelta(days=kpi.current_days)
    current = window(selected(kpi, metrics), start, end)
    goal = f"target {kpi.op} {kpi.target:g} by {kpi.by}"
    last = end - timedelta(days=1)
    if not current:
        summary = f"No {kpi.metric} data ({kpi.where()}) from {start:%Y-%m-%d} to {last:%Y-%m-%d}; {goal}"
        return KpiProgress(metric=kpi.metric, op=kpi.op, target=kpi.target, value=None, met=None, summary=summary)
    value = fmean(p.value for p in current)
    met = compare(value, kpi.op, kpi.target)
    days = len(current)
    summary = f"{kpi.metric} = {value:.4g} (mean of {days} day{'s' if days != 1 else ''} to {last:%Y-%m-%d}); {goal}"
    evidence = [point_evidence(current[-1])]
    return KpiProgress(
        metric=kpi.metric, op=kpi.op, target=kpi.target, value=value, met=met, summary=summary, evidence=evidence
    )


def objective(
    name: str, config: ObjectiveConfig, statuses: Sequence[RoadmapStatus], metrics: Sequence[MetricPoint], now: datetime
) -> ObjectiveProgress:
    found = {ref: _find(ref, statuses) for ref in config.roadmap}
    items = list({s.id: s for s in found.values() if s is not None}.values())
    work, forecast, kpi = _work(items), _forecast(items, config.kpi.by), _kpi(config.kpi, metrics, now)
    reasons: list[str] = []
    unresolved = [ref for ref, status in found.items() if status is None]
    if unresolved:
        reasons.append(f"not on the roadmap: {', '.join(unresolved)}")
    if not work.items_total:
        reasons.append("no work serves it")
    elif forecast.on_time is None:
        reasons.append(forecast.summary)
    elif not forecast.on_time:
        reasons.append(f"its last item's forecast {forecast.forecast_date} is after {config.kpi.by}")
    if kpi.value is None:
        reasons.append(f"no {kpi.metric} data")
    elif not kpi.met and config.kpi.by < now.date():
        reasons.append(f"{config.kpi.by} has passed with {kpi.metric} {kpi.value:.4g} short of {kpi.op} {kpi.target:g}")
    if reasons:
        state = ObjectiveState.AT_RISK
    elif kpi.met and not any(_remaining(i) for i in items):
        state = ObjectiveState.ACHIEVED
    else:
        state = ObjectiveState.ON_TRACK
    return ObjectiveProgress(
        id=name,
        title=config.title,
        owner=config.owner,
        target_date=config.kpi.by,
        state=state,
        reasons=reasons,
        work=work,
        forecast=forecast,
        kpi=kpi,
    )


def objectives(
    configs: Mapping[str, ObjectiveConfig],
    statuses: Sequence[RoadmapStatus],
    metrics: Iterable[MetricPoint],
    now: datetime,
) -> list[ObjectiveProgress]:
    """Every objective, in config order."""
    points = list(metrics)
    return [objective(name, config, statuses, points, now) for name, config in configs.items()]


def objectives_from_store(
    store: Store, configs: Mapping[str, ObjectiveConfig], statuses: Sequence[RoadmapStatus], now: datetime
) -> ObjectivesReport:
    points = metric_points(store, (c.kpi.metric for c in configs.values()))
    return ObjectivesReport(generated_at=now, objectives=objectives(configs, statuses, points, now))


__all__ = ["Kpi", "ObjectiveConfig", "objective", "objectives", "objectives_from_store"]
