"""Schema migrations (alembic): a store is brought to the newest revision this pmhub knows when it opens.

The revisions live in ``versions/``, forward only. ``0001`` is the schema of pmhub before migrations: a store of
that time has no ``alembic_version`` table and says ``schema_version = 1`` in ``meta``; it is recognised as ``0001``
and stamped. :func:`open_schema` finds the store's revision and then:

* at the newest (:func:`head`): nothing more (one read);
* empty: runs every revision, which creates the tables;
* older, or from before migrations: upgrades it in one write transaction, logged (``pmhub.sync.store.migrations``,
  warning) as one line naming both revisions;
* at a revision this pmhub does not know — a newer pmhub wrote it — refuses with a :class:`ConfigError` naming both.

Concurrent openers do not race: the upgrade holds PostgreSQL's advisory lock (SQLite: the write lock, taken by
``BEGIN IMMEDIATE``) and reads the revision again under it, so the second opener finds the work done.

Adding a revision: change :mod:`sync.store.tables`, then add ``versions/NNNN_what_changes.py`` with
``revision = "NNNN"``, ``down_revision`` the previous one and an ``upgrade()`` of alembic operations (on SQLite,
``op.batch_alter_table`` for what ALTER TABLE cannot do, such as CHECK constraints). The test suite upgrades stores
of every earlier revision with data in every table and compares the head with the tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select

from schema import ConfigError
from sync.store.database import Database
from sync.store.tables import meta, metadata

log = logging.getLogger(f"pmhub.{__name__}")

BASELINE = "0001"
_SCRIPTS = Path(__file__).parent
_LOCK_KEY = 0x706D687562  # "pmhub"


@dataclass(frozen=True)
class SchemaState:
    revision: str
    upgraded_from: str | None = None  # the revision before this open upgraded it
    created: bool = False  # the database was empty: this open created the tables

    def describe(self, url: str) -> str:
        if self.created:
            return f"store {url}: created the tables at revision {self.revision}"
        if self.upgraded_from is not None:
            return f"store {url} upgraded from revision {self.upgraded_from} to {self.revision}"
        return f"store {url} is at revision {self.revision}, the newest this pmhub knows"


@dataclass(frozen=True)
class _Found:
    revision: str | None  # None: an empty database
    stamped: bool  # False: no alembic_version row (empty, or written before migrations)


def alembic_config(conn: Connection | None = None) -> Config:
    """The alembic configuration that runs pmhub's revisions on ``conn`` (for alembic's commands)."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = conn
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    found = _scripts().get_current_head()
    assert found is not None, f"no revisions in {_SCRIPTS / 'versions'}"
    return found


def known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _find(conn: Connection, url: str) -> _Found:
    heads = MigrationContext.configure(conn).get_current_heads()
    if heads:
        return _Found(heads[0], stamped=True)
    tables = set(inspect(conn).get_table_names())
    if not tables & set(metadata.tables):
        return _Found(None, stamped=False)
    version = conn.scalar(select(meta.c.value).where(meta.c.key == "schema_version")) if meta.name in tables else None
    if version == "1":
        return _Found(BASELINE, stamped=False)
    raise ConfigError(
        f"store {url} has pmhub's tables but no migration revision, and schema version {version!r} where pmhub "
        "before migrations wrote '1'; point store.url at another database"
    )


def _refuse_unknown(found: _Found, url: str) -> None:
    if found.revision is not None and found.revision not in known_revisions():
        raise ConfigError(
            f"store {url} is at revision {found.revision}, which this pmhub does not know (its newest is "
            f"{head()}): a newer pmhub wrote it; upgrade pmhub, or point store.url at another database"
        )


def open_schema(db: Database) -> SchemaState:
    """Bring the store to :func:`head` (see the module docstring); what was done is logged and returned."""
    url, newest = db.url, head()
    found = db.read(lambda conn: _find(conn, url))
    _refuse_unknown(found, url)
    if found.stamped and found.revision == newest:
        return SchemaState(newest)
    state = db.write(lambda conn: _upgrade(conn, url))
    if state.created:
        log.info(state.describe(url))
    elif state.upgraded_from is not None:
        before = "" if found.stamped else " (schema version 1, before migrations)"
        log.warning("store %s upgraded from revision %s%s to %s", url, state.upgraded_from, before, state.revision)
    return state


def _upgrade(conn: Connection, url: str) -> SchemaState:
    if conn.dialect.name == "postgresql":
        # why: concurrent DDL can collide in PostgreSQL's catalog even with IF NOT EXISTS; openers queue here
        # (https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS)
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    found = _find(conn, url)  # again under the lock: another opener may have upgraded it meanwhile
    _refuse_unknown(found, url)
    newest = head()
    if found.stamped and found.revision == newest:
        return SchemaState(newest)
    config = alembic_config(conn)
    if found.revision is not None and not found.stamped:
        command.stamp(config, found.revision)
    command.upgrade(config, newest)
    return SchemaState(newest, upgraded_from=found.revision, created=found.revision is None)
