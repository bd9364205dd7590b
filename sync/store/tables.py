"""The store's schema: SQLAlchemy Core tables that run unchanged on SQLite and PostgreSQL.

``records`` holds every record of the unified model (links included, as kind ``link``) as the JSON text pydantic
writes (read back with pydantic's JSON parser; ``data::json`` on PostgreSQL and ``json_extract`` on SQLite query
it), the raw payload beside it, and a digest of its content for cheap no-change detection. ``record_releases`` and
``links`` are indexes derived from the records on every write, so "items in a release" and "links of a record" are
single indexed queries. The remaining tables hold sync state (``cursors``, ``sync_runs``, ``rejects``), the webhook
inbox, the write-back audit trail, the web sessions ended by a logout (``revoked_sessions``) and ``meta``
(``schema_version``: what pmhub before migrations checked, see :mod:`sync.store.migrations`).

These tables are the *head* of the migrations: a change here goes with a new revision in
``sync/store/migrations/versions/`` (the test suite compares the two).

Every timestamp column is :class:`UtcDateTime`: aware datetimes in, aware UTC datetimes out, on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on every backend.

    Values are stored as UTC; SQLite hands them back naive, so reads attach UTC, and PostgreSQL's session-zone values
    are converted to UTC. A naive datetime is refused on the way in rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# why plain JSON rather than JSONB on PostgreSQL: nothing queries inside raw payloads, json keeps the text as
# written and accepts "\u0000", which jsonb rejects (https://www.postgresql.org/docs/15/datatype-json.html).
Json = JSON()

metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("id", String(512), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("tool", String(32), nullable=False),
    Column("instance", String(512), nullable=False),
    Column("source", String(200), nullable=False, comment="configured source name that wrote the record"),
    Column("stream", String(100), nullable=False),
    Column("updated", UtcDateTime(), nullable=False),
    Column("data", Text, nullable=False, comment="the record as JSON text (record.model_dump_json())"),
    Column("raw", Json, nullable=False, comment="the source payload the record was mapped from"),
    Column("digest", String(64), nullable=False, comment="sha256 of the record's JSON without 'updated'"),
    Column("deleted_at", UtcDateTime(), nullable=True),
    Index("ix_records_kind_tool", "kind", "tool"),
    Index("ix_records_source_stream", "source", "stream"),
)

record_releases = Table(
    "record_releases",
    metadata,
    Column("record_id", String(512), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("release_id", String(512), primary_key=True),
    Index("ix_record_releases_release", "release_id"),
)

links = Table(
    "links",
    metadata,
    Column("id", String(512), ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("from_id", String(512), nullable=False),
    Column("to_id", String(512), nullable=False),
    Column("link_kind", String(64), nullable=False),
    Index("ix_links_from", "from_id"),
    Index("ix_links_to", "to_id"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("stream", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False, comment="when the value last changed"),
    CheckConstraint("value <> ''", name="ck_cursors_value_not_empty"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("started", UtcDateTime(), nullable=False),
    Column("finished", UtcDateTime(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("stale", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0, comment="records the census marked deleted"),
    Column("requests", Integer, nullable=False, default=0),
    Column("waited", Float, nullable=False, default=0.0, comment="seconds spent waiting on rate limits"),
    Column("error", Text, nullable=True),
    Column("host", String(300), nullable=True, comment="machine (and PID namespace) of the process running it"),
    Column("pid", Integer, nullable=True),
    Column("heartbeat", UtcDateTime(), nullable=True, comment="last sign of life of that process while running"),
    CheckConstraint("status IN ('running', 'ok', 'failed', 'abandoned')", name="ck_sync_runs_status"),
    Index("ix_sync_runs_source_stream_status", "source", "stream", "status", "finished"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("native_id", String(512), nullable=True),
    Column("reason", Text, nullable=False),
    Column("raw", Json, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_rejects_source_stream_native", "source", "stream", "native_id"),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", String(200), nullable=False, unique=True),
    Column("tool", String(32), nullable=False),
    Column("event", String(100), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("headers", Json, nullable=False, comment="request headers without credentials or signatures"),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    CheckConstraint(
        "status IN ('pending', 'applied', 'ignored', 'failed', 'rejected')", name="ck_webhook_inbox_status"
    ),
    Index("ix_webhook_inbox_status", "status", "id"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target_id", String(512), nullable=False),
    Column("detail", Json, nullable=False),
    Index("ix_audit_target", "target_id", "at"),
)

revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False, comment="when the session would have ended anyway"),
    Index("ix_revoked_sessions_expires_at", "expires_at"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)
