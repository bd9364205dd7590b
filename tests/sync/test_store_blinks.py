"""PostgreSQL restarting, resetting connections or refusing them for a few seconds is survived: the store retries the
whole transaction for a bounded time. What is not transient — a wrong password — fails at once.

Faults come from :class:`~tests.support.blinking_proxy.BlinkingProxy`, a real TCP proxy in front of the suite's
real PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from connectors.base import Mapped
from hub.settings import load_settings
from hub.sources import build_source
from sandbox.runner import Sandbox
from schema import RetryLaterError
from sync.engine import sync_source
from sync.store import Store
from sync.store.database import YIELD_PER
from sync.store.tables import cursors, record_releases, records, rejects
from tests.support import postgres
from tests.support.blinking_proxy import BlinkingProxy
from tests.sync.test_store import work_item


@pytest.fixture
def proxy() -> Iterator[BlinkingProxy]:
    started = BlinkingProxy(postgres.POSTGRES_URL).start()
    yield started
    started.stop()


@pytest.fixture
def schema_url(postgres_admin: Engine) -> Iterator[Any]:
    """A factory of URLs of fresh schemas, dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        schema, url = postgres.create_schema(postgres_admin)
        made.append(schema)
        return url

    yield make
    for schema in made:
        postgres.drop_schema(postgres_admin, schema)


def contents(store: Store) -> dict[str, Any]:
    """What a sync leaves in the store, without what differs between two syncs of one world (read times)."""

    def read(conn: Any) -> dict[str, Any]:
        return {
            "records": set(conn.execute(select(records.c.id, records.c.digest, records.c.deleted_at.is_(None)))),
            "record_releases": set(conn.execute(select(record_releases))),
            "rejects": set(conn.execute(select(rejects.c.source, rejects.c.stream, rejects.c.native_id))),
            "cursors": set(conn.execute(select(cursors.c.source, cursors.c.stream))),
        }

    found: dict[str, Any] = store.db.read(read)
    return found


def test_a_sync_survives_postgresql_restarting_midway_and_stores_what_a_clean_sync_stores(
    fresh_sandbox: Sandbox, proxy: BlinkingProxy, schema_url: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pmhub.toml"
    config.write_text(fresh_sandbox.config_toml(), encoding="utf-8")
    for key, value in fresh_sandbox.environment().items():
        monkeypatch.setenv(key, value)
    cfg = load_settings(config)
    blinked = Store(proxy.url(schema_url()), retry_seconds=30)
    upserts = 0

    def restart_during_the_third_page(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal upserts
        if statement.lstrip().upper().startswith("INSERT INTO RECORDS"):
            upserts += 1
            if upserts == 3:  # this page's statement goes out over a connection that is gone
                proxy.blink(shutting_down=1.5, refused=1.5)

    event.listen(blinked.db.engine, "before_cursor_execute", restart_during_the_third_page)
    started = time.monotonic()
    results = [sync_source(blinked, build_source(name, cfg)) for name in cfg.sources]
    took = time.monotonic() - started
    with Store(schema_url()) as clean:
        clean_results = [sync_source(clean, build_source(name, cfg)) for name in cfg.sources]
        expected = contents(clean)
    found, runs = contents(blinked), blinked.runs.recent(limit=1000)
    blinked.close()

    assert upserts > 3
    assert (proxy.resets, proxy.turned_away) >= (1, 1), "the store met the restart"
    assert took > 3, "the sync waited for the server to come back"
    assert [s.error for r in results for s in r.streams if s.error] == []
    assert all(r.ok for r in results)
    assert all(r.ok for r in clean_results)
    assert found == expected
    assert len(found["records"]) > 50
    assert {run.status for run in runs} == {"ok"}
    assert len(runs) == sum(len(r.streams) for r in results)


def test_reading_records_goes_on_after_the_connection_is_reset_midway(proxy: BlinkingProxy, schema_url: Any) -> None:
    with Store(proxy.url(schema_url())) as store:
        items = [work_item(n) for n in range(2 * YIELD_PER + 50)]
        store.records.upsert([Mapped(record=i, raw={}) for i in items], source="jira", stream="issues")
        seen = []
        for record in store.records.iter():
            seen.append(record.id)
            if len(seen) == YIELD_PER + 10:
                proxy.blink(refused=0.5)

    assert proxy.resets >= 1
    assert seen == sorted(i.id for i in items)


def test_a_store_that_is_down_when_it_opens_is_waited_for(proxy: BlinkingProxy, schema_url: Any) -> None:
    url = proxy.url(schema_url())
    proxy.blink(shutting_down=1.0, refused=1.0)
    started = time.monotonic()

    with Store(url) as store:
        revision = store.schema.revision

    assert time.monotonic() - started >= 1.5
    assert proxy.turned_away >= 1
    assert revision


def test_a_store_down_for_longer_than_retry_seconds_raises_retry_later_without_the_password(
    proxy: BlinkingProxy, schema_url: Any
) -> None:
    url = proxy.url(schema_url())
    proxy.blink(refused=30)
    started = time.monotonic()

    with pytest.raises(RetryLaterError) as raised:
        Store(url, retry_seconds=1.5)

    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert "still failing" in message
    assert f":{proxy.port}/" in message
    assert "pmhub:pmhub@" not in message


def test_a_wrong_password_fails_at_once_with_the_servers_message(schema_url: Any) -> None:
    wrong = make_url(schema_url()).set(password="not-the-password").render_as_string(hide_password=False)
    started = time.monotonic()

    with pytest.raises(OperationalError, match="password authentication failed"):
        Store(wrong, retry_seconds=30)

    assert time.monotonic() - started < 5
