"""PostHog stand-in: ``POST /api/projects/{project_id}/query/`` answering the HogQL subset of :mod:`.hogql`.

Auth is a personal API key as a bearer token (https://posthog.com/docs/api#authentication). Answers have the
``HogQLQueryResponse`` shape: positional ``results`` rows with ``columns`` and ``types``; errors the DRF shape
``{"type", "code", "detail", "attr"}``. Like ClickHouse, a grouped query has no row for a day without events, and
like PostHog a query without ``LIMIT`` returns at most 100 rows with ``hasMore`` set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.analytics.data import AnalyticsData, AnalyticsProject, Where, days
from sandbox.analytics.hogql import HogQLError, HogQLQuery, parse

DEFAULT_LIMIT = 100
MAX_LIMIT = 50_000


def _error(status: int, kind: str, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": kind, "code": code, "detail": detail, "attr": None}, status)


def _where(query: HogQLQuery) -> Where:
    def where(properties: Mapping[str, str]) -> bool:
        return all((properties.get(key) == value) == (op == "=") for key, op, value in query.properties)

    return where


def _rows(data: AnalyticsData, project: AnalyticsProject, query: HogQLQuery) -> list[list[Any]]:
    start = max(query.start or data.first_day, data.first_day)
    end = min(query.end or data.today, data.today)
    event, measure, where = query.event or "", query.measure, _where(query)
    if query.day_index is None:
        if measure == "uniques" and start != end:
            raise HogQLError("The sandbox counts distinct persons per day only: GROUP BY toStartOfDay(timestamp)")
        return [[sum(data.series(project.product, event, start, end, measure, where).values())]]
    rows = []
    for day in days(start, end):
        value = data.value(project.product, event, day, measure, where)
        if value:
            stamp = f"{day.isoformat()}T00:00:00Z" if query.day_type == "DateTime" else day.isoformat()
            rows.append([stamp, value] if query.day_index == 0 else [value, stamp])
    return rows[::-1] if query.descending else rows


def _types(query: HogQLQuery) -> list[list[str]]:
    day_type = "DateTime('UTC')" if query.day_type == "DateTime" else "Date"
    return [[c, day_type if i == query.day_index else "UInt64"] for i, c in enumerate(query.columns)]


def router(data: AnalyticsData) -> APIRouter:
    api = APIRouter()

    @api.post("/api/projects/{project_id}/query")
    @api.post("/api/projects/{project_id}/query/")
    async def query(project_id: str, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {data.options.posthog_api_key}":
            return _error(401, "authentication_error", "authentication_failed", "Incorrect authentication credentials.")
        project = next((p for p in data.projects if str(p.posthog_id) == project_id), None)
        if project is None:
            return _error(404, "invalid_request", "not_found", "Not found.")
        body = await request.json()
        source = body.get("query") or {}
        if source.get("kind") != "HogQLQuery" or not isinstance(source.get("query"), str):
            return _error(400, "validation_error", "invalid_input", "The sandbox answers only HogQLQuery queries")
        text: str = source["query"]
        try:
            hogql = parse(text)
            rows = _rows(data, project, hogql)
        except HogQLError as error:
            return _error(400, "validation_error", "invalid_input", str(error))
        limit = min(hogql.limit or DEFAULT_LIMIT, MAX_LIMIT)
        now = datetime.now(UTC)
        return JSONResponse(
            {
                "cache_key": "cache_" + hashlib.sha256(f"{project_id}:{text}".encode()).hexdigest()[:32],
                "clickhouse": None,
                "columns": hogql.columns,
                "error": None,
                "explain": None,
                "hasMore": len(rows) > limit,
                "hogql": text,
                "is_cached": False,
                "last_refresh": now.isoformat().replace("+00:00", "Z"),
                "limit": limit,
                "metadata": None,
                "modifiers": {},
                "next_allowed_client_refresh": (now + timedelta(minutes=1)).isoformat().replace("+00:00", "Z"),
                "offset": 0,
                "query": text,
                "query_status": None,
                "results": rows[:limit],
                "timezone": "UTC",
                "timings": [],
                "types": _types(hogql),
            }
        )

    return api
