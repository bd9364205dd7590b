"""Inbox status ``rejected``; run status ``abandoned`` and the run's owner (host, pid) and heartbeat.

A signed webhook delivery that does not fit is kept as ``rejected`` with its reason. A run whose process ended
without finishing (``kill -9``) is marked ``abandoned`` by the next run of its stream, which tells from ``host``,
``pid`` and ``heartbeat`` that nobody is running it any more (see :mod:`sync.store.runs`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # why batch: SQLite cannot ALTER a CHECK constraint; batch mode copies the table into the new shape there and
    # runs plain ALTER TABLE on PostgreSQL (https://alembic.sqlalchemy.org/en/latest/batch.html)
    with op.batch_alter_table("sync_runs") as runs:
        runs.add_column(
            sa.Column(
                "host", sa.String(300), nullable=True, comment="machine (and PID namespace) of the process running it"
            )
        )
        runs.add_column(sa.Column("pid", sa.Integer, nullable=True))
        runs.add_column(
            sa.Column(
                "heartbeat",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="last sign of life of that process while running",
            )
        )
        runs.drop_constraint("ck_sync_runs_status", type_="check")
        runs.create_check_constraint("ck_sync_runs_status", "status IN ('running', 'ok', 'failed', 'abandoned')")
    with op.batch_alter_table("webhook_inbox") as inbox:
        inbox.drop_constraint("ck_webhook_inbox_status", type_="check")
        inbox.create_check_constraint(
            "ck_webhook_inbox_status", "status IN ('pending', 'applied', 'ignored', 'failed', 'rejected')"
        )
    # why: pmhub before migrations opens a store only at schema version 1; a store it cannot read must say otherwise
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="2"))
