"""The webhook inbox: every verified delivery, durable before the 2xx, deduplicated by delivery id, with the outcome
of applying it. Applying is idempotent, so a delivery applied twice is harmless.

API at a glance (``store.inbox``)::

    put(delivery_id, tool, event, headers, body, *, status="pending") -> bool   # False: delivery already stored
    put_many(deliveries: Sequence[InboxDelivery]) -> set[str]       # one transaction; the delivery ids stored
    pending(limit=100, max_attempts=5) -> list[InboxEntry];  mark(delivery_id, status, error=None)
    mark_many(delivery_ids, status, error=None, *, conn=None) -> int            # deliveries found
    counts() -> dict[str, int];  last_received(tool=None) -> datetime | None

Statuses: ``pending`` (to apply), ``applied``, ``ignored`` (an event pmhub does not handle), ``failed`` (retried
while attempts are left) and ``rejected`` (signed, but it does not fit: kept with its reason, never applied).
Credential headers are never stored.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, get_args

from sqlalchemy import Connection, and_, func, or_, select, update

from sync.store.database import Database, chunks
from sync.store.tables import webhook_inbox

InboxStatus = Literal["pending", "applied", "ignored", "failed", "rejected"]

_SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|signature|api[-_]?key|password", re.IGNORECASE)


@dataclass(frozen=True)
class InboxDelivery:
    """A delivery to keep in the webhook inbox (see :meth:`Inbox.put_many`)."""

    delivery_id: str
    tool: str
    event: str
    headers: Mapping[str, str]
    body: str
    status: InboxStatus = "pending"


@dataclass(frozen=True)
class InboxEntry:
    id: int
    delivery_id: str
    tool: str
    event: str
    received_at: datetime
    headers: dict[str, str]
    body: str
    status: InboxStatus
    attempts: int
    last_error: str | None


@lru_cache(maxsize=1024)
def _secret_header(name: str) -> bool:
    return _SECRET_HEADER.search(name) is not None


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if not _secret_header(name)}


class Inbox:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert_stmt = (
            db.insert(webhook_inbox)
            .on_conflict_do_nothing(index_elements=[webhook_inbox.c.delivery_id])
            .returning(webhook_inbox.c.delivery_id)
        )

    def put(
        self,
        delivery_id: str,
        tool: str,
        event: str,
        headers: Mapping[str, str],
        body: str,
        *,
        status: InboxStatus = "pending",
        received_at: datetime | None = None,
    ) -> bool:
        """Store a delivery once; ``False`` when its id is already in the inbox."""
        delivery = InboxDelivery(delivery_id, tool, event, headers, body, status)
        return bool(self.put_many([delivery], received_at=received_at))

    def put_many(self, deliveries: Sequence[InboxDelivery], *, received_at: datetime | None = None) -> set[str]:
        """Store, in one transaction, each delivery whose id is not in the inbox yet (of an id repeated among
        ``deliveries``, the first); returns the delivery ids stored."""
        at = received_at or datetime.now(UTC)
        rows: dict[str, dict[str, Any]] = {}
        for d in deliveries:
            if d.delivery_id not in rows:
                rows[d.delivery_id] = {
                    "delivery_id": d.delivery_id,
                    "tool": d.tool,
                    "event": d.event,
                    "received_at": at,
                    "headers": _safe_headers(d.headers),
                    "body": d.body,
                    "status": d.status,
                    "attempts": 0,
                }
        if not rows:
            return set()
        return self._db.write(lambda conn: set(conn.scalars(self._insert_stmt, list(rows.values()))))

    def pending(self, limit: int = 100, max_attempts: int = 5) -> list[InboxEntry]:
        """Deliveries to apply, oldest first: pending ones, and failed ones with attempts left."""
        retry = and_(webhook_inbox.c.status == "failed", webhook_inbox.c.attempts < max_attempts)
        stmt = (
            select(webhook_inbox)
            .where(or_(webhook_inbox.c.status == "pending", retry))
            .order_by(webhook_inbox.c.id)
            .limit(limit)
        )
        return self._db.read(lambda conn: [InboxEntry(**row._asdict()) for row in conn.execute(stmt)])

    def mark(self, delivery_id: str, status: InboxStatus, error: str | None = None) -> None:
        """Record the outcome of one attempt to apply a delivery."""
        if self.mark_many([delivery_id], status, error) != 1:
            raise KeyError(f"no webhook delivery {delivery_id!r} in the inbox")

    def mark_many(
        self,
        delivery_ids: Collection[str],
        status: InboxStatus,
        error: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> int:
        """Record the same outcome of one attempt to apply each delivery; returns how many were in the inbox."""

        def mark(c: Connection) -> int:
            marked = 0
            for chunk in chunks(delivery_ids):
                stmt = (
                    update(webhook_inbox)
                    .where(self._db.among(webhook_inbox.c.delivery_id, chunk))
                    .values(status=status, attempts=webhook_inbox.c.attempts + 1, last_error=error)
                )
                marked += c.execute(stmt).rowcount
            return marked

        return self._db.write(mark, conn)

    def counts(self) -> dict[str, int]:
        """Deliveries per status (every status present, zero when none)."""
        stmt = select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
        found = self._db.read(lambda conn: {status: count for status, count in conn.execute(stmt)})
        return {status: found.get(status, 0) for status in get_args(InboxStatus)}

    def last_received(self, tool: str | None = None) -> datetime | None:
        stmt = select(func.max(webhook_inbox.c.received_at))
        if tool is not None:
            stmt = stmt.where(webhook_inbox.c.tool == tool)
        received: datetime | None = self._db.read(lambda conn: conn.scalar(stmt))
        return received
