"""Configuration of one analytics source (``[sources.<name>]`` with ``kind`` posthog, amplitude or mixpanel).

Credentials never live here: ``api_key_env`` and ``secret_env`` name the environment variables that hold them —

- PostHog: ``api_key_env`` = a personal API key with ``query:read`` (``secret_env`` unused);
- Amplitude: ``api_key_env`` = the project's API key, ``secret_env`` = its secret key (Basic auth);
- Mixpanel: ``api_key_env`` = a service account's username, ``secret_env`` = its secret (Basic auth).

Each metric counts one event per day (``totals`` or distinct users, ``uniques``), optionally only where event
properties have given values (``filters``, e.g. a release or a feature flag), optionally divided by a second
event counted the same way (``divide_by``: activation rate = activated / signed up). A Mixpanel metric may instead
read a saved Insights report (``bookmark_id``).
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AnalyticsKind = Literal["posthog", "amplitude", "mixpanel"]
DEFAULT_BASE_URLS: dict[str, str] = {
    "posthog": "https://us.posthog.com",
    "amplitude": "https://amplitude.com",
    "mixpanel": "https://mixpanel.com",
}
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class AnalyticsMetric(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Metric name in pmhub, e.g. daily_active_users.")
    event: str | None = Field(None, description="The event counted (Amplitude: '_active' is any active event).")
    measure: Literal["totals", "uniques"] = Field("totals", description="Event count, or distinct users.")
    divide_by: str | None = Field(None, description="A second event, counted the same way: value = event / this.")
    filters: dict[str, str] = Field(
        default_factory=dict, description="Event property equalities, e.g. {release = '2.4.0'}; become dimensions."
    )
    bookmark_id: int | None = Field(None, description="Mixpanel only: read this saved Insights report instead.")

    @model_validator(mode="after")
    def _one_query(self) -> AnalyticsMetric:
        if (self.event is None) == (self.bookmark_id is None):
            raise ValueError("give exactly one of event or bookmark_id")
        if self.bookmark_id is not None and (self.divide_by or self.filters):
            raise ValueError("a bookmark_id metric reads the saved report as it is: no divide_by or filters")
        return self


class AnalyticsSourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AnalyticsKind
    base_url: str | None = Field(
        None, description="API root; defaults to the vendor's US host (EU: https://eu.posthog.com, …)."
    )
    project_id: str = Field(min_length=1, description="PostHog or Mixpanel project id; Amplitude project id (ids).")
    api_key_env: str = Field(pattern=_ENV_NAME, description="Env var of the API key / service-account username.")
    secret_env: str | None = Field(None, pattern=_ENV_NAME, description="Env var of the secret (Amplitude, Mixpanel).")
    timezone: str = Field("UTC", description="The project's time zone: the tool counts days in it.")
    metrics: tuple[AnalyticsMetric, ...] = Field(min_length=1)
    history_days: int = Field(120, ge=1, description="How far back the first read goes.")
    lag_days: int = Field(2, ge=0, description="Recent days re-read on every run: their numbers still settle.")
    page_days: int = Field(30, ge=1, le=90, description="Days per request (one page).")
    max_rate_limit_wait_seconds: float = Field(900.0, ge=0)
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError("must be an absolute http(s) URL such as https://us.posthog.com")
        return value.rstrip("/") if value else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin") from None
        return value

    @model_validator(mode="after")
    def _fits_the_tool(self) -> AnalyticsSourceConfig:
        if self.kind in ("amplitude", "mixpanel") and not self.secret_env:
            raise ValueError(f"{self.kind} needs secret_env (Basic auth: key or username, and secret)")
        if self.kind != "mixpanel" and any(m.bookmark_id is not None for m in self.metrics):
            raise ValueError("bookmark_id is for Mixpanel saved reports only")
        names = [m.name + repr(sorted(m.filters.items())) for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("two metrics share a name and filters; their records would collide")
        if self.kind == "mixpanel" and not re.fullmatch(r"\d+", self.project_id):
            raise ValueError("a Mixpanel project_id is numeric")
        return self

    @property
    def api_root(self) -> str:
        return self.base_url or DEFAULT_BASE_URLS[self.kind]
