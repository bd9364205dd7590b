"""What the status page shows, as data: the same objects back the HTML page and ``/api``.

The page's :class:`schema.readiness.StatusReport` is :func:`sync.status.status_report` over the store — readiness
of every upcoming release evaluated without being saved, so reading the page never changes the readiness history;
:func:`webhook_health` is the receiver's side (last delivery per tool, inbox counts, deliveries that failed to apply
or were rejected (:func:`inbox_problems`), refused deliveries and logins, throttled logins). :class:`StatusCache`
evaluates once per data version and minute, however many readers ask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hub.web.security import Counters
from schema import release_key
from schema.readiness import ReadinessReport, StatusReport, WebhookFailure
from sync.status import StatusConfig, status_report
from sync.store import Store
from sync.store.tables import webhook_inbox


def find_report(status: StatusReport, project: str, name: str) -> ReadinessReport | None:
    wanted = release_key(name)
    for report in status.releases:
        release = report.release
        if release.project.casefold() == project.casefold() and release_key(release.name) == wanted:
            return report
    return None


@dataclass(frozen=True)
class WebhookHealth:
    last_received: dict[str, datetime | None]
    inbox: dict[str, int]
    failures: list[WebhookFailure]
    forged_deliveries: dict[str, int]
    failed_logins: int
    throttled_logins: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_received"] = {k: v.isoformat() if v else None for k, v in self.last_received.items()}
        data["failures"] = [failure.model_dump(mode="json") for failure in self.failures]
        return data


def inbox_problems(store: Store, limit: int = 20) -> list[WebhookFailure]:
    """The newest deliveries that failed to apply or were rejected."""
    names = ("delivery_id", "tool", "event", "status", "received_at", "attempts", "last_error")
    stmt = (
        select(*(webhook_inbox.c[name] for name in names))
        .where(webhook_inbox.c.status.in_(("failed", "rejected")))
        .order_by(webhook_inbox.c.id.desc())
        .limit(limit)
    )
    with store.db.engine.connect() as conn:
        return [WebhookFailure(**row._asdict()) for row in conn.execute(stmt)]


def webhook_health(store: Store, counters: Counters, limit: int = 20) -> WebhookHealth:
    refusals = counters.snapshot()
    return WebhookHealth(
        last_received={tool: store.inbox.last_received(tool) for tool in ("github", "jira")},
        inbox=store.inbox.counts(),
        failures=inbox_problems(store, limit),
        forged_deliveries=refusals.forged,
        failed_logins=refusals.failed_logins,
        throttled_logins=refusals.throttled_logins,
    )


class StatusCache:
    """The last :class:`StatusReport`, rebuilt when the data version or the minute changes."""

    def __init__(self, store: Store, config: StatusConfig, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._key: tuple[str, str] | None = None
        self._status: StatusReport | None = None

    def get(self, version: str) -> StatusReport:
        now = self._clock()
        key = (version, now.strftime("%Y-%m-%dT%H:%M"))
        with self._lock:
            if self._status is None or self._key != key:
                self._status = status_report(self._store, self._config, now)
                self._key = key
            return self._status
