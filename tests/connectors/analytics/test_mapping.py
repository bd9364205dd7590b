"""Vendor answers → raw points → metric points, on every analytics query fixture, and the request builders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.analytics.client import daily_query, hogql_daily
from connectors.analytics.config import AnalyticsMetric, AnalyticsSourceConfig
from connectors.analytics.mapping import (
    amplitude_series,
    complete_days,
    metric_point,
    mixpanel_series,
    posthog_series,
    ratio_series,
)
from sandbox.analytics.hogql import parse
from schema import BadDataError, Tool
from tests.support.paths import FIXTURES

SERIES = {"posthog": posthog_series, "amplitude": amplitude_series, "mixpanel": mixpanel_series}
FETCHED = datetime(2026, 11, 25, 12, tzinfo=UTC)

# file → (number of points, first point) for series; a rejection reason (substring) otherwise
EXPECTED: dict[str, tuple[int, dict[str, Any]] | str] = {
    "posthog/insights/get_insight.hogql_data_table.json": "no day column",
    "posthog/insights/get_insight.trends_line_legacy_filters.json": (8, {"x": "2022-03-04", "value": 0}),
    "posthog/query/async_query_status.json": "query still running (async)",
    "posthog/query/get_query_status.schema_example.json": "query still running (async)",
    "amplitude/dashboard/active_users.response.json": (
        4,
        {"x": "2017-08-14", "value": 46109, "series": "United States"},
    ),
    "amplitude/dashboard/average_session_length.response.json": (2, {"x": "2017-08-14", "value": 1204.0238276716443}),
    "amplitude/dashboard/average_sessions_per_user.response.json": (2, {"x": "2017-08-14", "value": 3.624536794878406}),
    # the vendor's own example lists one value per series for two xValues: which day it is cannot be known
    "amplitude/dashboard/event_segmentation.response.json": "`series` 0 has 1 values for 2 `xValues`",
    "amplitude/dashboard/events_list.response.json": "`data` is a list (an event list or funnel)",
    "amplitude/dashboard/funnels.response.json": "`data` is a list (an event list or funnel)",
    "amplitude/dashboard/session_length_distribution.response.json": "`xValues` are not dates",
    "amplitude/dashboard/user_composition.response.json": "`xValues` are not dates",
    "amplitude/dashboard/user_search.nomatch.response.json": "no `data` object",
    "amplitude/dashboard/user_search.response.json": "no `data` object",
    "mixpanel/query/cohorts_list.json": "a list",
    "mixpanel/query/engage_profiles.json": "a profiles list",
    "mixpanel/query/event_properties_aggregate.json": (3, {"x": "2010-05-29", "value": 6}),
    "mixpanel/query/event_properties_top.json": "a property report",
    "mixpanel/query/event_property_values_top.json": "a list",
    "mixpanel/query/events_aggregate_counts.json": (4, {"x": "2010-05-30", "value": 1, "series": "account-page"}),
    "mixpanel/query/events_top_names.json": "a list",
    "mixpanel/query/events_top_today.json": "a top-events list",
    "mixpanel/query/funnels.json": "a funnel report",
    "mixpanel/query/funnels_list.json": "a list",
    "mixpanel/query/insights.json": (4, {"x": "2020-08-31T00:00:00-07:00", "value": 9852, "series": "Logged in"}),
    "mixpanel/query/profile_event_activity.json": "`results` is not {date: number}",
    "mixpanel/query/retention.json": "a retention report",
    "mixpanel/query/retention_frequency.json": "a retention report",
    "mixpanel/query/segmentation.json": (4, {"x": "2011-08-06", "value": 147, "series": None}),
    "mixpanel/query/segmentation_average.json": (4, {"x": "2011-08-06", "value": 8.64705882352939}),
    "mixpanel/query/segmentation_numeric.json": (15, {"x": "2011-08-06", "value": 1, "series": "2,000 - 2,100"}),
    "mixpanel/query/segmentation_sum.json": (2, {"x": "2019-10-06", "value": 7}),
}


def _answers() -> list[str]:
    files = [p for tool in SERIES for p in (FIXTURES / tool).rglob("*.json") if ".request." not in p.name]
    return sorted(str(p.relative_to(FIXTURES)) for p in files)


def test_every_analytics_answer_fixture_has_an_expectation() -> None:
    assert _answers() == sorted(EXPECTED)


@pytest.mark.parametrize("name", _answers())
def test_fixture_maps_to_points_or_is_rejected_with_a_reason(name: str) -> None:
    raw = json.loads((FIXTURES / name).read_text())
    read = SERIES[name.split("/")[0]]
    expected = EXPECTED[name]
    if isinstance(expected, str):
        with pytest.raises(BadDataError) as caught:
            read(raw)
        assert expected in str(caught.value)
        return
    count, first = expected
    points = read(raw)
    assert len(points) == count
    assert {k: points[0][k] for k in first} == first
    metric = AnalyticsMetric(name="m", event="e")
    records = [
        metric_point(p, tool=Tool.MIXPANEL, project="1", metric=metric, zone=ZoneInfo("UTC"), fetched_at=FETCHED)
        for p in points
    ]
    assert len({r.id for r in records}) == count


def test_a_date_bucket_starts_at_midnight_in_the_project_time_zone() -> None:
    metric = AnalyticsMetric(name="daily_active_users", event="_active", measure="uniques")
    raw = {"x": "2017-08-14", "value": 46109, "series": None}
    point = metric_point(
        raw, tool=Tool.AMPLITUDE, project="350000", metric=metric, zone=ZoneInfo("Europe/Berlin"), fetched_at=FETCHED
    )
    assert point.bucket == datetime(2017, 8, 13, 22, tzinfo=UTC)
    assert point.bucket.utcoffset() is not None
    assert point.id == "amplitude:350000:metric:daily_active_users:2017-08-14T00:00:00+02:00"
    assert (point.value, point.updated, point.granularity, point.source.tool) == (
        46109.0,
        FETCHED,
        "day",
        Tool.AMPLITUDE,
    )


def test_a_datetime_bucket_keeps_the_offset_the_tool_wrote() -> None:
    points = mixpanel_series(json.loads((FIXTURES / "mixpanel/query/insights.json").read_text()))
    metric = AnalyticsMetric(name="logins", bookmark_id=1)
    point = metric_point(
        points[0], tool=Tool.MIXPANEL, project="7", metric=metric, zone=ZoneInfo("UTC"), fetched_at=FETCHED
    )
    assert point.bucket.isoformat() == "2020-08-31T00:00:00-07:00"
    assert point.dimensions == {"series": "Logged in"}


def test_filters_and_series_labels_become_dimensions_and_part_of_the_id() -> None:
    metric = AnalyticsMetric(name="errors", event="error", filters={"release": "2.4.0"})
    raw = {"x": "2026-11-01", "value": 3, "series": "ios"}
    point = metric_point(
        raw, tool=Tool.POSTHOG, project="1000", metric=metric, zone=ZoneInfo("UTC"), fetched_at=FETCHED
    )
    assert point.dimensions == {"release": "2.4.0", "series": "ios"}
    assert point.id.endswith(":release=2.4.0,series=ios")


def test_ratio_joins_by_day_and_a_zero_denominator_is_rejected_by_name() -> None:
    activated = [{"x": "2026-11-01", "value": 4, "series": None}, {"x": "2026-11-02", "value": 0, "series": None}]
    signed_up = [
        {"x": "2026-11-01T00:00:00Z", "value": 10, "series": None},
        {"x": "2026-11-02", "value": 0, "series": None},
    ]
    points = ratio_series(activated, signed_up)
    assert [(p["value"], p["numerator"], p["denominator"]) for p in points] == [(0.4, 4, 10), (None, 0, 0)]
    metric = AnalyticsMetric(name="activation_rate", event="activated", divide_by="signed_up")
    with pytest.raises(BadDataError, match="activation_rate at 2026-11-02: no numeric value"):
        metric_point(points[1], tool=Tool.POSTHOG, project="1", metric=metric, zone=ZoneInfo("UTC"), fetched_at=FETCHED)


def test_days_without_a_posthog_row_count_zero() -> None:
    points = [{"x": "2026-11-02T00:00:00Z", "value": 5, "series": None}]
    filled = complete_days(points, date(2026, 11, 1), date(2026, 11, 3))
    assert [(p["x"][:10], p["value"]) for p in filled] == [("2026-11-01", 0), ("2026-11-02", 5), ("2026-11-03", 0)]


def test_hogql_quotes_values_so_an_event_name_cannot_escape_its_string() -> None:
    text = hogql_daily("it's\\", "uniques", {"$feature/new-onboarding": "true"}, date(2026, 1, 1), date(2026, 1, 31))
    query = parse(text)
    assert (query.event, query.measure, query.start, query.end) == (
        "it's\\",
        "uniques",
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert query.properties == [("$feature/new-onboarding", "=", "true")]
    assert query.limit == 31


def _config(kind: str, **extra: Any) -> AnalyticsSourceConfig:
    return AnalyticsSourceConfig.model_validate(
        {
            "kind": kind,
            "project_id": "42",
            "api_key_env": "K",
            "secret_env": "S",
            "metrics": [{"name": "m", "event": "e"}],
            **extra,
        }
    )


def test_amplitude_any_active_distinct_users_use_the_active_users_chart() -> None:
    query = daily_query(_config("amplitude"), "_active", "uniques", {}, date(2026, 1, 1), date(2026, 1, 2))
    assert (query.path, query.params) == (
        "/api/2/users",
        {"start": "20260101", "end": "20260102", "i": "1", "m": "active"},
    )
    filtered = daily_query(
        _config("amplitude"), "error", "totals", {"release": "2.4.0"}, date(2026, 1, 1), date(2026, 1, 2)
    )
    assert filtered.path == "/api/2/events/segmentation"
    assert json.loads(filtered.params["e"])["filters"] == [
        {"subprop_type": "event", "subprop_key": "release", "subprop_op": "is", "subprop_value": ["2.4.0"]}
    ]


def test_mixpanel_where_escapes_quotes() -> None:
    query = daily_query(
        _config("mixpanel"), "error", "uniques", {"release": 'say "hi"'}, date(2026, 1, 1), date(2026, 1, 1)
    )
    assert query.params["where"] == 'properties["release"] == "say \\"hi\\""'
    assert (query.params["type"], query.params["project_id"]) == ("unique", "42")


def test_config_rejects_a_mixpanel_bookmark_on_another_tool_and_missing_secrets() -> None:
    with pytest.raises(ValueError, match="bookmark_id is for Mixpanel"):
        _config("posthog", metrics=[{"name": "m", "bookmark_id": 3}])
    with pytest.raises(ValueError, match="amplitude needs secret_env"):
        _config("amplitude", secret_env=None)
    with pytest.raises(ValueError, match="exactly one of event or bookmark_id"):
        AnalyticsMetric(name="m")
