"""The webhook routes: verify, bound, dedupe and durably store a delivery, then answer — in milliseconds.

Order of checks, each refusing before anything is stored: body over ``max_body_bytes`` → 413 (read no further);
signature (GitHub ``X-Hub-Signature-256``; Jira ``X-Hub-Signature`` when a Jira secret is set, else ``?token=``
when a URL token is set) → 401, counted as forged; body not a JSON object → 400. A verified delivery is written
to the store's inbox *before* the answer: 202 ``accepted`` (applied off the request path by the
:class:`~hub.web.apply.Applier`), 202 ``ignored`` for an event pmhub does not handle (kept in the inbox as
ignored), 200 ``duplicate`` when its delivery id is already in the inbox (GitHub ``X-GitHub-Delivery``, Jira
``X-Atlassian-Webhook-Identifier``; a delivery without one is identified by the SHA-256 of its body).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from hub.web.apply import github_event_known, jira_event_known
from hub.web.config import Secrets, WebhookSettings
from hub.web.security import Counters, signature_valid, token_valid
from sync.store import InboxStatus, Store

Tool = Literal["github", "jira"]


class _TooLargeError(Exception):
    pass


async def _read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, outcome: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": outcome, **extra}, status_code=status)


@dataclass(frozen=True)
class Intake:
    store: Store
    settings: WebhookSettings
    secrets: Secrets
    counters: Counters
    notify: Callable[[], None]

    def verified(self, tool: Tool, request: Request, body: bytes) -> bool:
        if tool == "github":
            return signature_valid(self.secrets.github, body, request.headers.get("x-hub-signature-256"))
        if self.secrets.jira is not None:
            return signature_valid(self.secrets.jira, body, request.headers.get("x-hub-signature"))
        return token_valid(self.secrets.jira_url_token, request.query_params.get("token"))

    async def receive(self, tool: Tool, request: Request) -> JSONResponse:
        try:
            body = await _read_bounded(request, self.settings.max_body_bytes)
        except _TooLargeError:
            return _answer(413, "too_large", limit=self.settings.max_body_bytes)
        except ClientDisconnect:
            return _answer(400, "incomplete")  # the sender went away mid-body: nothing to store
        if not self.verified(tool, request, body):
            self.counters.forged_delivery(tool)
            return _answer(401, "unauthorized")
        try:
            text = body.decode("utf-8")
            payload = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            return _answer(400, "not_json")
        if not isinstance(payload, dict):
            return _answer(400, "not_json")
        if tool == "github":
            event = request.headers.get("x-github-event", "")
            delivery = request.headers.get("x-github-delivery", "")
            known = github_event_known(event)
        else:
            event = str(payload.get("webhookEvent") or "")
            delivery = request.headers.get("x-atlassian-webhook-identifier", "")
            known = jira_event_known(event)
        delivery = delivery.strip()[:200] or "sha256:" + hashlib.sha256(body).hexdigest()
        status: InboxStatus = "pending" if known else "ignored"
        headers = {k: v for k, v in request.headers.items() if k.startswith("x-") or k == "content-type"}
        # why inline: one short insert (under a millisecond) costs less than a hop to the thread pool and back,
        # which dominates the answer time under load
        stored = self.store.inbox_put(delivery, tool, event[:100], headers, text, status=status)
        if not stored:
            return _answer(200, "duplicate", delivery=delivery)
        if known:
            self.notify()
            return _answer(202, "accepted", delivery=delivery)
        return _answer(202, "ignored", delivery=delivery, event=event)


def webhook_router(intake: Intake) -> APIRouter:
    router = APIRouter(prefix="/webhooks")

    @router.post("/github")
    async def github(request: Request) -> JSONResponse:
        return await intake.receive("github", request)

    @router.post("/jira")
    async def jira(request: Request) -> JSONResponse:
        return await intake.receive("jira", request)

    return router
