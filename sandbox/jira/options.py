"""How a sandbox Jira site is configured: flavour, accepted credentials, users' time zones, hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from sandbox.faults import FaultPlan

EventHook = Callable[[str, dict[str, Any]], None]
RegisterHook = Callable[[str, str | None], None]

# Time zones by login: far apart on purpose, so JQL date literals (read in the *user's* zone) differ by a day.
DEFAULT_TIME_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "ada": "Europe/London",
        "grace": "America/New_York",
        "linus": "Pacific/Tongatapu",  # UTC+13
        "margaret": "Pacific/Honolulu",  # UTC-10
        "ken": "Asia/Kolkata",
        "barbara": "UTC",
    }
)
DEFAULT_API_TOKEN = "sandbox-jira-api-token"  # noqa: S105 - a published sandbox credential


# Projects a login cannot browse: Jira answers as if they did not exist (404 on the project, its versions and
# mypermissions). barbara cannot see MOB, so a check by her account has something to report.
DEFAULT_HIDDEN_PROJECTS: Mapping[str, frozenset[str]] = MappingProxyType({"barbara": frozenset({"MOB"})})


def _default_bearer_tokens() -> dict[str, str]:
    return {f"sandbox-jira-pat-{login}": login for login in DEFAULT_TIME_ZONES}


@dataclass(frozen=True)
class JiraOptions:
    """``flavour`` picks Cloud (search/jql, 410 on the old search) or Server/DC (startAt/total search);
    ``jira_software=False`` is a site without Jira Software (Jira Work Management, some Server/DC), whose agile API
    (``/rest/agile/**``: boards, sprints) answers 404.

    Basic auth: the e-mail (or, on Server, the login) of any person in the world with ``api_token``.
    Bearer auth: a key of ``bearer_tokens`` (token → login). ``hidden_projects`` (login → project keys) are projects
    that user lacks *Browse projects* on. ``on_event(webhookEvent, payload)`` receives every
    Jira webhook a change causes (admin API, transitions, comments); ``register_webhook(url, secret)`` receives
    targets added with ``POST /_sandbox/webhooks``; ``faults`` is the shared fault plan (fresh and empty if None).
    """

    flavour: Literal["cloud", "server"] = "cloud"
    jira_software: bool = True
    api_token: str = DEFAULT_API_TOKEN
    bearer_tokens: Mapping[str, str] = field(default_factory=_default_bearer_tokens)
    time_zones: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TIME_ZONES))
    hidden_projects: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_HIDDEN_PROJECTS))
    base_url: str | None = None  # the site URL used in "self" links; None: the URL the request came to
    on_event: EventHook | None = None
    register_webhook: RegisterHook | None = None
    faults: FaultPlan | None = None
    search_snapshots: int = 64  # open search/jql cursors kept; the oldest expires first
