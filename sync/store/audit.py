"""The write-back audit trail: every change pmhub made in a tool, every report it delivered, newest first.

API at a glance (``store.audit``)::

    add(action, target_id, detail, *, conn=None);  log(target_id=None, limit=100) -> list[AuditEntry]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from sync.store.database import Database
from sync.store.tables import audit


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    target_id: str
    detail: dict[str, Any]


class Audit:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, action: str, target_id: str, detail: Mapping[str, Any], *, conn: Connection | None = None) -> None:
        stmt = insert(audit).values(at=datetime.now(UTC), action=action, target_id=target_id, detail=dict(detail))
        self._db.write(lambda c: c.execute(stmt), conn)

    def log(self, target_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(audit.c.at, audit.c.action, audit.c.target_id, audit.c.detail).order_by(audit.c.id.desc())
        stmt = stmt.limit(limit)
        if target_id is not None:
            stmt = stmt.where(audit.c.target_id == target_id)
        return self._db.read(lambda conn: [AuditEntry(**row._asdict()) for row in conn.execute(stmt)])
