"""Outbound webhook delivery for the sandbox, signed and shaped as GitHub and Jira Cloud deliver them.

One :class:`WebhookSender` serves every sandbox app; the runner creates it and passes it to each. Deliveries run on
a background thread from a queue, so the change that caused one returns at once, like the real services.

Public API (stable; the Jira and GitHub sandboxes call it)::

    sender = WebhookSender()
    sender.register("github", url, secret)          # any number of targets per tool; secret may be None
    sender.register("github", url, secret, repo="o/r", events={"issues"}, hook_id=7)
                                                    # a repository hook: only that repo's subscribed events
    sender.send_github("issues", payload)           # payload = the body (action, issue, repository, sender ...)
    sender.send_jira("jira:issue_updated", payload)  # payload = issue, changelog, user ...; webhookEvent and
                                                     # timestamp (epoch ms) are filled in when missing
    sender.flush(timeout=5.0)                        # wait until every queued delivery and retry has run
    sender.deliveries                                # every attempt so far, as Delivery records
    sender.close()

GitHub (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers): ``X-GitHub-Event``,
``X-GitHub-Delivery`` (a uuid), ``X-GitHub-Hook-ID``, ``X-GitHub-Hook-Installation-Target-Type/-ID``,
``X-Hub-Signature-256: sha256=<HMAC-SHA256(secret, raw body)>`` (and the legacy SHA-1 ``X-Hub-Signature``) when a
secret is set, ``User-Agent: GitHub-Hookshot/<id>``. A failed delivery is not retried: GitHub does not redeliver
on its own (https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries).

Jira Cloud (https://developer.atlassian.com/cloud/jira/platform/webhooks/): ``X-Atlassian-Webhook-Identifier``
(the same on every retry of one delivery), ``X-Hub-Signature: sha256=<HMAC-SHA256(secret, raw body)>`` when a secret
is set (https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks), and
``X-Atlassian-Webhook-Retry: <n>`` on retries. Jira retries a delivery answered with 408, 409, 425, 429 or 5xx, or
that could not connect, up to five times; the sandbox waits ``jira_retry_delays`` between attempts instead of
Jira's minutes.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Tool = Literal["github", "jira"]
_JIRA_RETRY_STATUSES = frozenset({408, 409, 425, 429})


def hmac_sha256(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: the signature header value both GitHub and Jira send."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Target:
    """Where deliveries go; a repository hook (``repo`` set) gets that repository's ``events`` only (all: ``None``)."""

    tool: Tool
    url: str
    secret: str | None
    hook_id: int
    repo: str | None = None
    events: frozenset[str] | None = None

    def wants(self, event: str, repo: str | None) -> bool:
        in_repo = self.repo is None or (repo or "").lower() == self.repo.lower()
        return in_repo and (self.events is None or event in self.events or "*" in self.events)


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt: ``status`` is the receiver's HTTP status, or None when it could not be reached."""

    tool: Tool
    event: str
    delivery_id: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    target: Target = field(compare=False)
    event: str = field(compare=False)
    delivery_id: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(compare=False, default=1)


