"""Amplitude stand-in: Dashboard REST ``/api/2/events/segmentation`` and ``/api/2/users`` (active and new users).

Auth is HTTP Basic with the project's API key and secret key; the API key picks the project
(https://amplitude.com/docs/apis/analytics/dashboard-rest). Daily intervals (``i=1``), the ``uniques`` and
``totals`` metrics and event filters with ``is`` / ``is not`` are served; ``_active`` is any active event and a
``ce:`` prefix names a custom event. Each answer covers every day from ``start`` to ``end``, zero where nothing
happened, shaped as the vendor's examples: ``series`` per segment, ``xValues`` dates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.analytics.common import basic_credentials, parse_day
from sandbox.analytics.data import AnalyticsData, AnalyticsProject, Measure, Where, everything


class _BadRequestError(ValueError):
    pass


def _where(filters: list[dict[str, Any]]) -> Where:
    conditions = []
    for f in filters:
        op = f.get("subprop_op")
        if op not in ("is", "is not"):
            raise _BadRequestError(f"subprop_op {op!r} is not supported by the sandbox; use 'is' or 'is not'")
        key = str(f.get("subprop_key", "")).removeprefix("gp:")
        conditions.append((key, op == "is", {str(v) for v in f.get("subprop_value", [])}))

    def where(properties: Mapping[str, str]) -> bool:
        return all((properties.get(key) in values) == positive for key, positive, values in conditions)

    return where


def _range(request: Request) -> tuple[date, date]:
    params = request.query_params
    start, end = parse_day(params.get("start"), "%Y%m%d"), parse_day(params.get("end"), "%Y%m%d")
    if start is None or end is None or end < start:
        raise _BadRequestError("start and end are required, formatted YYYYMMDD, start <= end")
    if params.get("i", "1") != "1":
        raise _BadRequestError("the sandbox serves daily intervals only (i=1)")
    for unsupported in ("s", "g"):
        if params.get(unsupported):
            raise _BadRequestError(f"parameter {unsupported!r} is not supported by the sandbox")
    return start, end


def router(data: AnalyticsData) -> APIRouter:
    api = APIRouter()

    def project_of(request: Request) -> AnalyticsProject | None:
        credentials = basic_credentials(request)
        if credentials is None or credentials[1] != data.options.amplitude_secret_key:
            return None
        return next((p for p in data.projects if p.amplitude_api_key == credentials[0]), None)

    def series(project: AnalyticsProject, event: str, measure: Measure, where: Where, request: Request) -> Any:
        start, end = _range(request)
        values = data.series(project.product, event, start, end, measure, where)
        return [d.isoformat() for d in values], list(values.values())

    @api.get("/api/2/events/segmentation")
    def segmentation(request: Request) -> JSONResponse:
        project = project_of(request)
        if project is None:
            return JSONResponse({"error": "Invalid API key or secret key"}, 401)
        try:
            event = json.loads(request.query_params.get("e") or "null")
            if not isinstance(event, dict) or not event.get("event_type"):
                raise _BadRequestError("e must be a JSON event with an event_type")
            if event.get("group_by"):
                raise _BadRequestError("group_by is not supported by the sandbox")
            metric = request.query_params.get("m", "uniques")
            if metric not in ("uniques", "totals"):
                raise _BadRequestError(f"m={metric!r} is not supported by the sandbox; use uniques or totals")
            measure: Measure = "uniques" if metric == "uniques" else "totals"
            name = str(event["event_type"]).removeprefix("ce:")
            name = "app_opened" if name == "_active" else name
            x_values, values = series(project, name, measure, _where(event.get("filters") or []), request)
        except (_BadRequestError, json.JSONDecodeError) as error:
            return JSONResponse({"error": str(error)}, 400)
        body = {
            "series": [values],
            "seriesLabels": [0],
            "seriesCollapsed": [[{"setId": "", "value": sum(values)}]],
            "xValues": x_values,
        }
        return JSONResponse({"data": body})

    @api.get("/api/2/users")
    def users(request: Request) -> JSONResponse:
        project = project_of(request)
        if project is None:
            return JSONResponse({"error": "Invalid API key or secret key"}, 401)
        metric = request.query_params.get("m", "active")
        try:
            if metric not in ("active", "new"):
                raise _BadRequestError("m must be active or new")
            event = "app_opened" if metric == "active" else "signed_up"
            x_values, values = series(project, event, "uniques", everything, request)
        except _BadRequestError as error:
            return JSONResponse({"error": str(error)}, 400)
        return JSONResponse({"data": {"series": [values], "seriesMeta": [{"segmentIndex": 0}], "xValues": x_values}})

    return api
