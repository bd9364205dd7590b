"""Analytics sources against the sandbox over real HTTP: full and incremental reads, late numbers, auth, faults."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.analytics.source import AnalyticsSource
from connectors.base import Page
from connectors.http import RetryPolicy
from sandbox.analytics import TOOLS, AnalyticsSandbox, AnalyticsTool, create_sandbox
from sandbox.faults import FaultPlan
from sandbox.world import build_world
from schema import AuthError, MetricPoint, RefusedError
from serving import ServedApp

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
METRICS: list[dict[str, Any]] = [
    {"name": "daily_active_users", "event": "app_opened", "measure": "uniques"},
    {"name": "activation_rate", "event": "activated", "measure": "uniques", "divide_by": "signed_up"},
    {"name": "errors", "event": "error", "filters": {"release": "2.3.0"}},
    {"name": "errors", "event": "error", "filters": {"$feature/new-onboarding": "true"}},
]


@dataclass
class Harness:
    tool: AnalyticsTool
    sandbox: AnalyticsSandbox
    url: str
    now: list[datetime] = field(default_factory=lambda: [NOW])

    @property
    def project(self) -> Any:
        return self.sandbox.data.projects[0]

    def source(
        self, metrics: list[dict[str, Any]] = METRICS, *, key: str | None = None, **policy: Any
    ) -> AnalyticsSource:
        p, options = self.project, self.sandbox.data.options
        project_id = {"posthog": p.posthog_id, "amplitude": p.amplitude_id, "mixpanel": p.mixpanel_id}[self.tool]
        config = AnalyticsSourceConfig.model_validate(
            {
                "kind": self.tool,
                "base_url": self.url,
                "project_id": str(policy.pop("project_id", project_id)),
                "api_key_env": "PMHUB_ANALYTICS_KEY",
                "secret_env": "PMHUB_ANALYTICS_SECRET",
                "metrics": metrics,
            }
        )
        default_key = {"posthog": options.posthog_api_key, "amplitude": p.amplitude_api_key}
        secret = {"amplitude": options.amplitude_secret_key, "mixpanel": options.mixpanel_secret}.get(self.tool)
        retry = RetryPolicy(self.tool, "PMHUB_ANALYTICS_KEY", sleep=lambda _: None, **policy) if policy else None
        return AnalyticsSource(
            "product-analytics",
            config,
            key or default_key.get(self.tool, options.mixpanel_username),
            secret,
            policy=retry,
            clock=lambda: self.now[0],
        )

    def expected(self, metric: dict[str, Any], first: date, last: date) -> dict[tuple[str, date, str], float]:
        data, product = self.sandbox.data, self.project.product
        filters = metric.get("filters", {})

        def where(properties: Any) -> bool:
            return all(properties.get(k) == v for k, v in filters.items())

        def series(event: str) -> dict[date, int]:
            return data.series(product, event, first, last, metric.get("measure", "totals"), where)

        top = series(metric["event"])
        below = series(metric["divide_by"]) if "divide_by" in metric else dict.fromkeys(top, 1)
        dims = ",".join(f"{k}={v}" for k, v in filters.items())
        return {(metric["name"], day, dims): top[day] / below[day] for day in top if below[day]}


@pytest.fixture(params=TOOLS)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    sandbox = create_sandbox(build_world(now=NOW), plan=FaultPlan(seed=11))
    with ServedApp(sandbox.apps[request.param]) as served:
        yield Harness(request.param, sandbox, served.url)


def _read(
    source: AnalyticsSource, cursors: dict[str, str | None] | None = None
) -> tuple[list[Page], dict[str, str | None]]:
    pages, after = [], {}
    for stream in source.streams():
        cursor = (cursors or {}).get(stream.name)
        for page in stream.pages(cursor):
            pages.append(page)
            cursor = page.cursor or cursor
        after[stream.name] = cursor
    return pages, after


def _values(pages: list[Page]) -> dict[tuple[str, date, str], float]:
    points = [m.record for page in pages for m in page.records]
    assert all(isinstance(p, MetricPoint) for p in points)
    return {
        (p.metric, p.bucket.date(), ",".join(f"{k}={v}" for k, v in p.dimensions.items())): p.value
        for p in points
        if isinstance(p, MetricPoint)
    }


def test_full_read_equals_the_generated_metrics(harness: Harness) -> None:
    pages, cursors = _read(harness.source())
    first = NOW.date() - timedelta(days=119)
    expected = {k: v for metric in METRICS for k, v in harness.expected(metric, first, NOW.date()).items()}
    assert _values(pages) == pytest.approx(expected)
    assert len(expected) == 4 * 120
    assert not [r for page in pages for r in page.rejected]
    assert set(cursors.values()) == {f'{{"through": "{NOW.date()}"}}'}


def test_incremental_read_rereads_only_the_lag_window(harness: Harness) -> None:
    source = harness.source(METRICS[:1])
    _, cursors = _read(source)
    data, product = harness.sandbox.data, harness.project.product
    yesterday, last_week = NOW.date() - timedelta(days=1), NOW.date() - timedelta(days=7)
    data.bump(product, "app_opened", yesterday, 40)
    data.bump(product, "app_opened", last_week, 40)
    before = source.stats.requests
    pages, _ = _read(source, cursors)
    assert source.stats.requests - before == 1
    assert _values(pages) == harness.expected(METRICS[0], yesterday, NOW.date())
    assert {day for _, day, _ in _values(pages)} == {yesterday, NOW.date()}


def test_late_numbers_settle_on_the_next_run(harness: Harness) -> None:
    source = harness.source(METRICS[:1])
    first_pages, cursors = _read(source)
    today = NOW.date()
    partial = _values(first_pages)[("daily_active_users", today, "")]
    harness.sandbox.data.advance(2)
    harness.now[0] = NOW + timedelta(days=2)
    pages, _ = _read(source, cursors)
    values = _values(pages)
    assert {day for _, day, _ in values} == {today + timedelta(days=n) for n in range(-1, 3)}
    assert values[("daily_active_users", today, "")] > partial
    assert values == harness.expected(METRICS[0], today - timedelta(days=1), today + timedelta(days=2))
    updated = {m.record.updated for page in pages for m in page.records}
    assert updated == {NOW + timedelta(days=2)}


def test_bad_credentials_stop_with_the_env_var_name_and_never_the_key(harness: Harness) -> None:
    wrong = "wrong-key-s3cr3t"
    stream = harness.source(key=wrong).streams()[0]
    with pytest.raises(AuthError) as caught:
        next(iter(stream.pages(None)))
    assert "PMHUB_ANALYTICS_KEY" in str(caught.value)
    assert wrong not in str(caught.value)


def test_injected_rate_limits_server_errors_and_cut_connections_change_nothing(harness: Harness) -> None:
    clean, _ = _read(harness.source(METRICS[:2]))
    tool = harness.tool
    harness.sandbox.apps[tool].plan.add(
        f"{tool}:*=429x2;{tool}:*=drop@0.1;{tool}:*=truncate@0.1;{tool}:*=503@0.15;{tool}:*=500@0.1"
    )
    source = harness.source(METRICS[:2], max_attempts=15)
    faulted, _ = _read(source)
    assert [m.record for p in faulted for m in p.records] == [m.record for p in clean for m in p.records]
    assert source.stats.retries >= 2
    faults = harness.sandbox.apps[tool].stats.faults
    assert faults["429"] == 2
    assert min(faults["drop"], faults["truncate"], faults["503"] + faults["500"]) >= 1


@pytest.mark.parametrize("harness", ["posthog", "mixpanel"], indirect=True)  # Amplitude: the key picks the project
def test_unknown_project_names_the_project(harness: Harness) -> None:
    source = harness.source(project_id=999)
    with pytest.raises((RefusedError, AuthError), match="project 999"):
        next(iter(source.streams()[0].pages(None)))


def test_mixpanel_saved_report_is_read_whole_and_trimmed_to_the_window() -> None:
    sandbox = create_sandbox(build_world(now=NOW))
    with ServedApp(sandbox.apps["mixpanel"]) as served:
        harness = Harness("mixpanel", sandbox, served.url)
        bookmark = harness.project.mixpanel_id * 10 + 2
        pages, cursors = _read(harness.source([{"name": "errors", "bookmark_id": bookmark}]))
        assert len(pages) == 1
        expected = harness.expected({"name": "errors", "event": "error"}, NOW.date() - timedelta(days=29), NOW.date())
        assert _values(pages) == expected
        again, _ = _read(harness.source([{"name": "errors", "bookmark_id": bookmark}]), cursors)
        assert {day for _, day, _ in _values(again)} == {NOW.date() - timedelta(days=1), NOW.date()}


def test_amplitude_any_active_event_reads_the_active_users_chart() -> None:
    sandbox = create_sandbox(build_world(now=NOW))
    with ServedApp(sandbox.apps["amplitude"]) as served:
        harness = Harness("amplitude", sandbox, served.url)
        metric = {"name": "daily_active_users", "event": "_active", "measure": "uniques"}
        pages, _ = _read(harness.source([metric]))
        expected = harness.expected({**metric, "event": "app_opened"}, NOW.date() - timedelta(days=119), NOW.date())
        assert _values(pages) == expected
        assert sandbox.apps["amplitude"].stats.by_route == {"GET /api/2/users": 4}
