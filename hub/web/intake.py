"""The webhook receivers: verify, bound, dedupe and durably store a delivery, then answer — in milliseconds.

:class:`WebhookEndpoints` answers ``POST /webhooks/github`` and ``/webhooks/jira`` (:data:`WEBHOOK_PATHS`) as plain
ASGI, ahead of the app; deliveries reach the inbox through :class:`InboxWriter` (group commit). Order of checks,
each refusing before anything is stored: body over ``max_body_bytes`` → 413 (read no further); signature (GitHub
``X-Hub-Signature-256``; Jira ``X-Hub-Signature`` when a Jira secret is set, else ``?token=`` when a URL token is
set) → 401, counted as forged; body not a JSON object → 400. A verified delivery is written to the store's inbox
*before* the answer: 202 ``accepted`` (applied off the request path by the :class:`~hub.web.apply.Applier`), 202
``ignored`` for an event pmhub does not handle (kept in the inbox as ignored), 200 ``duplicate`` when its delivery
id is already in the inbox (GitHub ``X-GitHub-Delivery``, Jira ``X-Atlassian-Webhook-Identifier``; a delivery
without one is identified by the SHA-256 of its body).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import Receive, Scope, Send

from connectors.github import webhooks as github_webhooks
from connectors.jira import webhooks as jira_webhooks
from hub.web.config import Secrets, WebhookSettings
from hub.web.security import RESPONSE_HEADERS, Counters, signature_valid, token_valid
from sync.store import Store
from sync.store.inbox import InboxDelivery, InboxStatus

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


class _Envelope(BaseModel):
    """What the receiver reads of a body: Jira's event name. Validating into it checks the whole body is a JSON
    object but builds no Python object for any other value: ~14 µs for a 13 KB delivery against ~27 µs to parse it.
    """

    model_config = ConfigDict(extra="ignore")

    webhook_event: Any = Field(None, alias="webhookEvent")


class InboxWriter:
    """Durable inbox writes with group commit: every delivery waiting is stored in one transaction
    (:meth:`sync.store.inbox.Inbox.put_many`), and each answer waits for that commit. At concurrency this costs one
    commit (and one wait for the store's write lock) per batch instead of per delivery; alone, a delivery is
    written at once. :meth:`put` answers ``False`` for an id already in the inbox, or earlier in the same batch.
    """

    MAX_BATCH = 200

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: list[tuple[InboxDelivery, asyncio.Future[bool], asyncio.AbstractEventLoop]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="pmhub-inbox-writer", daemon=True)
        self._thread.start()

    async def put(self, delivery: InboxDelivery) -> bool:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the inbox writer is closed")
            self._waiting.append((delivery, done, loop))
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
            answers: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool | Exception]]] = {}
            try:
                stored = self._store.inbox.put_many([delivery for delivery, _, _ in batch])
            except Exception as exc:
                for _, done, loop in batch:
                    answers.setdefault(loop, []).append((done, exc))
            else:
                for delivery, done, loop in batch:
                    answers.setdefault(loop, []).append((done, delivery.delivery_id in stored))
                    stored.discard(delivery.delivery_id)  # a repeat later in the batch is a duplicate
            # one wake-up of each event loop per batch, not one per delivery
            for loop, settled in answers.items():
                loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future[bool], bool | Exception]]) -> None:
    for done, outcome in settled:
        if done.cancelled():
            continue
        if isinstance(outcome, Exception):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)


class _TooLargeError(Exception):
    pass


class _DisconnectedError(Exception):
    pass


@dataclass(frozen=True)
class Delivery:
    """What the receiver reads of one request: lower-cased headers, the query string, the raw body."""

    headers: Mapping[str, str]
    query: bytes
    body: bytes


Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Intake:
    store: Store
    settings: WebhookSettings
    secrets: Secrets
    counters: Counters
    notify: Callable[[], None]
    writer: InboxWriter

    def verified(self, tool: Tool, delivery: Delivery) -> bool:
        headers, body = delivery.headers, delivery.body
        if tool == "github":
            return signature_valid(self.secrets.github, body, headers.get("x-hub-signature-256"))
        if self.secrets.jira is not None:
            return signature_valid(self.secrets.jira, body, headers.get("x-hub-signature"))
        token = parse_qs(delivery.query.decode("latin-1")).get("token")
        return token_valid(self.secrets.jira_url_token, token[0] if token else None)

    async def receive(self, tool: Tool, delivery: Delivery) -> Answer:
        if not self.verified(tool, delivery):
            self.counters.forged_delivery(tool)
            return 401, {"status": "unauthorized"}
        try:
            text = delivery.body.decode("utf-8")
            payload = _Envelope.model_validate_json(delivery.body)
        except (UnicodeDecodeError, ValidationError):  # not JSON, not an object, or nested too deep
            return 400, {"status": "not_json"}
        headers = delivery.headers
        if tool == "github":
            event = headers.get("x-github-event", "")
            delivery_id = headers.get("x-github-delivery", "")
            known = github_webhooks.handles(event)
        else:
            event = str(payload.webhook_event or "")
            delivery_id = headers.get("x-atlassian-webhook-identifier", "")
            known = jira_webhooks.handles(event)
        delivery_id = delivery_id.strip()[:200] or "sha256:" + hashlib.sha256(delivery.body).hexdigest()
        status: InboxStatus = "pending" if known else "ignored"
        kept = {k: v for k, v in headers.items() if k.startswith(_KEPT_HEADERS)}
        stored = await self.writer.put(InboxDelivery(delivery_id, tool, event[:100], kept, text, status))
        if not stored:
            return 200, {"status": "duplicate", "delivery": delivery_id}
        if known:
            self.notify()
            return 202, {"status": "accepted", "delivery": delivery_id}
        return 202, {"status": "ignored", "delivery": delivery_id, "event": event}


WEBHOOK_PATHS: dict[str, Tool] = {"/webhooks/github": "github", "/webhooks/jira": "jira"}


class WebhookEndpoints:
    """The receiver of one request to a path of :data:`WEBHOOK_PATHS`. The answer time is the hot path, so it
    skips the framework: no routing, middleware, request or response objects."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    async def __call__(self, tool: Tool, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _send_json(send, 405, {"status": "method_not_allowed"}, [(b"allow", b"POST")])
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        limit = self.intake.settings.max_body_bytes
        try:
            body = await _read_body(receive, headers.get("content-length"), limit)
        except _TooLargeError:
            await _send_json(send, 413, {"status": "too_large", "limit": limit}, [(b"connection", b"close")])
            return
        except _DisconnectedError:
            return  # the sender went away mid-body: nothing to store, nobody to answer
        delivery = Delivery(headers, scope.get("query_string", b""), body)
        status, answer = await self.intake.receive(tool, delivery)
        await _send_json(send, status, answer)


async def _read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLargeError
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLargeError
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(
    send: Send, status: int, answer: dict[str, Any], extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = orjson.dumps(answer)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *RESPONSE_HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
