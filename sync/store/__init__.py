"""The store: pmhub's single source of truth on SQLite (default) or PostgreSQL, through SQLAlchemy Core.

``Store(url, retry_seconds=60)`` opens the database at any SQLAlchemy URL of the two supported backends —
``sqlite:///.pmhub/pmhub.db`` (the default) or ``postgresql+psycopg://user:password@host/db`` — and brings its
schema to the newest revision (:mod:`sync.store.migrations`: created when empty, upgraded when older, refused when
newer than this pmhub). Its parts, each over the same :class:`~sync.store.database.Database` (one engine, one write
transaction, the same retries when the database blinks), each with its API at a glance in its module:

==================  ==================================================================================
``store.db``        :mod:`sync.store.database` — ``transaction()``, ``write(fn)``, ``read(fn)``, ``counts()``
``store.records``   :mod:`sync.store.records` — idempotent upserts, pages, the delete census, queries
``store.links``     :mod:`sync.store.links` — cross-tool links and the linking generation
``store.cursors``   :mod:`sync.store.runs` — where each stream got to
``store.runs``      :mod:`sync.store.runs` — how each sync run went; abandoned runs
``store.rejects``   :mod:`sync.store.runs` — payloads that did not fit
``store.inbox``     :mod:`sync.store.inbox` — the durable webhook inbox
``store.audit``     :mod:`sync.store.audit` — the write-back audit trail
``store.sessions``  :mod:`sync.store.sessions` — web sessions ended by a logout
==================  ==================================================================================

Writes compose: a method that takes ``conn=`` runs inside a transaction the caller holds
(``with store.db.transaction() as conn: ...``), else in one of its own. SQLite specifics (WAL, write lock, the WAL
checkpoint thread) live in :mod:`sync.store.sqlite`; the tables in :mod:`sync.store.tables`.
"""

from __future__ import annotations

from sync.store.audit import Audit
from sync.store.database import RETRY_SECONDS, Database
from sync.store.inbox import Inbox
from sync.store.links import Links
from sync.store.migrations import SchemaState, open_schema
from sync.store.records import Records
from sync.store.runs import Cursors, Rejects, Runs
from sync.store.sessions import Sessions

DEFAULT_URL = "sqlite:///.pmhub/pmhub.db"


class Store:
    """See the module docstring."""

    def __init__(self, url: str = DEFAULT_URL, *, retry_seconds: float = RETRY_SECONDS) -> None:
        self.db = Database(url, retry_seconds=retry_seconds)
        try:
            self.schema: SchemaState = open_schema(self.db)
        except BaseException:
            self.db.close()
            raise
        self.cursors = Cursors(self.db)
        self.rejects = Rejects(self.db)
        self.records = Records(self.db, self.cursors, self.rejects)
        self.links = Links(self.db, self.records, self.cursors)
        self.runs = Runs(self.db)
        self.inbox = Inbox(self.db)
        self.audit = Audit(self.db)
        self.sessions = Sessions(self.db)

    @property
    def url(self) -> str:
        """The URL with its password hidden, safe to print."""
        return self.db.url

    def close(self) -> None:
        self.runs.close()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


__all__ = ["DEFAULT_URL", "Store"]
