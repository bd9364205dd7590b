"""Stores written by earlier pmhub — at an earlier revision, or from before migrations — open upgraded with nothing
lost; a store of a newer pmhub is refused; the newest revision is exactly the tables (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, insert, select
from sqlalchemy.exc import IntegrityError

from connectors.base import Mapped
from schema import ConfigError
from sync.store import Store
from sync.store.migrations import BASELINE, head, known_revisions
from sync.store.tables import metadata
from tests.support.migrations import database, database_at, execute
from tests.sync.test_store import link, pull_request, release, run_in_threads, work_item

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
ITEM = work_item(1, releases=(release(10).id,))
LINK = link(pull_request(2).id, ITEM.id)

# one row for every table of revision 0001, as pmhub of that time wrote them
ROWS: dict[str, list[dict[str, Any]]] = {
    "records": [
        {
            "id": record.id,
            "kind": record.kind,
            "tool": record.source.tool.value,
            "instance": record.source.instance,
            "source": "jira",
            "stream": "issues",
            "updated": T0,
            "data": record.model_dump_json(),
            "raw": {"id": record.source.native_id},
            "digest": f"digest-{record.id}"[:64],
            "deleted_at": None,
        }
        for record in (ITEM, pull_request(2), LINK)
    ],
    "record_releases": [{"record_id": ITEM.id, "release_id": release(10).id}],
    "links": [{"id": LINK.id, "from_id": LINK.from_id, "to_id": LINK.to_id, "link_kind": LINK.link_kind}],
    "cursors": [{"source": "jira", "stream": "issues", "value": '{"since": "2026-11-02"}', "updated_at": T0}],
    "sync_runs": [
        {
            "id": 7,
            "source": "jira",
            "stream": "issues",
            "started": T0,
            "finished": T0 + timedelta(minutes=1),
            "status": "ok",
            **dict.fromkeys(("inserted", "updated", "unchanged", "stale", "rejected", "deleted", "requests"), 3),
            "waited": 1.5,
            "error": None,
        }
    ],
    "rejects": [
        {"id": 1, "source": "jira", "stream": "issues", "native_id": "9", "reason": "unmapped", "raw": {}, "at": T0}
    ],
    "webhook_inbox": [
        {
            "id": 1,
            "delivery_id": "d-1",
            "tool": "github",
            "event": "issues",
            "received_at": T0,
            "headers": {"X-GitHub-Event": "issues"},
            "body": "{}",
            "status": "applied",
            "attempts": 1,
            "last_error": None,
        }
    ],
    "audit": [{"id": 1, "at": T0, "action": "readiness.report", "target_id": ITEM.id, "detail": {"verdict": "GO"}}],
}


def reflected(conn: Connection) -> MetaData:
    found = MetaData()
    found.reflect(conn)
    return found


def fill_every_table(url: str) -> dict[str, list[dict[str, Any]]]:
    """Write :data:`ROWS` into the store at ``url`` as it is, and return every table's rows read back."""
    with database(url) as db:
        with db.transaction() as conn:
            tables = reflected(conn).tables
            for name, rows in ROWS.items():
                conn.execute(insert(tables[name]), rows)
        return db.read(dump)


