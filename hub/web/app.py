"""The web app: webhook receiver, status page, ``/api`` and live updates.

``create_app(settings, store)`` wires :mod:`hub.web.intake` (open receivers, signature-checked, answered ahead of
FastAPI), the :class:`~hub.web.apply.Applier` worker, the WAL checkpoints of :mod:`sync.store.sqlite`, and the
authenticated page and API (FastAPI):

=========================================  =================================================================
``POST /webhooks/github``, ``/webhooks/jira``  deliveries (no login; a valid signature or URL token instead)
``GET  /healthz``                               liveness, open
``GET|POST /login``, ``POST /logout``            the login form; a session cookie for the browser
``GET  /``                                      releases with readiness, roadmap, contradictions, freshness,
                                                webhooks (HTML)
``GET  /releases/{project}/{name}``              one release's readiness (HTML)
``GET  /api/status``, ``/api/releases``,          the same data as JSON
``GET  /api/releases/{project}/{name}``
``GET  /api/events``                            server-sent events: ``version`` whenever the data changes
=========================================  =================================================================

Everything but the webhooks, ``/healthz`` and the login form answers 401 without credentials (see
:mod:`hub.web.security`), and 429 with ``Retry-After`` while the client's failed logins hold it back; HTML routes
answer with the login form, ``/api`` with JSON. Answers over https (the socket's, or ``X-Forwarded-Proto`` from a
proxy in ``[web] forwarded_allow_ips``, which uvicorn applies) carry ``Strict-Transport-Security`` and set ``Secure``
cookies. The data version is the count of applied deliveries and the time of the newest successful sync, so a
scheduled sync updates open pages too.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.settings import Settings
from hub.web.apply import Applier, OnChange, utc_now
from hub.web.config import WebAuthSettings, WebhookSettings, load_secrets
from hub.web.intake import WEBHOOK_PATHS, InboxWriter, Intake, WebhookEndpoints
from hub.web.security import (
    RESPONSE_HEADERS,
    SESSION_COOKIE,
    Authenticator,
    Counters,
    LoginRefusedError,
    LoginThrottledError,
    Sessions,
    Throttle,
    hsts_header,
)
from hub.web.status import StatusCache, WebhookHealth, find_report, webhook_health
from reports.charts import number, timeline
from reports.render import age, failure_counts, moved, percent, release_label, share, signed_pct, web_url, when
from schema.readiness import StatusReport
from sync.status import StatusConfig
from sync.store import Store
from sync.store.sqlite import WalCheckpoints

TEMPLATES = Path(__file__).parent / "templates"
EVENT_STREAM_SECONDS = 55.0  # EventSource reconnects by itself; a bounded stream never pins a shutdown
_SYNC_STAMP_SECONDS = 5.0


class _Refused(Exception):  # noqa: N818  (control flow to the refusal handler, not an error)
    """401, or 429 when the client must wait ``retry_after`` seconds."""

    def __init__(self, retry_after: int | None = None) -> None:
        self.retry_after = retry_after


@dataclass
class DataVersion:
    """Applied deliveries plus the newest successful sync, as one string that changes whenever the data does."""

    store: Store
    applied: int = 0
    _synced: str = ""
    _checked: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self, count: int = 1) -> None:
        with self._lock:
            self.applied += count

    def current(self) -> str:
        now = time.monotonic()
        if now - self._checked > _SYNC_STAMP_SECONDS:
            finished = self.store.runs.last_successes().values()
            self._synced = max(finished).strftime("%Y%m%d%H%M%S") if finished else "0"
            self._checked = now
        return f"{self.applied}.{self._synced}"


@dataclass
class WebState:
    """What the routes share; ``close()`` stops the worker and ends open event streams."""

    store: Store
    applier: Applier
    counters: Counters
    auth: Authenticator
    cache: StatusCache
    version: DataVersion
    writer: InboxWriter
    checkpoints: WalCheckpoints
    closing: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        self.closing.set()
        self.writer.close()
        self.applier.close()
        self.checkpoints.close()


def page_policy(nonce: str) -> str:
    """The Content-Security-Policy of an HTML page: its own inline script and style, same-origin fetches only."""
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    """Adds :data:`~hub.web.security.RESPONSE_HEADERS` to every answer that lacks them, and ``hsts`` to every
    answer over https, as plain ASGI."""

    def __init__(self, app: ASGIApp, hsts: tuple[bytes, bytes]) -> None:
        self.app = app
        self._https_headers = (*RESPONSE_HEADERS, hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self._https_headers if scope.get("scheme") == "https" else RESPONSE_HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in wanted if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class WebApp:
    """The ASGI app :func:`create_app` builds: the webhook receivers answer their paths first, ahead of everything
    else; every other request goes to ``pages``, the FastAPI app of the status page and API; both through
    :class:`SecurityHeaders`. ``web`` is what they share; ``close()`` stops its workers. ``trusted_proxies`` are the
    addresses whose forwarded headers the server is to apply (``[web] forwarded_allow_ips``)."""

    def __init__(
        self,
        pages: FastAPI,
        web: WebState,
        receivers: WebhookEndpoints,
        auth: WebAuthSettings,
    ) -> None:
        self.pages = pages
        self.web = web
        self.trusted_proxies = tuple(auth.forwarded_allow_ips)
        self._session_key_env = auth.session_key_env
        self._receivers = receivers
        self._answer = SecurityHeaders(self._dispatch, hsts_header(auth.hsts_include_subdomains))

    def session_note(self) -> str:
        """One line on how logins are kept, for the start-up banner."""
        if self.web.auth.sessions.shared:
            return f"sessions signed with ${self._session_key_env}: they survive restarts and hold on every replica"
        return (
            "sessions signed with a key drawn at start: logins end with this process and hold on no other replica "
            "(set [web] session_key_env to share them)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._answer(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        tool = WEBHOOK_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if tool is None:
            await self.pages(scope, receive, send)
        else:
            await self._receivers(tool, scope, receive, send)

    def close(self) -> None:
        self.web.close()


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.globals.update(
        age=age,
        percent=percent,
        when=when,
        label=release_label,
        counts=failure_counts,
        safe_url=web_url,
        share=share,
        signed=signed_pct,
        number=number,
        moved=moved,
        timeline_chart=timeline,
    )
    return env


def _safe_next(path: str | None) -> str:
    """A local path to return to after login: never another origin (``//host``, ``/\\host``, a scheme)."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")):
        return "/"
    return path


def _client(request: Request) -> str:
    """The client's address: the socket peer, or what a trusted proxy forwarded (uvicorn's ``proxy_headers``)."""
    return request.client.host if request.client else "unknown"


def _session_cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    """Sets (``max_age`` 0: ends) the session cookie; ``Secure`` when the request came over https."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def create_app(
    settings: Settings,
    store: Store,
    *,
    webhooks: WebhookSettings | None = None,
    auth: WebAuthSettings | None = None,
    page: StatusConfig | None = None,
    clock: Callable[[], datetime] = utc_now,
    on_change: OnChange | None = None,
) -> WebApp:
    """The web app over ``store``; ``webhooks`` and ``auth`` default to the settings' ``[webhooks]`` and ``[web]``
    sections where present, ``page`` to :meth:`hub.settings.Settings.status_config`.

    The apply worker and the WAL checkpoints (:mod:`sync.store.sqlite`) start at once; ``app.close()`` stops them.
    """
    webhooks = webhooks or getattr(settings, "webhooks", None) or WebhookSettings()
    auth = auth or getattr(settings, "web", None) or WebAuthSettings()
    page = page or settings.status_config()
    secrets_ = load_secrets(webhooks, auth)
    counters = Counters()
    sessions = Sessions(secrets_.session_key, auth.session_hours, store)
    version = DataVersion(store)
    applier = Applier(store, settings, webhooks, clock=clock, on_applied=version.bump, on_change=on_change)
    state = WebState(
        store=store,
        applier=applier,
        counters=counters,
        auth=Authenticator(secrets_, auth.trusted_user_header, sessions, Throttle(auth.throttle), counters),
        cache=StatusCache(store, page, clock),
        version=version,
        writer=InboxWriter(store),
        checkpoints=WalCheckpoints(store.db).start(),
    )
    templates = _templates()
    header = auth.trusted_user_header

    app = FastAPI(title="pmhub", docs_url=None, redoc_url=None, openapi_url=None)
    receivers = WebhookEndpoints(Intake(store, webhooks, secrets_, counters, applier.notify, state.writer))

    def html(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        body = templates.get_template(name).render(nonce=nonce, **context)
        return HTMLResponse(body, status_code=status_code, headers={"Content-Security-Policy": page_policy(nonce)})

    def login_page(*, failed: bool, status_code: int, next_path: str, retry_after: int | None = None) -> HTMLResponse:
        page = html(
            "login.html",
            status_code,
            user=None,
            failed=failed,
            retry_after=retry_after,
            configured=state.auth.configured,
            next_path=_safe_next(next_path),
        )
        if retry_after is not None:
            page.headers["Retry-After"] = str(retry_after)
        return page

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> Response:
        if exc.retry_after is None:
            status_code, detail, headers = 401, "authentication required", {"WWW-Authenticate": 'Bearer realm="pmhub"'}
        else:
            status_code, headers = 429, {"Retry-After": str(exc.retry_after)}
            detail = "too many failed logins from this address; retry later"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
        return login_page(
            failed=False, status_code=status_code, next_path=request.url.path, retry_after=exc.retry_after
        )

    def user(request: Request) -> str:
        try:
            found = state.auth.identify(
                _client(request),
                request.headers.get("authorization"),
                request.headers.get(header) if header else None,
                request.cookies.get(SESSION_COOKIE),
            )
        except LoginRefusedError:
            raise _Refused from None
        except LoginThrottledError as exc:
            raise _Refused(exc.retry_after) from None
        if found is None:
            raise _Refused
        return found

    async def status_now() -> tuple[str, StatusReport, WebhookHealth]:
        current = await run_in_threadpool(version.current)
        status = await run_in_threadpool(state.cache.get, current)
        health = await run_in_threadpool(webhook_health, store, counters)
        return current, status, health

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        return login_page(failed=False, status_code=200, next_path=request.query_params.get("next", "/"))

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        next_path = form.get("next", "/")
        try:
            who = state.auth.login(_client(request), form.get("username", ""), form.get("password", ""))
        except LoginRefusedError:
            return login_page(failed=True, status_code=401, next_path=next_path)
        except LoginThrottledError as exc:
            return login_page(failed=False, status_code=429, next_path=next_path, retry_after=exc.retry_after)
        response = RedirectResponse(_safe_next(next_path), status_code=303)
        _session_cookie(response, request, sessions.issue(who), sessions.seconds)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            await run_in_threadpool(sessions.revoke, cookie)
        response = RedirectResponse("/login", status_code=303)
        _session_cookie(response, request, "", 0)
        return response

    @app.get("/", response_class=HTMLResponse)
    async def index(who: str = Depends(user)) -> HTMLResponse:
        current, status, health = await status_now()
        return html("index.html", user=who, version=current, status=status, health=health)

    @app.get("/releases/{project}/{name:path}", response_class=HTMLResponse)
    async def release_page(project: str, name: str, who: str = Depends(user)) -> HTMLResponse:
        current, status, health = await status_now()
        report = find_report(status, project, name)
        if report is None:
            return html("index.html", 404, user=who, version=current, status=status, health=health)
        return html("release.html", user=who, version=current, report=report)

    @app.get("/api/status")
    async def api_status(_who: str = Depends(user)) -> dict[str, Any]:
        current, status, health = await status_now()
        return {"version": current, "status": status.model_dump(mode="json"), "webhooks": health.as_json()}

    @app.get("/api/releases")
    async def api_releases(_who: str = Depends(user)) -> list[dict[str, Any]]:
        _, status, _ = await status_now()
        return [r.model_dump(mode="json") for r in status.releases]

    @app.get("/api/releases/{project}/{name:path}")
    async def api_release(project: str, name: str, _who: str = Depends(user)) -> Response:
        _, status, _ = await status_now()
        report = find_report(status, project, name)
        if report is None:
            return JSONResponse({"detail": f"no upcoming release {name!r} in {project!r}"}, status_code=404)
        return JSONResponse(report.model_dump(mode="json"))

    @app.get("/api/version")
    async def api_version(_who: str = Depends(user)) -> dict[str, str]:
        return {"version": await run_in_threadpool(version.current)}

    @app.get("/api/events")
    async def api_events(request: Request, _who: str = Depends(user)) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            yield "retry: 2000\n\n"
            sent = None
            started = last_beat = time.monotonic()
            while not state.closing.is_set() and time.monotonic() - started < EVENT_STREAM_SECONDS:
                current = await run_in_threadpool(version.current)
                if current != sent:
                    yield f"event: version\ndata: {current}\n\n"
                    sent, last_beat = current, time.monotonic()
                elif time.monotonic() - last_beat > 15:
                    yield ": keep-alive\n\n"
                    last_beat = time.monotonic()
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.25)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    applier.start()
    return WebApp(app, state, receivers, auth)
