"""``revoked_sessions``: web sessions ended by a logout, so a copied cookie stops working on every replica."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column(
            "expires_at", sa.DateTime(timezone=True), nullable=False, comment="when the session would have ended anyway"
        ),
    )
    op.create_index("ix_revoked_sessions_expires_at", "revoked_sessions", ["expires_at"])
