"""An analytics source: one stream per configured metric, read by day with a re-read window for late numbers.

A stream's cursor is ``{"through": "<day>"}``: the last day read, in the project's time zone. The first read covers
``history_days`` up to today; each later read starts ``lag_days`` before the day after the cursor, because the
newest days' numbers still settle (dlt's ``lag``); the idempotent upsert absorbs the overlap, and a re-read point
carries the newer ``updated``. A page is ``page_days`` days (one request, two for a ratio) and its cursor is its
last day. A saved Mixpanel report is read whole, as one page, trimmed to the window. An answer that is not a
metric series is reported as a rejected page without a cursor and ends the read, so the next run asks again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connectors.analytics.client import SERIES, AnalyticsClient, daily_query, saved_report_query
from connectors.analytics.config import AnalyticsMetric, AnalyticsSourceConfig
from connectors.analytics.mapping import RawPoint, complete_days, metric_point, ratio_series
from connectors.base import Clock, Mapped, Page, Rejected, RequestStats, Stream, utc_now
from connectors.http import RetryPolicy
from schema import BadDataError, ConfigError, Tool


def stream_name(metric: AnalyticsMetric) -> str:
    """``metric:<name>``, followed by ``[key=value,…]`` when the metric has filters."""
    filters = ",".join(f"{k}={v}" for k, v in sorted(metric.filters.items()))
    return f"metric:{metric.name}" + (f"[{filters}]" if filters else "")


def read_window(cursor: str | None, today: date, history_days: int, lag_days: int) -> tuple[date, date]:
    """The days to read: all history on the first run, else from ``lag_days`` before the day after the cursor."""
    if cursor is None:
        return today - timedelta(days=history_days - 1), today
    try:
        through = date.fromisoformat(json.loads(cursor)["through"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"unreadable analytics cursor {cursor!r}; reset this stream's cursor") from None
    return through + timedelta(days=1) - timedelta(days=lag_days), today


class MetricStream:
    def __init__(self, client: AnalyticsClient, metric: AnalyticsMetric, clock: Clock) -> None:
        self.name = stream_name(metric)
        self.client = client
        self.metric = metric
        self.config = client.config
        self.zone = ZoneInfo(self.config.timezone)
        self._clock = clock

    def pages(self, cursor: str | None) -> Iterator[Page]:
        today = self._clock().astimezone(self.zone).date()
        first, last = read_window(cursor, today, self.config.history_days, self.config.lag_days)
        step = timedelta(days=self.config.page_days - 1)
        chunks = [(first, last)] if self.metric.bookmark_id is not None else _chunks(first, last, step)
        for start, end in chunks:
            answer = self._read(start, end)
            try:
                points = self._points(answer, start, end)
            except BadDataError as error:
                # why: skipping an unreadable answer would lose its days for good; stop, and the next run re-reads
                reason = f"{self.name} {start}..{end}: {error}"
                yield Page([], None, [Rejected(None, reason, {"answer": answer})])
                return
            yield self._page(points, start, end)

    def census(self) -> Iterator[str] | None:
        return None

    def _read(self, first: date, last: date) -> Any:
        m = self.metric
        if m.bookmark_id is not None:
            query = saved_report_query(self.config, m.bookmark_id)
            return self.client.fetch(query, describe=f"{m.name} saved report {m.bookmark_id}")
        answers = {
            role: self.client.fetch(
                daily_query(self.config, event, m.measure, m.filters, first, last),
                describe=f"{m.name} {event} {first}..{last}",
            )
            for role, event in (("numerator", m.event), ("denominator", m.divide_by))
            if event is not None
        }
        return answers if m.divide_by else answers["numerator"]

    def _points(self, answer: Any, first: date, last: date) -> list[RawPoint]:
        def series(one: Any) -> list[RawPoint]:
            points = SERIES[self.config.kind](one)
            # why: ClickHouse has no row for a day without events; that day counted zero
            return complete_days(points, first, last) if self.config.kind == "posthog" else points

        if self.metric.divide_by is None:
            return series(answer)
        return ratio_series(series(answer["numerator"]), series(answer["denominator"]))

    def _page(self, points: list[RawPoint], first: date, last: date) -> Page:
        fetched_at = self._clock()
        records, rejected = [], []
        for raw in points:
            if not first.isoformat() <= str(raw["x"])[:10] <= last.isoformat():
                continue  # a saved report covers its own range
            try:
                point = metric_point(
                    raw,
                    tool=Tool(self.config.kind),
                    project=self.config.project_id,
                    metric=self.metric,
                    zone=self.zone,
                    fetched_at=fetched_at,
                )
            except BadDataError as error:
                rejected.append(Rejected(f"{self.metric.name}@{raw.get('x')}", str(error), raw))
                continue
            records.append(Mapped(point, raw))
        return Page(records, json.dumps({"through": last.isoformat()}), rejected)


def _chunks(first: date, last: date, step: timedelta) -> list[tuple[date, date]]:
    chunks = []
    while first <= last:
        chunks.append((first, min(first + step, last)))
        first = chunks[-1][1] + timedelta(days=1)
    return chunks


class AnalyticsSource:
    """One ``[sources.<name>]`` of kind posthog, amplitude or mixpanel; no I/O until a stream is read."""

    def __init__(
        self,
        name: str,
        config: AnalyticsSourceConfig,
        api_key: str,
        secret: str | None = None,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
        session: requests.Session | None = None,
    ) -> None:
        self.name = name
        self.config = config
        credential = " and ".join(env for env in (config.api_key_env, config.secret_env) if env)
        self.policy = policy or RetryPolicy(
            tool=config.kind, credential=credential, max_wait=config.max_rate_limit_wait_seconds
        )
        self.client = AnalyticsClient(config, api_key, secret, self.policy, session)
        self._clock = clock

    @property
    def stats(self) -> RequestStats:
        return self.policy.stats

    def streams(self) -> list[Stream]:
        return [MetricStream(self.client, metric, self._clock) for metric in self.config.metrics]
