"""Request handling every GitHub sandbox route shares: options, auth, rate limits, conditional replies, errors.

Errors are raised as :class:`ApiError` and rendered with GitHub's body (``message``, ``documentation_url``,
``status``). A reply gets a weak ``ETag`` (an MD5 of the body), answers ``304`` without charging when
``If-None-Match`` matches, and carries the caller's ``X-RateLimit-*`` headers.

Tokens say what they may do as GitHub's do: a classic token's scopes come back on every answer in
``X-OAuth-Scopes``; a fine-grained token says nothing of itself, and a read its permissions lack is refused with
403 "Resource not accessible by personal access token" and ``X-Accepted-GitHub-Permissions`` naming what it needs.
:data:`FINE_GRAINED_WITHOUT_CHECKS` is such a token (grace's) without *Checks*.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import URL

from sandbox.faults import FaultPlan
from sandbox.github import render
from sandbox.github.limits import SECONDARY_DOCS, SECONDARY_MESSAGE, Budget, RateLimits, primary_message
from sandbox.github.render import Json, Links
from sandbox.github.store import GitHubStore, RepoState
from sandbox.webhooks import WebhookSender
from sandbox.world import World

ENTERPRISE_PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"
# Accepted tokens → the login they act as. The values are sandbox-only credentials (see the README).
FINE_GRAINED_WITHOUT_CHECKS = "github_pat_11SANDBOX0GraceHopper0withoutChecks00000000000000000000000000000000000000"
DEFAULT_TOKENS: dict[str, str] = {
    "ghp_sandboxAdaLovelace000000000000000000": "ada",
    "ghp_sandboxGraceHopper00000000000000000000": "grace",
    FINE_GRAINED_WITHOUT_CHECKS: "grace",
}
CLASSIC_SCOPES = "admin:repo_hook, repo"
# why: which fine-grained permission a read needs
# (https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens)
_PERMISSIONS = (
    (re.compile(r"^/repos/[^/]+/[^/]+/commits/[^/]+/check-(runs|suites)$"), "checks"),
    (re.compile(r"^/repos/[^/]+/[^/]+/commits/[^/]+/status(es)?$"), "statuses"),
    (re.compile(r"^/repos/[^/]+/[^/]+/(issues|milestones)(/|$)"), "issues"),
    (re.compile(r"^/repos/[^/]+/[^/]+/pulls(/|$)"), "pull_requests"),
    (re.compile(r"^/repos/[^/]+/[^/]+/releases(/|$)"), "contents"),
    (re.compile(r"^/repos/[^/]+/[^/]+/hooks(/|$)"), "repository_hooks"),
)


@dataclass
class GitHubOptions:
    tokens: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TOKENS))
    # classic tokens → the scopes X-OAuth-Scopes names; fine-grained tokens → the permissions they lack
    scopes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(list(DEFAULT_TOKENS)[:2], CLASSIC_SCOPES))
    withheld: dict[str, frozenset[str]] = field(
        default_factory=lambda: {FINE_GRAINED_WITHOUT_CHECKS: frozenset({"checks"})}
    )
    rate_limit: int = 5000  # per token per window
    unauthenticated_rate_limit: int = 60  # per client IP per window
    rate_window: int = 3600  # seconds
    html_url: str = "https://github.com"  # host of html_url links
    require_auth: bool = False  # True: repositories are private, 404 without a token (as GitHub answers)
    webhooks: WebhookSender | None = None  # shared sender; one is created when None
    clock: Callable[[], datetime] | None = None  # the time changes are stamped with (default: now, UTC)
    prerender: bool = True  # render every issue body in a background thread at start, so first pages are warm
    faults: FaultPlan | None = None  # shared fault plan; the app is wrapped in FaultMiddleware as "github"


@dataclass(frozen=True)
class Caller:
    key: str  # rate-limit identity: "user:<login>" or "ip:<address>"
    login: str | None
    budget: Budget
    scopes: str | None = None  # a classic token's X-OAuth-Scopes

    def headers(self) -> dict[str, str]:
        scopes = {} if self.scopes is None else {"X-OAuth-Scopes": self.scopes}
        return self.budget.headers() | scopes


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, docs: str = DOCS, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status, self.headers = status, headers or {}
        self.body: Json = {"message": message, **extra, "documentation_url": docs, "status": str(status)}


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def invalid(field_name: str, value: str) -> ApiError:
    return ApiError(
        422, "Validation Failed", errors=[{"resource": "Issue", "field": field_name, "code": "invalid", "value": value}]
    )


_COMMON_HEADERS = {
    "X-GitHub-Media-Type": "github.v3; format=json",
    "X-GitHub-Api-Version-Selected": "2022-11-28",
    "Cache-Control": "private, max-age=60, s-maxage=60",
    "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP",
    "X-Content-Type-Options": "nosniff",
}
_JSON = "application/json; charset=utf-8"


def _request_id(request: Request) -> str:
    return hashlib.md5(f"{id(request)}{request.url}".encode(), usedforsecurity=False).hexdigest()[:20].upper()


class GitHubApi:
    """Request handling shared by every route: auth, limits, conditional replies, links."""

    def __init__(self, world: World, options: GitHubOptions) -> None:
        self.options = options
        self.store = GitHubStore(world, options.clock, options.html_url)
        self.limits = RateLimits(options.rate_window)
        self.webhooks = options.webhooks or WebhookSender()

    def links(self, request: Request) -> Links:
        base = str(request.base_url).rstrip("/")
        prefix = ENTERPRISE_PREFIX if request.url.path.startswith(ENTERPRISE_PREFIX + "/") else ""
        return Links(base + prefix, self.options.html_url.rstrip("/"))

    def identify(self, request: Request) -> tuple[str, str | None, str | None]:
        """(rate-limit identity, login, token) of the caller."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            return f"ip:{request.client.host if request.client else 'unknown'}", None, None
        login = self.options.tokens.get(token.strip()) if scheme.lower() in ("token", "bearer") else None
        if login is None:
            raise ApiError(401, "Bad credentials")
        return f"user:{login}", login, token.strip()

    def permit(self, request: Request, token: str | None) -> None:
        """Refuse a read the fine-grained ``token`` has no permission for, as GitHub does."""
        path = request.url.path.removeprefix(ENTERPRISE_PREFIX)
        needed = next((name for pattern, name in _PERMISSIONS if pattern.search(path)), None)
        if needed is not None and token is not None and needed in self.options.withheld.get(token, ()):
            raise ApiError(
                403,
                "Resource not accessible by personal access token",
                {"X-Accepted-GitHub-Permissions": f"{needed}=read"},
                docs=f"{DOCS}/authentication/permissions-required-for-fine-grained-personal-access-tokens",
            )

    def gate(self, request: Request, resource: str = "core") -> Caller:
        key, login, token = self.identify(request)
        limit = self.options.rate_limit if login else self.options.unauthenticated_rate_limit
        budget = self.limits.budget(key, limit, resource)
        secondary = self.limits.take_secondary()
        if secondary is not None:
            raise ApiError(
                secondary.status, SECONDARY_MESSAGE, {"Retry-After": str(secondary.retry_after)}, docs=SECONDARY_DOCS
            )
        if budget.remaining == 0:
            who = str(self.store.world.person_by_login(login).github_id) if login else key.removeprefix("ip:")
            raise ApiError(
                403,
                primary_message(who, login is not None),
                budget.headers(),
                docs=f"{DOCS}/overview/rate-limits-for-the-rest-api",
            )
        caller = request.state.caller = Caller(key, login, budget, self.options.scopes.get(token or ""))
        self.permit(request, token)
        return caller

    def repo(self, request: Request, owner: str, name: str) -> RepoState:
        caller: Caller = request.state.caller
        state = self.store.repo(owner, name)
        if state is None or (self.options.require_auth and caller.login is None):
            raise not_found()
        return state

    def reply(
        self, request: Request, body: bytes, status: int = 200, link: str | None = None, *, charge: bool = True
    ) -> Response:
        caller: Caller = request.state.caller
        etag = 'W/"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        headers = {**_COMMON_HEADERS, "ETag": etag, "X-GitHub-Request-Id": _request_id(request)}
        if link:
            headers["Link"] = link
        wanted = request.headers.get("if-none-match", "")
        if status == 200 and etag in (tag.strip() for tag in wanted.split(",")):
            # why: a 304 does not count against the primary limit (docs linked in sandbox.github.limits)
            return Response(status_code=304, headers=headers | caller.headers())
        if charge:
            self.limits.charge(caller.budget)
        return Response(body, status, headers | caller.headers(), media_type=_JSON)

    def error(self, request: Request, exc: ApiError) -> Response:
        caller: Caller | None = getattr(request.state, "caller", None)
        headers = {**_COMMON_HEADERS, "X-GitHub-Request-Id": _request_id(request), **exc.headers}
        if caller is not None and exc.status not in (401, 403, 429):
            self.limits.charge(caller.budget)
            headers |= caller.headers()
        return Response(render.dumps(exc.body), exc.status, headers, media_type=_JSON)


