"""What the status page shows, as data: the same objects back the HTML page and ``/api``.

:func:`build_status` gathers a :class:`schema.readiness.StatusReport` from the store (readiness of every upcoming
release — evaluated without being saved, so reading the page never changes the readiness history —, roadmap items,
contradictions and per-source freshness); :func:`webhook_health` the receiver's side (last delivery per tool, inbox
counts, deliveries that failed to apply or were rejected (:func:`inbox_problems`), refused deliveries and
logins, throttled logins). :class:`StatusCache` evaluates once per data version and minute, however many readers ask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hub.web.security import Counters
from schema import release_key
from schema.readiness import ReadinessReport, StatusReport, WebhookFailure
from sync.overview import upcoming_releases
from sync.readiness import ReadinessConfig, freshness_rows, readiness_for
from sync.reconcile.rules import ReconcileConfig
from sync.reconcile.write_back import reconcile_store
from sync.roadmap import RoadmapConfig, RoadmapEntry, roadmap_from_store
from sync.store import Store
from sync.store.tables import webhook_inbox


@dataclass(frozen=True)
class PageConfig:
    """How the page judges: the readiness checks, reconciliation rules and roadmap of the configuration."""

    readiness: ReadinessConfig = field(default_factory=ReadinessConfig)
    reconcile: ReconcileConfig | None = field(default_factory=ReconcileConfig)
    roadmap_items: Mapping[str, RoadmapEntry] = field(default_factory=dict)
    roadmap_rules: RoadmapConfig = field(default_factory=RoadmapConfig)


def build_status(store: Store, config: PageConfig, now: datetime) -> StatusReport:
    """Like :func:`hub.service.status_report`, but nothing is saved: a report kept by the page would become the
    baseline the readiness notifications diff against, and a change seen first on the page would never be sent."""
    releases = [readiness_for(store, r, config.readiness, now, persist=False) for r in upcoming_releases(store)]
    roadmap = roadmap_from_store(store, config.roadmap_items, config.roadmap_rules, now)
    contradictions = reconcile_store(store, config.reconcile, now).contradictions if config.reconcile else []
    return StatusReport(
        generated_at=now,
        releases=releases,
        roadmap=roadmap,
        contradictions=contradictions,
        freshness=freshness_rows(store.runs.last_successes(), config.readiness.freshness, now),
    )


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

    def __init__(self, store: Store, config: PageConfig, clock: Callable[[], datetime]) -> None:
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
                self._status = build_status(self._store, self._config, now)
                self._key = key
            return self._status
