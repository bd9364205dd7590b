"""Stores as older pmhub left them: at an earlier migration revision, or from before migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import text

from sync.store.database import Database
from sync.store.migrations import alembic_config


@contextmanager
def database(url: str) -> Iterator[Database]:
    """The database at ``url`` as it is: no revision is checked or applied."""
    db = Database(url)
    try:
        yield db
    finally:
        db.close()


def execute(url: str, sql: str) -> None:
    with database(url) as db, db.transaction() as conn:
        conn.execute(text(sql))


def database_at(url: str, revision: str, *, before_migrations: bool = False) -> None:
    """Bring the empty database at ``url`` to ``revision``; ``before_migrations``: then forget the revision, as
    pmhub before migrations left its stores (its tables, ``meta.schema_version = 1``, no ``alembic_version``)."""
    with database(url) as db, db.transaction() as conn:
        command.upgrade(alembic_config(conn), revision)
        if before_migrations:
            conn.execute(text("DROP TABLE alembic_version"))
