"""Rendering what ``sync.readiness.evaluate`` really produces: a 10,000-item release within the time budget."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from reports import render_readiness, render_status, render_summary
from schema import MetricPoint, Tool
from schema.readiness import Outcome, ReadinessReport, StatusReport
from sync.readiness import MetricGuardrail, ReadinessConfig, evaluate
from sync.scope import ReleaseScope
from tests.sync.builders import NOW, check, fresh, github_release, large_release_work, metric, milestone, version

CONFIG = ReadinessConfig(
    guardrails=[
        MetricGuardrail(metric="error_rate", op="<=", threshold=2.0),
        MetricGuardrail(metric="activation", op=">=", baseline_pct=95),
    ]
)


def _big_release() -> ReleaseScope:
    items, prs = large_release_work()
    return ReleaseScope(
        release=version(),
        milestones=[milestone()],
        github_releases=[github_release()],
        items=items,
        pull_requests=prs,
        checks=[check(f"job-{n}") for n in range(50)],
    )


def _metrics() -> list[MetricPoint]:
    days = [NOW.date() - timedelta(days=d) for d in range(60)]
    return [metric("error_rate", 1.5 + (d.day % 5) / 4, d, tool=Tool.POSTHOG) for d in days] + [
        metric("activation", 40 - (d.day % 3), d, tool=Tool.POSTHOG) for d in days
    ]


@pytest.fixture(scope="module")
def report() -> ReadinessReport:
    return evaluate(_big_release(), metrics=_metrics(), freshness=fresh("jira", "github"), config=CONFIG, now=NOW)


def test_ten_thousand_item_release_renders_every_format_within_budget(report):
    assert report.scope.items_total == 10_000

    timings = {}
    for fmt in ("html", "md", "json"):
        started = time.perf_counter()
        text = render_readiness(report, fmt)
        timings[fmt] = time.perf_counter() - started
        assert report.verdict.value in text
    print(
        "\nrender of the evaluated 10,000-item release: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items())
    )
    assert timings["html"] < 1.0
    assert timings["md"] < 1.0


def test_evaluated_report_renders_one_row_per_check_and_every_metric_chart(report):
    html = render_readiness(report, "html")
    assert html.count("<tr class=") == len(report.checks)
    for series in report.metrics:
        assert f'data-testid="chart-metric-{series.metric}"' in html
    md = render_readiness(report, "md")
    failed = [c for c in report.checks if c.outcome is Outcome.FAILED]
    assert md.count("| ❌ failed |") == len(failed)
    summary = render_summary(report)
    assert summary.count("\n• ") == len(failed)


def test_status_over_evaluated_releases_round_trips_as_json(report):
    status = StatusReport(generated_at=NOW, releases=[report], freshness=report.freshness)
    data = json.loads(render_status(status, "json"))
    assert data.pop("schema") == "pmhub.status/1"
    assert StatusReport.model_validate(data) == status
