"""Web sessions ended by a logout, shared by every process on the store, so a copied cookie stops working on every
replica; a revocation goes once the session would have expired anyway.

API at a glance (``store.sessions``)::

    revoke(session_id, expires_at);  revoked(session_id) -> bool
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from sync.store.database import Database
from sync.store.tables import revoked_sessions


class Sessions:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._revoke_stmt = db.insert(revoked_sessions).on_conflict_do_nothing(
            index_elements=[revoked_sessions.c.session_id]
        )

    def revoke(self, session_id: str, expires_at: datetime) -> None:
        """Refuse the session from now on; revocations of sessions that have expired meanwhile are dropped."""

        def write(conn: Connection) -> None:
            conn.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at < datetime.now(UTC)))
            conn.execute(self._revoke_stmt, {"session_id": session_id, "expires_at": expires_at})

        self._db.write(write)

    def revoked(self, session_id: str) -> bool:
        stmt = select(revoked_sessions.c.session_id).where(revoked_sessions.c.session_id == session_id)
        return self._db.read(lambda conn: conn.scalar(stmt) is not None)