class WebhookSender:
    def __init__(
        self, *, timeout: float = 10.0, jira_retry_delays: tuple[float, ...] = (0.2, 0.4, 0.8, 1.6, 3.2)
    ) -> None:
        self._timeout = timeout
        self._jira_delays = jira_retry_delays
        self._targets: list[Target] = []
        self._deliveries: list[Delivery] = []
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._hook_ids = itertools.count(470_000_001)
        self._busy = 0
        self._closed = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------------------- targets

    def register(
        self,
        tool: Tool,
        url: str,
        secret: str | None = None,
        *,
        repo: str | None = None,
        events: frozenset[str] | None = None,
        hook_id: int | None = None,
    ) -> Target:
        target = Target(tool, url, secret or None, hook_id or next(self._hook_ids), repo, events)
        with self._cond:
            kept = [t for t in self._targets if (t.tool, t.url, t.repo) != (tool, url, repo)]
            self._targets = [*kept, target]
        return target

    def next_hook_id(self) -> int:
        return next(self._hook_ids)

    def unregister(self, tool: Tool, url: str | None = None, *, repo: str | None = None) -> None:
        def kept(t: Target) -> bool:
            return t.tool != tool or (url is not None and t.url != url) or (repo is not None and t.repo != repo)

        with self._cond:
            self._targets = [t for t in self._targets if kept(t)]

    def targets(self, tool: Tool) -> list[Target]:
        with self._cond:
            return [t for t in self._targets if t.tool == tool]

    @property
    def deliveries(self) -> list[Delivery]:
        with self._cond:
            return list(self._deliveries)

    # -------------------------------------------------------------------------------------------- sending

    def send_github(self, event: str, payload: dict[str, Any]) -> list[str]:
        """Queue ``payload`` for every GitHub target that wants it; returns the delivery ids (one per target)."""
        repo = (payload.get("repository") or {}).get("full_name")
        return self._enqueue("github", event, json.dumps(payload).encode(), repo)

    def send_jira(self, event: str, payload: dict[str, Any]) -> list[str]:
        body = {"timestamp": int(time.time() * 1000), "webhookEvent": event} | payload
        return self._enqueue("jira", event, json.dumps(body).encode(), None)

    def _enqueue(self, tool: Tool, event: str, body: bytes, repo: str | None) -> list[str]:
        ids = []
        with self._cond:
            for target in (t for t in self._targets if t.tool == tool and t.wants(event, repo)):
                delivery_id = str(uuid.uuid4()) if tool == "github" else str(uuid.uuid4().int % 10**18)
                heapq.heappush(self._heap, _Job(time.monotonic(), next(self._seq), target, event, delivery_id, body))
                ids.append(delivery_id)
            if ids and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return ids

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is queued or in flight; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._busy, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)

    # -------------------------------------------------------------------------------------------- worker

    def _run(self) -> None:
        with httpx.Client(timeout=self._timeout) as client:
            while (job := self._next_job()) is not None:
                retry = None
                try:
                    retry = self._deliver(client, job)
                finally:
                    with self._cond:
                        self._busy -= 1
                        if retry is not None:
                            heapq.heappush(self._heap, retry)
                        self._cond.notify_all()

    def _next_job(self) -> _Job | None:
        with self._cond:
            while not self._closed:
                if self._heap and self._heap[0].due <= time.monotonic():
                    self._busy += 1
                    return heapq.heappop(self._heap)
                self._cond.wait(timeout=self._heap[0].due - time.monotonic() if self._heap else None)
            return None

    def _deliver(self, client: httpx.Client, job: _Job) -> _Job | None:
        headers = self._headers(job)
        status: int | None = None
        error: str | None = None
        try:
            status = client.post(job.target.url, content=job.body, headers=headers).status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        record = Delivery(
            job.target.tool, job.event, job.delivery_id, job.target.url, job.attempt, status, error, headers, job.body
        )
        with self._cond:
            self._deliveries.append(record)
        failed = status is None or status in _JIRA_RETRY_STATUSES or status >= 500
        if job.target.tool == "jira" and failed and job.attempt <= len(self._jira_delays):
            delay = self._jira_delays[job.attempt - 1]
            return _Job(
                time.monotonic() + delay,
                next(self._seq),
                job.target,
                job.event,
                job.delivery_id,
                job.body,
                job.attempt + 1,
            )
        return None

    @staticmethod
    def _headers(job: _Job) -> dict[str, str]:
        target = job.target
        if target.tool == "github":
            repo = json.loads(job.body).get("repository") or {}
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/5f1a2b3",
                "X-GitHub-Event": job.event,
                "X-GitHub-Delivery": job.delivery_id,
                "X-GitHub-Hook-ID": str(target.hook_id),
                "X-GitHub-Hook-Installation-Target-Type": "repository",
                "X-GitHub-Hook-Installation-Target-ID": str(repo.get("id", "")),
            }
            if target.secret:
                headers["X-Hub-Signature"] = "sha1=" + hmac.new(target.secret.encode(), job.body, "sha1").hexdigest()
                headers["X-Hub-Signature-256"] = hmac_sha256(target.secret, job.body)
            return headers
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": job.delivery_id,
        }
        if job.attempt > 1:
            headers["X-Atlassian-Webhook-Retry"] = str(job.attempt - 1)
        if target.secret:
            headers["X-Hub-Signature"] = hmac_sha256(target.secret, job.body)
        return headers
