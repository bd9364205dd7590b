"""Mixpanel stand-in: Query API ``/api/query/segmentation`` and ``/api/query/insights`` (saved reports).

Auth is HTTP Basic with a service account's username and secret, and every request names its ``project_id``
(https://developer.mixpanel.com/reference/service-accounts). Segmentation serves ``unit=day`` with ``type`` general
(events) or unique (users) and a ``where`` of ``properties["key"] == "value"`` / ``!=`` terms joined by ``and``;
``data.series`` lists every date, ``data.values`` maps the event to ``{date: count}``. Each project has the saved
Insights reports of :data:`SAVED_REPORTS`, bookmark id ``project_id * 10 + n``, covering the last 30 days.
Errors have Mixpanel's ``{"request", "error"}`` shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.analytics.common import basic_credentials, parse_day
from sandbox.analytics.data import AnalyticsData, AnalyticsProject, Measure, Where

SAVED_REPORTS: tuple[tuple[int, str, str, Measure], ...] = (
    (1, "Daily active users", "app_opened", "uniques"),
    (2, "Errors", "error", "totals"),
    (3, "Sign-ups", "signed_up", "totals"),
)
_TERM = re.compile(r'\s*properties\["((?:[^"\\]|\\.)*)"\]\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"\s*')


def bookmark_id(project: AnalyticsProject, number: int) -> int:
    return project.mixpanel_id * 10 + number


def _where(expression: str) -> Where:
    terms = []
    for part in filter(str.strip, re.split(r"\band\b", expression)):
        match = _TERM.fullmatch(part)
        if match is None:
            raise ValueError(f'unsupported where term {part.strip()!r}; use properties["key"] == "value"')
        terms.append((match[1], match[2] == "==", match[3]))

    def where(properties: Mapping[str, str]) -> bool:
        return all((properties.get(key) == value) == equal for key, equal, value in terms)

    return where


def router(data: AnalyticsData) -> APIRouter:
    api = APIRouter()

    def error(request: Request, status: int, message: str) -> JSONResponse:
        return JSONResponse({"request": request.url.path + "?" + request.url.query, "error": message}, status)

    def project_of(request: Request) -> AnalyticsProject | JSONResponse:
        expected = (data.options.mixpanel_username, data.options.mixpanel_secret)
        if basic_credentials(request) != expected:
            return error(request, 401, "Invalid service account credentials")
        project_id = request.query_params.get("project_id", "")
        if not project_id.isdigit():
            return error(request, 400, "project_id is required")
        project = next((p for p in data.projects if p.mixpanel_id == int(project_id)), None)
        if project is None:
            return error(request, 403, f"service account has no access to project {project_id}")
        return project

    @api.get("/api/query/segmentation")
    def segmentation(request: Request) -> JSONResponse:
        project = project_of(request)
        if isinstance(project, JSONResponse):
            return project
        params = request.query_params
        start, end = parse_day(params.get("from_date"), "%Y-%m-%d"), parse_day(params.get("to_date"), "%Y-%m-%d")
        event, kind = params.get("event"), params.get("type", "general")
        if not event or start is None or end is None or end < start:
            return error(request, 400, "event, from_date and to_date (YYYY-MM-DD) are required")
        if params.get("unit", "day") != "day" or kind not in ("general", "unique") or params.get("on"):
            return error(request, 400, "the sandbox serves unit=day, type general or unique, and no 'on'")
        try:
            where = _where(params.get("where", ""))
        except ValueError as bad:
            return error(request, 400, str(bad))
        measure: Measure = "uniques" if kind == "unique" else "totals"
        values = data.series(project.product, event, start, end, measure, where)
        dates = [d.isoformat() for d in values]
        body = {"series": dates, "values": {event: dict(zip(dates, values.values(), strict=True))}}
        return JSONResponse({"data": body, "legend_size": 1})

    @api.get("/api/query/insights")
    def insights(request: Request) -> JSONResponse:
        project = project_of(request)
        if isinstance(project, JSONResponse):
            return project
        wanted = request.query_params.get("bookmark_id", "")
        report = next((r for r in SAVED_REPORTS if str(bookmark_id(project, r[0])) == wanted), None)
        if report is None:
            return error(request, 404, f"bookmark {wanted or '(missing)'} not found")
        _, _, event, measure = report
        start = data.today - timedelta(days=29)
        values = data.series(project.product, event, start, data.today, measure)
        return JSONResponse(
            {
                "computed_at": datetime.now(UTC).isoformat(),
                "date_range": {
                    "from_date": f"{start.isoformat()}T00:00:00+00:00",
                    "to_date": f"{data.today.isoformat()}T23:59:59.999000+00:00",
                },
                "headers": ["$event"],
                "series": {event: {f"{d.isoformat()}T00:00:00+00:00": v for d, v in values.items()}},
            }
        )

    return api
