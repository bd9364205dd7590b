"""HTTP to the analytics tools: one daily-series query per tool, on ``requests`` under the shared retry policy.

The request builders are pure (what to ask for a metric over a day range); :class:`AnalyticsClient` sends them with
the source's credentials and reads the answer into raw points with the tool's mapping.

- PostHog: ``POST /api/projects/{id}/query/`` with a HogQL query grouped by ``toStartOfDay(timestamp)``
  (https://posthog.com/docs/api/queries); bearer personal API key.
- Amplitude: ``GET /api/2/events/segmentation`` (``/api/2/users`` for ``_active`` distinct users, the cheaper
  active-users chart) (https://amplitude.com/docs/apis/analytics/dashboard-rest); Basic API key + secret key.
- Mixpanel: ``GET /api/query/segmentation`` and ``/api/query/insights`` for saved reports
  (https://developer.mixpanel.com/reference/segmentation-query); Basic service account, ``project_id`` on every call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.analytics.mapping import RawPoint, amplitude_series, mixpanel_series, posthog_series
from connectors.http import RetryPolicy, count_responses

_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
SERIES: dict[str, Callable[[Any], list[RawPoint]]] = {
    "posthog": posthog_series,
    "amplitude": amplitude_series,
    "mixpanel": mixpanel_series,
}


@dataclass(frozen=True)
class Query:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


def _hogql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _hogql_property(key: str) -> str:
    # why: HogQL reads properties.<name>; names like "$feature/x" need backticks (https://posthog.com/docs/hogql)
    return f"properties.{key}" if _IDENTIFIER.match(key) else "properties.`" + key.replace("`", "\\`") + "`"


def hogql_daily(event: str, measure: str, filters: Mapping[str, str], first: date, last: date) -> str:
    aggregate = "count()" if measure == "totals" else "count(DISTINCT person_id)"
    conditions = [
        f"event = {_hogql_string(event)}",
        f"timestamp >= {_hogql_string(first.isoformat())}",
        f"timestamp < {_hogql_string((last + timedelta(days=1)).isoformat())}",
        *(f"{_hogql_property(k)} = {_hogql_string(v)}" for k, v in sorted(filters.items())),
    ]
    # why: without LIMIT PostHog returns at most 100 rows; every value above is quoted by _hogql_string
    where = " AND ".join(conditions)
    select = f"SELECT toStartOfDay(timestamp) AS day, {aggregate} AS value FROM events"  # noqa: S608
    return f"{select} WHERE {where} GROUP BY day ORDER BY day LIMIT {(last - first).days + 1}"


def _mixpanel_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def daily_query(
    config: AnalyticsSourceConfig, event: str, measure: str, filters: Mapping[str, str], first: date, last: date
) -> Query:
    """The request for ``event`` per day from ``first`` to ``last`` (both included, project time zone)."""
    if config.kind == "posthog":
        hogql = hogql_daily(event, measure, filters, first, last)
        body = {"query": {"kind": "HogQLQuery", "query": hogql}, "refresh": "blocking"}
        return Query("POST", f"/api/projects/{config.project_id}/query/", body=body)
    if config.kind == "amplitude":
        days = {"start": first.strftime("%Y%m%d"), "end": last.strftime("%Y%m%d"), "i": "1"}
        if event == "_active" and measure == "uniques" and not filters:
            return Query("GET", "/api/2/users", {**days, "m": "active"})
        conditions = [
            {"subprop_type": "event", "subprop_key": k, "subprop_op": "is", "subprop_value": [v]}
            for k, v in sorted(filters.items())
        ]
        e = json.dumps({"event_type": event, "filters": conditions}, separators=(",", ":"))
        return Query("GET", "/api/2/events/segmentation", {**days, "e": e, "m": measure})
    params = {
        "project_id": config.project_id,
        "event": event,
        "from_date": first.isoformat(),
        "to_date": last.isoformat(),
        "unit": "day",
        "type": "unique" if measure == "uniques" else "general",
    }
    if filters:
        terms = (f"properties[{_mixpanel_string(k)}] == {_mixpanel_string(v)}" for k, v in sorted(filters.items()))
        params["where"] = " and ".join(terms)
    return Query("GET", "/api/query/segmentation", params)


def saved_report_query(config: AnalyticsSourceConfig, bookmark_id: int) -> Query:
    return Query("GET", "/api/query/insights", {"project_id": config.project_id, "bookmark_id": str(bookmark_id)})


class AnalyticsClient:
    """Sends :class:`Query` objects for one configured project under the retry policy."""

    def __init__(
        self,
        config: AnalyticsSourceConfig,
        api_key: str,
        secret: str | None,
        policy: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self.policy = policy
        self.session = count_responses(session or requests.Session(), policy.stats)
        if config.kind == "posthog":
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        else:
            self.session.auth = (api_key, secret or "")

    def fetch(self, query: Query, *, describe: str) -> Any:
        """The decoded JSON answer; ``describe`` says what was asked, for messages."""
        return self.policy.get_json(
            self.session,
            self.config.api_root + query.path,
            describe=f"{self.config.kind} project {self.config.project_id} {describe}",
            method=query.method,
            params=query.params,
            json=query.body,
            timeout=self.config.timeout_seconds,
        )
