"""The webhook routes: verify, bound, dedupe and durably store a delivery, then answer — in milliseconds.

Deliveries reach the inbox through :class:`InboxWriter` (group commit). Order of checks, each refusing before anything
is stored: body over ``max_body_bytes`` → 413 (read no further);
signature (GitHub ``X-Hub-Signature-256``; Jira ``X-Hub-Signature`` when a Jira secret is set, else ``?token=``
when a URL token is set) → 401, counted as forged; body not a JSON object → 400. A verified delivery is written
to the store's inbox *before* the answer: 202 ``accepted`` (applied off the request path by the
:class:`~hub.web.apply.Applier`), 202 ``ignored`` for an event pmhub does not handle (kept in the inbox as
ignored), 200 ``duplicate`` when its delivery id is already in the inbox (GitHub ``X-GitHub-Delivery``, Jira
``X-Atlassian-Webhook-Identifier``; a delivery without one is identified by the SHA-256 of its body).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy.dialects import postgresql, sqlite
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from hub.web.apply import github_event_known, jira_event_known
from hub.web.config import Secrets, WebhookSettings
from hub.web.security import Counters, signature_valid, token_valid
from sync.store import InboxStatus, Store
from sync.tables import webhook_inbox

Tool = Literal["github", "jira"]


# what the inbox keeps of a delivery's headers: identification only, never a signature or credential
_KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-",
    "x-atlassian-webhook-",
)


class InboxWriter:
    """Durable inbox writes with group commit: every delivery waiting is inserted in one transaction, and each
    answer waits for that commit. At concurrency this costs one commit (and one wait for the store's write lock)
    per batch instead of per delivery; alone, a delivery is written at once.

    Rows are what :meth:`sync.store.Store.inbox_put` writes (``delivery_id, tool, event, headers, body, status``);
    an id already in the inbox inserts nothing and answers ``False``.
    """

    MAX_BATCH = 200

    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite
        self._insert = (
            dialect.insert(webhook_inbox)
            .on_conflict_do_nothing(index_elements=[webhook_inbox.c.delivery_id])
            .returning(webhook_inbox.c.delivery_id)
        )
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool], asyncio.AbstractEventLoop]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pmhub-inbox-writer", daemon=True)
        self._thread.start()

    async def put(self, row: dict[str, Any]) -> bool:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the inbox writer is closed")
            self._waiting.append((row, done, loop))
            self._cond.notify()
        stored: bool = await done
        return stored

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting or self._closed)
                if not self._waiting:
                    return
                batch, self._waiting = self._waiting[: self.MAX_BATCH], self._waiting[self.MAX_BATCH :]
            first: dict[str, int] = {}
            for index, (row, _, _) in enumerate(batch):
                first.setdefault(row["delivery_id"], index)
            received = datetime.now(UTC)
            rows = [batch[index][0] | {"received_at": received, "attempts": 0} for index in first.values()]
            try:
                with self._store.transaction() as conn:
                    inserted = set(conn.scalars(self._insert, rows))
            except Exception as exc:
                for _, done, loop in batch:
                    loop.call_soon_threadsafe(_settle, done, None, exc)
                continue
            for index, (row, done, loop) in enumerate(batch):
                stored = first[row["delivery_id"]] == index and row["delivery_id"] in inserted
                loop.call_soon_threadsafe(_settle, done, stored, None)


def _settle(done: asyncio.Future[bool], stored: bool | None, exc: Exception | None) -> None:
    if done.cancelled():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(bool(stored))


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
    writer: InboxWriter

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
            payload = orjson.loads(text)
        except (UnicodeDecodeError, orjson.JSONDecodeError):
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
        headers = {k: v for k, v in request.headers.items() if k.startswith(_KEPT_HEADERS)}
        stored = await self.writer.put(
            {"delivery_id": delivery, "tool": tool, "event": event[:100], "headers": headers, "body": text}
            | {"status": status}
        )
        if not stored:
            return _answer(200, "duplicate", delivery=delivery)
        if known:
            self.notify()
            return _answer(202, "accepted", delivery=delivery)
        return _answer(202, "ignored", delivery=delivery, event=event)


def install_webhooks(app: Starlette, intake: Intake) -> None:
    """``POST /webhooks/github`` and ``/webhooks/jira`` as plain Starlette routes (no dependency solving: the
    receiver's answer time is the hot path)."""

    async def github(request: Request) -> Response:
        return await intake.receive("github", request)

    async def jira(request: Request) -> Response:
        return await intake.receive("jira", request)

    app.add_route("/webhooks/github", github, methods=["POST"], include_in_schema=False)
    app.add_route("/webhooks/jira", jira, methods=["POST"], include_in_schema=False)