def dump(conn: Connection, columns_of: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of every pmhub table the database has (of those ``columns_of`` has, when given: only their columns),
    by primary key."""
    tables = reflected(conn).tables
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in metadata.tables:
        if name not in tables or (columns_of is not None and name not in columns_of.tables):
            continue  # a table a later revision added
        table = tables[name]
        columns = [c for c in table.c if columns_of is None or c.name in columns_of.tables[name].c]
        stmt = select(*columns).order_by(*table.primary_key.columns)
        rows[name] = [dict(row._mapping) for row in conn.execute(stmt)]
    return rows


def schema_of(url: str) -> MetaData:
    with database(url) as db:
        return db.read(reflected)


@pytest.mark.parametrize("before_migrations", [False, True], ids=["revision-0001", "before-migrations"])
def test_an_older_store_with_data_in_every_table_upgrades_to_head_with_nothing_lost(
    fresh_store_url: str, before_migrations: bool, caplog: pytest.LogCaptureFixture
) -> None:
    database_at(fresh_store_url, BASELINE, before_migrations=before_migrations)
    old_schema = schema_of(fresh_store_url)
    written = fill_every_table(fresh_store_url)

    with caplog.at_level(logging.WARNING, logger="pmhub.sync.store"), Store(fresh_store_url) as store:
        kept = store.db.read(lambda conn: dump(conn, columns_of=old_schema))
        state, runs = store.schema, store.runs.recent()
        found = store.records.get(ITEM.id)
        members = store.records.in_release(release(10).id)
        cursor = store.cursors.get("jira", "issues")
        audit = store.audit.log(ITEM.id)

    assert set(written) == set(ROWS) | {"meta"}
    assert all(written[name] for name in ROWS), "every table of the old revision holds a row"
    # meta.schema_version says 2 from revision 0002 on: pmhub before migrations refuses such a store
    assert kept == written | {"meta": [{"key": "schema_version", "value": "2"}]}
    assert (state.revision, state.upgraded_from) == (head(), BASELINE)
    assert found == ITEM
    assert members == [ITEM]
    assert cursor == '{"since": "2026-11-02"}'
    assert [(r.id, r.status, r.inserted, r.host, r.pid, r.heartbeat) for r in runs] == [(7, "ok", 3, None, None, None)]
    assert [a.detail for a in audit] == [{"verdict": "GO"}]
    (logged,) = [r.getMessage() for r in caplog.records]
    assert f"upgraded from revision {BASELINE}" in logged
    assert f"to {head()}" in logged
    assert ("before migrations" in logged) is before_migrations
    assert "pmhub:pmhub@" not in logged


def test_after_the_upgrade_runs_may_be_abandoned_and_deliveries_rejected(fresh_store_url: str) -> None:
    database_at(fresh_store_url, BASELINE)
    run = {"source": "jira", "stream": "issues", "started": T0, "status": "abandoned"}
    counts = dict.fromkeys(("inserted", "updated", "unchanged", "stale", "rejected", "deleted", "requests"), 0)
    counts["waited"] = 0
    delivery = {
        "delivery_id": "d-9",
        "tool": "jira",
        "event": "jira:issue_updated",
        "received_at": T0,
        "headers": {},
        "body": "{}",
        "status": "rejected",
        "attempts": 0,
    }
    refused = pytest.raises(IntegrityError, match="ck_sync_runs_status")
    with database(fresh_store_url) as db, refused, db.transaction() as conn:
        conn.execute(insert(reflected(conn).tables["sync_runs"]), [run | counts])

    with Store(fresh_store_url) as store, store.db.transaction() as conn:
        conn.execute(insert(reflected(conn).tables["sync_runs"]), [run | counts])
        conn.execute(insert(reflected(conn).tables["webhook_inbox"]), [delivery])

    with Store(fresh_store_url) as store:
        assert [r.status for r in store.runs.recent()] == ["abandoned"]
        assert store.inbox.counts()["rejected"] == 1


def test_a_fresh_database_gets_every_table_at_the_newest_revision(fresh_store_url: str) -> None:
    with Store(fresh_store_url) as store:
        state = store.schema
        revision = store.db.read(lambda conn: MigrationContext.configure(conn).get_current_revision())

    assert state.created
    assert revision == head()


def test_the_newest_revision_is_exactly_the_tables(fresh_store_url: str) -> None:
    with Store(fresh_store_url) as store:
        differences = store.db.read(lambda conn: compare_metadata(MigrationContext.configure(conn), metadata))

    assert differences == []


def test_a_store_of_a_newer_pmhub_is_refused_naming_both_revisions(fresh_store_url: str) -> None:
    database_at(fresh_store_url, head())
    execute(fresh_store_url, "UPDATE alembic_version SET version_num = '0099'")

    with pytest.raises(ConfigError) as refused:
        Store(fresh_store_url)

    message = str(refused.value)
    assert "revision 0099" in message
    assert f"its newest is {head()}" in message
    assert "upgrade pmhub" in message
    assert "pmhub:pmhub@" not in message
    assert "0099" not in known_revisions()


def test_tables_without_a_revision_or_the_old_schema_version_are_refused(fresh_store_url: str) -> None:
    database_at(fresh_store_url, BASELINE, before_migrations=True)
    execute(fresh_store_url, "UPDATE meta SET value = '0' WHERE key = 'schema_version'")

    with pytest.raises(ConfigError, match="schema version '0'"):
        Store(fresh_store_url)


def test_stores_opened_at_once_on_an_older_store_upgrade_it_exactly_once(fresh_store_url: str) -> None:
    database_at(fresh_store_url, BASELINE, before_migrations=True)

    def open_and_write(worker: int) -> str | None:
        with Store(fresh_store_url) as opened:
            opened.records.upsert([Mapped(record=work_item(worker), raw={})], source="jira", stream="issues")
            return opened.schema.upgraded_from

    found = run_in_threads(open_and_write, 4)

    assert sorted(found, key=str) == [BASELINE, None, None, None]
    with Store(fresh_store_url) as store:
        assert store.db.counts()["records"] == 4
