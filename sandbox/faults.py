"""Fault injection and request counting for every sandbox app: one pure-ASGI middleware over one shared plan.

A plan is a list of rules, written as a spec string (``pmhub sandbox --faults SPEC``) or added at run time::

    SPEC   := RULE (";" RULE)*
    RULE   := APP ":" [METHOD " "] ROUTE "=" FAULT [TRIGGER]
    APP    := github | jira | posthog | amplitude | mixpanel | … | "*"     (the name the middleware was given)
    ROUTE  := a glob over the request path without the query; "*" matches anything, "/" included; anchored at
              both ends, so GitHub Enterprise paths need "*/repos/…" (or "/api/v3/repos/…")
    FAULT  := "429" [":" SECONDS]          429 with Retry-After (default 1 s), the app's own error body (Jira adds
                                           X-RateLimit-Reset and RateLimit-Reason: jira-burst-based)
            | "secondary" [":" SECONDS]    GitHub's secondary-rate-limit 403, real message, Retry-After (default 60 s)
            | "500" | "502" | "503"        server errors (503 carries Retry-After: 1)
            | "slow:" DURATION             answer normally after a delay: "200ms", "1.5s"
            | "drop"                       close the connection without sending anything
            | "truncate"                   send the real Content-Length, half of the body, then close
    TRIGGER := "@" PROBABILITY             each matching request with this probability (seeded RNG)
             | "x" COUNT                   the next COUNT matching requests, then the rule is spent
                                           (no trigger: every matching request)

Example: ``github:/repos/*/issues=429@0.1;jira:POST /rest/api/3/search/jql=500x3;*:*=slow:200ms@0.05``.
The first rule that matches and fires decides. Paths under ``/_sandbox/`` are never faulted nor counted.

The middleware also serves, for every app it wraps:

- ``GET /_sandbox/stats`` → ``{"total": n, "by_route": {"GET /path/{template}": n}, "faults": {"429": n},
  "in_flight": n, "peak_in_flight": n}``: requests received, per route, faulted, being answered right now (a
  ``slow:`` delay included) and the most at once since the last reset — so a test can check a client's concurrency
  limit by the service's own count; ``DELETE /_sandbox/stats`` resets the counters (requests still in flight stay
  counted, and are the new peak);
- a ``Server-Timing: app;dur=<ms>`` header on every answer that is not a fault (time to the response start);
- ``GET /_sandbox/faults`` → ``{"rules": ["<rule spec>", …]}``; ``POST /_sandbox/faults`` with
  ``{"spec": "<SPEC>"}`` adds rules; ``DELETE /_sandbox/faults`` clears them.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_RULE = re.compile(
    r"^(?P<app>[\w*-]+):(?:(?P<method>[A-Z]+) )?(?P<route>[^=]+)="
    r"(?P<kind>429|secondary|500|502|503|slow|drop|truncate)(?::(?P<arg>[\d.]+(?:ms|s)?))?"
    r"(?:@(?P<probability>[\d.]+)|x(?P<count>\d+))?$"
)
_SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to "
    "GitHub Support for help, please include the request ID {request_id}."
)
_SECONDARY_DOCS = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"


@dataclass
class FaultRule:
    app: str
    route: str
    kind: str
    seconds: float | None = None  # Retry-After for 429/secondary, delay for slow
    method: str | None = None
    probability: float | None = None
    remaining: int | None = None  # "the next N"

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        match = _RULE.match(text.strip())
        if match is None:
            raise ValueError(f"bad fault rule {text!r}; expected APP:[METHOD ]ROUTE=KIND[:ARG][@P|xN]")
        kind, arg = match["kind"], match["arg"]
        if kind == "slow" and arg is None:
            raise ValueError(f"fault rule {text!r}: slow needs a duration, e.g. slow:200ms")
        seconds = None
        if arg is not None:
            seconds = float(arg.removesuffix("ms")) / 1000 if arg.endswith("ms") else float(arg.removesuffix("s"))
        probability = float(match["probability"]) if match["probability"] else None
        if probability is not None and not 0 < probability <= 1:
            raise ValueError(f"fault rule {text!r}: probability must be in (0, 1]")
        return cls(
            app=match["app"],
            route=match["route"].strip(),
            kind=kind,
            seconds=seconds,
            method=match["method"],
            probability=probability,
            remaining=int(match["count"]) if match["count"] else None,
        )

    def __str__(self) -> str:
        method = f"{self.method} " if self.method else ""
        arg = f":{self.seconds:g}s" if self.seconds is not None else ""
        trigger = f"@{self.probability:g}" if self.probability else (f"x{self.remaining}" if self.remaining else "")
        return f"{self.app}:{method}{self.route}={self.kind}{arg}{trigger}"

    def matches(self, app: str, method: str, path: str) -> bool:
        return (
            self.app in ("*", app)
            and (self.method is None or self.method == method)
            and fnmatch.fnmatchcase(path, self.route)
        )


@dataclass
class FaultPlan:
    """The rules in force, shared by all apps; safe to change from another thread while serving."""

    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str, seed: int = 0) -> FaultPlan:
        plan = cls(seed=seed)
        plan.add(spec)
        return plan

    def add(self, spec: str) -> list[FaultRule]:
        new = [FaultRule.parse(part) for part in spec.split(";") if part.strip()]
        with self._lock:
            self.rules.extend(new)
        return new

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, app: str, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, consuming one of its "next N" if it has them."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(app, method, path):
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule
        return None


@dataclass
class RequestStats:
    total: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    peak_in_flight: int = 0

    def entered(self) -> None:
        self.total += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def reset(self) -> RequestStats:
        """Fresh counters; the requests in flight now are still in flight, and the new peak."""
        return RequestStats(in_flight=self.in_flight, peak_in_flight=self.in_flight)

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_route": dict(self.by_route),
            "faults": dict(self.faults),
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak_in_flight,
        }


def _error_body(app: str, status: int, message: str) -> dict[str, Any]:
    if app == "github":
        return {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}
    if app == "jira":
        return {"errorMessages": [message], "errors": {}}
    return {"error": message, "status": status}


class FaultMiddleware:
    """Wraps one app: counts its requests, serves ``/_sandbox/{stats,faults}``, and injects the plan's faults.

    Everything runs on the server's event loop, so the counters need no lock.
    """

    def __init__(self, app: ASGIApp, name: str, plan: FaultPlan | None = None) -> None:
        self.app = app
        self.name = name
        self.plan = plan if plan is not None else FaultPlan()
        self.stats = RequestStats()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in ("/_sandbox/stats", "/_sandbox/faults"):
            await self._admin(scope, receive, send)
            return
        if path.startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        rule = self.plan.pick(self.name, method, path)
        self.stats.entered()
        try:
            await self._answer(rule, scope, receive, send)
        finally:
            # the counters of now: a reset meanwhile carried this request over
            self.stats.in_flight -= 1
        route = scope.get("route")
        self.stats.by_route[f"{method} {getattr(route, 'path', path)}"] += 1

    async def _answer(self, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send) -> None:
        if rule is not None:
            self.stats.faults[rule.kind] += 1
        if rule is None or rule.kind == "slow":
            if rule is not None and rule.seconds:
                await asyncio.sleep(rule.seconds)
            await self.app(scope, receive, _timed(send))
        elif rule.kind == "drop":
            await _close_connection(receive)
        elif rule.kind == "truncate":
            await self._truncated(scope, receive, send)
        else:
            await self._error(rule, send)

    async def _error(self, rule: FaultRule, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if rule.kind == "secondary":
            status = 403
            request_id = f"{random.getrandbits(16):04X}:{random.getrandbits(24):06X}"
            body: dict[str, Any] = {
                "message": _SECONDARY_MESSAGE.format(request_id=request_id),
                "documentation_url": _SECONDARY_DOCS,
            }
            headers.append((b"retry-after", str(int(rule.seconds or 60)).encode()))
        else:
            status = int(rule.kind)
            messages = {429: "Rate limit exceeded.", 500: "Internal server error", 502: "Bad gateway"}
            body = _error_body(self.name, status, messages.get(status, "Service unavailable"))
            if status in (429, 503):
                # why: Jira and GitHub send Retry-After on 429 (and Jira on some 503s), in seconds
                # https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
                wait = int(rule.seconds or 1)
                headers.append((b"retry-after", str(wait).encode()))
                if self.name == "jira" and status == 429:
                    reset = datetime.now(UTC) + timedelta(seconds=wait)
                    headers += [
                        (b"x-ratelimit-reset", f"{reset:%Y-%m-%dT%H:%MZ}".encode()),
                        (b"ratelimit-reason", b"jira-burst-based"),
                    ]
        await _send_json(send, status, body, headers)

    async def _truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        start = captured[0]
        body = b"".join(m.get("body", b"") for m in captured[1:])
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await _close_connection(receive)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if path == "/_sandbox/stats":
            if method == "DELETE":
                self.stats = self.stats.reset()
            await _send_json(send, 200, self.stats.as_json())
            return
        if method == "POST":
            payload = json.loads(await _read_body(receive) or b"{}")
            try:
                self.plan.add(str(payload.get("spec", "")))
            except ValueError as error:
                await _send_json(send, 400, {"error": str(error)})
                return
        elif method == "DELETE":
            self.plan.clear()
        await _send_json(send, 200, {"rules": [str(rule) for rule in self.plan.rules]})


def _timed(send: Send) -> Send:
    """Add ``Server-Timing: app;dur=<ms>`` (time until the response starts), as Atlassian and others send."""
    started = time.perf_counter()

    async def timed_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            elapsed = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
            message = {**message, "headers": [*message.get("headers", []), (b"server-timing", elapsed)]}
        await send(message)

    return timed_send


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(data)).encode()),
                (b"date", formatdate(usegmt=True).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _close_connection(receive: Receive) -> None:
    """Close the client's TCP connection abruptly."""
    # why: ASGI has no "abort" message; uvicorn's receive() is a bound method of the request cycle, which holds the
    # asyncio transport. Closing it and yielding lets uvicorn mark the cycle disconnected, so it sends nothing more.
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("the server does not expose its transport; cannot drop the connection")
    transport.close()
    for _ in range(3):
        await asyncio.sleep(0)
