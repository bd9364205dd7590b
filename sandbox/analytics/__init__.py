"""Local stand-ins for PostHog, Amplitude and Mixpanel, serving metrics generated from the sandbox world.

One app per tool, as the real services live on separate hosts; all three read and change one shared
:class:`AnalyticsData`. Each is wrapped in the sandbox's :class:`~sandbox.faults.FaultMiddleware` under the tool's
name (``posthog``, ``amplitude``, ``mixpanel``), so ``--faults "amplitude:/api/2/*=429@0.1"`` works.

    sandbox = create_sandbox(build_world(), AnalyticsOptions())
    with ServedApp(sandbox.apps["posthog"]) as posthog: ...

Admin API, on every tool's app (the real services have no ``/_sandbox``):

- ``GET /_sandbox/analytics/projects`` → today, first day and, per product, its project ids, Amplitude API key and
  Mixpanel saved-report bookmark ids;
- ``POST /_sandbox/analytics/bump`` ``{"product", "event", "day", "count", "properties"?}`` → late events arrive
  for ``day``; answers the day's new ``totals`` value;
- ``POST /_sandbox/analytics/advance`` ``{"days": n}`` → the sandbox's today moves on; recent days settle.

:func:`sandbox.analytics.sources.sources_toml` writes the matching ``[sources.*]`` of a pmhub.toml, and
:func:`~sandbox.analytics.sources.source_configs` the environment variables (with values) those name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sandbox.analytics import amplitude, mixpanel, posthog
from sandbox.analytics.data import EVENTS, AnalyticsData, AnalyticsOptions, AnalyticsProject
from sandbox.faults import FaultMiddleware, FaultPlan
from sandbox.world import World

AnalyticsTool = Literal["posthog", "amplitude", "mixpanel"]
TOOLS: tuple[AnalyticsTool, ...] = ("posthog", "amplitude", "mixpanel")

__all__ = [
    "TOOLS",
    "AnalyticsData",
    "AnalyticsOptions",
    "AnalyticsProject",
    "AnalyticsSandbox",
    "AnalyticsTool",
    "create_app",
    "create_sandbox",
]


class _Bump(BaseModel):
    product: str
    event: str
    day: date
    count: int
    properties: dict[str, str] = {}


class _Advance(BaseModel):
    days: int = 1


def _admin(data: AnalyticsData) -> APIRouter:
    api = APIRouter(prefix="/_sandbox/analytics")

    @api.get("/projects")
    def projects() -> dict[str, Any]:
        return {
            "today": data.today.isoformat(),
            "first_day": data.first_day.isoformat(),
            "events": list(EVENTS),
            "projects": [
                {
                    **asdict(p),
                    "mixpanel_bookmarks": {name: mixpanel.bookmark_id(p, n) for n, name, *_ in mixpanel.SAVED_REPORTS},
                }
                for p in data.projects
            ],
        }

    @api.post("/bump")
    def bump(change: _Bump) -> JSONResponse:
        if change.product not in {p.product for p in data.projects} or change.event not in EVENTS:
            return JSONResponse({"error": f"unknown product or event; events are {', '.join(EVENTS)}"}, 404)
        data.bump(change.product, change.event, change.day, change.count, change.properties)
        return JSONResponse({"totals": data.value(change.product, change.event, change.day, "totals")})

    @api.post("/advance")
    def advance(change: _Advance) -> dict[str, str]:
        return {"today": data.advance(change.days).isoformat()}

    return api


def create_app(data: AnalyticsData, tool: AnalyticsTool, plan: FaultPlan | None = None) -> FaultMiddleware:
    """The stand-in for ``tool`` over ``data``, with the admin API, inside the fault middleware."""
    app = FastAPI(title=f"pmhub sandbox: {tool}", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router({"posthog": posthog, "amplitude": amplitude, "mixpanel": mixpanel}[tool].router(data))
    app.include_router(_admin(data))
    return FaultMiddleware(app, tool, plan)


@dataclass(frozen=True)
class AnalyticsSandbox:
    data: AnalyticsData
    apps: dict[AnalyticsTool, FaultMiddleware]


def create_sandbox(
    world: World, options: AnalyticsOptions | None = None, plan: FaultPlan | None = None
) -> AnalyticsSandbox:
    """All three stand-ins over one generated :class:`AnalyticsData`, sharing one fault plan."""
    data = AnalyticsData.generate(world, options)
    plan = plan if plan is not None else FaultPlan()
    return AnalyticsSandbox(data, {tool: create_app(data, tool, plan) for tool in TOOLS})
