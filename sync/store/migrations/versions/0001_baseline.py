"""Baseline: the store's schema before migrations (``meta.schema_version = 1``).

A store written by pmhub before migrations has exactly these tables and no ``alembic_version``; it is recognised
as this revision and stamped, never created again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(512), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tool", sa.String(32), nullable=False),
        sa.Column("instance", sa.String(512), nullable=False),
        sa.Column("source", sa.String(200), nullable=False, comment="configured source name that wrote the record"),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.Column("data", sa.Text, nullable=False, comment="the record as JSON text (record.model_dump_json())"),
        sa.Column("raw", sa.JSON, nullable=False, comment="the source payload the record was mapped from"),
        sa.Column("digest", sa.String(64), nullable=False, comment="sha256 of the record's JSON without 'updated'"),
        sa.Column("deleted_at", _TIME, nullable=True),
    )
    op.create_index("ix_records_kind_tool", "records", ["kind", "tool"])
    op.create_index("ix_records_source_stream", "records", ["source", "stream"])
    op.create_table(
        "record_releases",
        sa.Column("record_id", sa.String(512), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("release_id", sa.String(512), primary_key=True),
    )
    op.create_index("ix_record_releases_release", "record_releases", ["release_id"])
    op.create_table(
        "links",
        sa.Column("id", sa.String(512), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("from_id", sa.String(512), nullable=False),
        sa.Column("to_id", sa.String(512), nullable=False),
        sa.Column("link_kind", sa.String(64), nullable=False),
    )
    op.create_index("ix_links_from", "links", ["from_id"])
    op.create_index("ix_links_to", "links", ["to_id"])
    op.create_table(
        "cursors",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("stream", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False, comment="when the value last changed"),
        sa.CheckConstraint("value <> ''", name="ck_cursors_value_not_empty"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("started", _TIME, nullable=False),
        sa.Column("finished", _TIME, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("stale", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False, comment="records the census marked deleted"),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("waited", sa.Float, nullable=False, comment="seconds spent waiting on rate limits"),
        sa.Column("error", sa.Text, nullable=True),
        sa.CheckConstraint("status IN ('running', 'ok', 'failed')", name="ck_sync_runs_status"),
    )
    op.create_index("ix_sync_runs_source_stream_status", "sync_runs", ["source", "stream", "status", "finished"])
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("native_id", sa.String(512), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_rejects_source_stream_native", "rejects", ["source", "stream", "native_id"])
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(200), nullable=False, unique=True),
        sa.Column("tool", sa.String(32), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False, comment="request headers without credentials or signatures"),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'applied', 'ignored', 'failed')", name="ck_webhook_inbox_status"),
    )
    op.create_index("ix_webhook_inbox_status", "webhook_inbox", ["status", "id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_id", sa.String(512), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_target", "audit", ["target_id", "at"])
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])
