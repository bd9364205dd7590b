"""Objectives: the share of their work done, the forecast of their last item against their date and the KPI against
its target, each with evidence; and the sandbox's objectives in the state the world seeds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from schema import MetricPoint, Tool
from schema.planning import ObjectiveState
from schema.readiness import RoadmapStatus
from sync.metrics import Op
from sync.objectives import Kpi, ObjectiveConfig, objective, objectives_from_store
from sync.roadmap import roadmap_from_store
from tests.conftest import Synced
from tests.sync.builders import NOW, metric

TODAY = NOW.date()


def status(
    key: str,
    *,
    done: int = 2,
    total: int = 4,
    forecast: date | None = None,
    category: str = "in_progress",
    points: tuple[float, float] = (0, 0),
) -> RoadmapStatus:
    return RoadmapStatus(
        id=f"pmhub:roadmap:{key}",
        key=key,
        title=key.title(),
        category=category,
        items_done=done,
        items_total=total,
        points_done=points[0],
        points_total=points[1],
        forecast_date=forecast,
    )


def config(*roadmap: str, target: float = 0.5, by: date | None = None, op: Op = ">=") -> ObjectiveConfig:
    by = by or TODAY + timedelta(days=30)
    kpi = Kpi(metric="activation", op=op, target=target, by=by, lag_days=1)
    return ObjectiveConfig(title="More shoppers activate", owner="ada", roadmap=list(roadmap), kpi=kpi)


def activation(value: float, days: int = 7) -> list[MetricPoint]:
    return [metric("activation", value, TODAY - timedelta(days=n)) for n in range(1, days + 1)]


def test_an_objective_whose_items_end_in_time_is_on_track_with_its_evidence() -> None:
    items = [
        status("search", forecast=TODAY + timedelta(days=10)),
        status("checkout", done=1, total=1, category="done"),
    ]
    found = objective("conversion", config("search", "checkout"), items, activation(0.42), NOW)
    assert found.state is ObjectiveState.ON_TRACK
    assert found.reasons == []
    assert (found.work.items_done, found.work.items_total, found.work.share_done) == (3, 5, 0.6)
    assert found.work.summary == "60% done: 3/5 items, across 2 roadmap items"
    assert [e.label for e in found.work.evidence] == ["Search", "Checkout"]
    assert (found.forecast.forecast_date, found.forecast.on_time) == (TODAY + timedelta(days=10), True)
    assert found.forecast.evidence[0].label == "Search"
    assert found.kpi.value == pytest.approx(0.42)
    assert found.kpi.met is False
    assert found.kpi.summary.startswith("activation = 0.42 (mean of 7 days to 2026-11-19); target >= 0.5 by")
    assert found.kpi.evidence[0].label == "activation 2026-11-19"


def test_the_share_done_is_in_points_when_the_work_has_any() -> None:
    items = [status("search", done=1, total=4, points=(8, 10), forecast=TODAY)]
    found = objective("x", config("search"), items, activation(0.6), NOW)
    assert found.work.share_done == 0.8
    assert found.work.summary.startswith("80% done: 8/10 points, 1/4 items")


def test_a_last_item_forecast_after_the_date_puts_it_at_risk() -> None:
    items = [status("a", forecast=TODAY + timedelta(days=5)), status("b", forecast=TODAY + timedelta(days=40))]
    found = objective("x", config("a", "b"), items, activation(0.6), NOW)
    assert found.state is ObjectiveState.AT_RISK
    assert found.forecast.forecast_date == TODAY + timedelta(days=40)
    last, due = TODAY + timedelta(days=40), TODAY + timedelta(days=30)
    assert found.reasons == [f"its last item's forecast {last} is after {due}"]
    assert [e.label for e in found.forecast.evidence] == ["B", "A"], "the item that ends last comes first"


def test_work_left_with_no_forecast_a_missing_item_and_no_kpi_data_are_each_a_reason() -> None:
    found = objective("x", config("stalled", "ghost"), [status("stalled")], [], NOW)
    assert found.state is ObjectiveState.AT_RISK
    assert found.reasons == [
        "not on the roadmap: ghost",
        "No forecast: Stalled has work left and nothing finished lately",
        "no activation data",
    ]
    assert found.kpi.value is None


def test_a_passed_date_with_the_kpi_short_is_at_risk_and_a_met_kpi_with_the_work_done_is_achieved() -> None:
    done = [status("a", done=3, total=3, category="done")]
    late = objective("x", config("a", by=TODAY - timedelta(days=1)), done, activation(0.4), NOW)
    assert late.state is ObjectiveState.AT_RISK
    assert late.reasons == [f"{TODAY - timedelta(days=1)} has passed with activation 0.4 short of >= 0.5"]
    achieved = objective("x", config("a"), done, activation(0.55), NOW)
    assert (achieved.state, achieved.forecast.summary) == (ObjectiveState.ACHIEVED, "No work left.")
    lower = objective("x", config("a", target=0.02, op="<="), done, activation(0.01), NOW)
    assert lower.kpi.met is True


def test_no_roadmap_item_at_all_is_at_risk() -> None:
    found = objective("x", config(), [], activation(0.6), NOW)
    assert (found.state, found.reasons) == (ObjectiveState.AT_RISK, ["no work serves it"])


def test_the_kpi_reads_only_the_points_its_selector_takes_within_its_window() -> None:
    points = [
        *activation(0.5),
        metric("activation", 0.9, TODAY - timedelta(days=1), tool=Tool.AMPLITUDE),
        metric("activation", 0.1, TODAY - timedelta(days=30)),
    ]
    kpi = Kpi(metric="activation", target=0.5, by=TODAY, tool=Tool.POSTHOG, current_days=7, lag_days=0)
    found = objective("x", ObjectiveConfig(title="t", roadmap=["a"], kpi=kpi), [status("a")], points, NOW)
    assert found.kpi.value == pytest.approx(0.5)


# ------------------------------------------------------------------------------------- the synced sandbox (HTTP)


def test_the_sandboxs_objectives_are_in_the_state_the_world_seeds(synced: Synced) -> None:
    cfg, world = synced.settings, synced.sandbox.world
    now = world.now
    roadmap = roadmap_from_store(synced.store, cfg.roadmap_items, cfg.roadmap_rules, now)
    report = objectives_from_store(synced.store, cfg.objectives, roadmap, now)
    assert {o.id: o.state.value for o in report.objectives} == {g.key: g.expected for g in world.objectives}
    assert sorted(g.expected for g in world.objectives) == ["at_risk", "on_track"]
    for found in report.objectives:
        assert found.kpi.value is not None, found.kpi.summary
        assert found.work.items_total > 0
        assert found.work.evidence
        assert found.forecast.evidence
        assert found.kpi.evidence
    [at_risk] = [o for o in report.objectives if o.state is ObjectiveState.AT_RISK]
    assert at_risk.reasons[0].startswith("its last item's forecast")