# ------------------------------------------------------------------------------------------------ parameters


def int_param(request: Request, name: str, default: int, low: int = 1, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, raw) from None
    value = max(low, value)
    return min(high, value) if high else value


def choice(request: Request, name: str, allowed: Sequence[str], default: str) -> str:
    value = request.query_params.get(name) or default
    if value not in allowed:
        raise invalid(name, value)
    return value


def lenient_choice(request: Request, name: str, allowed: Sequence[str], default: str) -> str:
    """:func:`choice` for listings whose description has no 422: a value not allowed means the default."""
    value = request.query_params.get(name, default)
    return value if value in allowed else default


def parse_since(raw: str | None) -> datetime | None:
    """ISO 8601 with any offset (``Z``, ``+02:00``) or none (UTC); returned in UTC."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise invalid("since", raw) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def link_header(url: URL, rels: dict[str, dict[str, Any]]) -> str | None:
    parts = []
    for rel, params in rels.items():
        target = url.remove_query_params(["page", "after"]).include_query_params(**params)
        parts.append(f'<{target}>; rel="{rel}"')
    return ", ".join(parts) or None


def offset_links(url: URL, page: int, per_page: int, total: int) -> str | None:
    last = max(1, -(-total // per_page))
    rels: dict[str, dict[str, Any]] = {}
    if page > 1:
        rels["prev"] = {"page": min(page - 1, last)}
    if page < last:
        rels["next"] = {"page": page + 1}
        rels["last"] = {"page": last}
    if page > 1:
        rels["first"] = {"page": 1}
    return link_header(url, rels)


def page_of(request: Request, items: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    per_page = int_param(request, "per_page", 30, high=100)
    page = int_param(request, "page", 1)
    start = (page - 1) * per_page
    return items[start : start + per_page], offset_links(request.url, page, per_page, len(items))


def join(parts: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(parts) + b"]"
