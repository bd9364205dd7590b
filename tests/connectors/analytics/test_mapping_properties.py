"""Property: the analytics tools' own answers, bent every way a foreign answer can be, become metric points or are
rejected by name.

A tool's answer is read into raw points or rejected as a whole with the reason it is no daily series (a
:class:`BadDataError`); each raw point becomes a :class:`MetricPoint` or is rejected naming what it lacks. A point
that does not fit never sinks the others of its answer. Nothing else may escape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from connectors.analytics.client import SERIES
from connectors.analytics.config import AnalyticsMetric, AnalyticsSourceConfig
from connectors.analytics.mapping import RawPoint, metric_point
from connectors.analytics.source import AnalyticsSource
from connectors.http import RetryPolicy
from schema import MetricPoint, Tool
from tests.support.canned import Canned
from tests.support.mutations import EVERYWHERE, assert_mapped_or_named, each, mutated, outcome, unicode_everywhere
from tests.support.paths import FIXTURES

FETCHED = datetime(2026, 11, 25, 12, tzinfo=UTC)
METRIC = AnalyticsMetric(name="signups", event="signed_up", filters={"release": "2.4.0"})


def _answers(tool: str) -> list[Any]:
    files = sorted(p for p in (FIXTURES / tool).rglob("*.json") if ".request." not in p.name)
    return [json.loads(p.read_text()) for p in files]


def points_of(tool: str, answer: Any) -> list[MetricPoint | Exception]:
    """The tool's answer read into raw points, each made a record or rejected on its own."""

    def point(raw: RawPoint) -> MetricPoint:
        zone = ZoneInfo("Europe/Berlin")
        return metric_point(raw, tool=Tool(tool), project="1000", metric=METRIC, zone=zone, fetched_at=FETCHED)

    return [outcome(partial(point, raw)) for raw in SERIES[tool](answer)]


@each("tool", SERIES)
def test_a_bent_answer_gives_points_or_is_rejected_naming_a_field_it_touched(tool: str, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(_answers(tool)))
    assert_mapped_or_named(partial(points_of, tool), base, *data.draw(mutated(base)))


@each("tool", SERIES)
def test_unicode_around_every_string_gives_points_or_is_rejected(tool: str, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(_answers(tool)))
    assert_mapped_or_named(partial(points_of, tool), base, data.draw(unicode_everywhere(base)), EVERYWHERE)


# --------------------------------------------------------------------------------------- a page, one day bent

TODAY = FETCHED.date()
DAYS = [(TODAY - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)]  # the bent one is DAYS[1]


@dataclass(frozen=True)
class Answering:
    path: str
    answer: Callable[[list[Any]], Any]  # the answer around its points, one per day of DAYS
    point: Callable[[str, int], Any]  # one day's point as the tool writes it


TOOLS = {
    "posthog": Answering(
        "/api/projects/1000/query/",
        lambda rows: {"columns": ["day", "value"], "types": [["day", "Date"], ["value", "UInt64"]], "results": rows},
        lambda day, n: [day, n],
    ),
    "amplitude": Answering(
        "/api/2/events/segmentation",
        lambda values: {"data": {"series": [values], "seriesLabels": [0], "xValues": DAYS}},
        lambda day, n: n,
    ),
    "mixpanel": Answering(
        "/api/query/segmentation",
        lambda values: {"data": {"series": DAYS, "values": {"signed_up": dict(zip(DAYS, values, strict=True))}}},
        lambda day, n: n,
    ),
}


@each("tool", TOOLS)
def test_one_bent_day_among_good_ones_is_a_point_or_rejected_and_the_other_days_are_kept(
    server: Canned, tool: str, data: st.DataObject
) -> None:
    shape = TOOLS[tool]
    points = [shape.point(day, 10 + n) for n, day in enumerate(DAYS)]
    points[1], _ = data.draw(mutated(points[1]))
    server.answers[shape.path] = shape.answer(points)
    config = AnalyticsSourceConfig(
        kind=tool,
        base_url=server.url,
        project_id="1000",
        api_key_env="KEY",
        secret_env="SECRET",
        metrics=[METRIC],
        history_days=len(DAYS),
        lag_days=0,
    )
    policy = RetryPolicy(tool=tool, credential="KEY", sleep=lambda _: None)
    [stream] = AnalyticsSource("a", config, "key", "secret", policy=policy, clock=lambda: FETCHED).streams()

    [page] = list(stream.pages(None))

    if page.cursor is None:  # the answer as a whole is no daily series: rejected with the reason, read again next run
        assert (page.records, len(page.rejected)) == ([], 1)
        assert page.rejected[0].reason
        return
    days = {m.record.bucket.date().isoformat() for m in page.records if isinstance(m.record, MetricPoint)}
    assert {DAYS[0], *DAYS[2:]} <= days
    assert (DAYS[1] in days) != any(DAYS[1] in r.reason for r in page.rejected)
