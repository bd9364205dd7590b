"""While the web app runs, the SQLite write-ahead log is checkpointed by a thread of its own, never by a commit, and
stays bounded even when writes never pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.store import Store
from sync.store.inbox import InboxDelivery
from sync.store.sqlite import WalCheckpoints
from tests.support import postgres
from tests.sync.conftest import sqlite_url


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(sqlite_url(tmp_path)) as opened:
        yield opened


def autocheckpoint(store: Store) -> int:
    with store.db.engine.connect() as conn:
        pages: int = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    return pages


def put(store: Store, first: int, count: int, size: int = 4096) -> None:
    body = "x" * size
    store.inbox.put_many([InboxDelivery(f"d-{n}", "github", "ping", {}, body) for n in range(first, first + count)])


def wal_bytes(store: Store) -> int:
    path = Path(str(store.db.engine.url.database) + "-wal")
    return path.stat().st_size if path.exists() else 0


def test_commits_leave_checkpoints_to_the_thread_until_it_closes(store: Store) -> None:
    default = autocheckpoint(store)
    checkpoints = WalCheckpoints(store.db, interval=3600).start()

    assert autocheckpoint(store) == 0
    for first in range(0, 1200, 100):  # past the 1,000 pages after which a commit would checkpoint by itself
        put(store, first, 100)
    in_log, copied = checkpoints.checkpoint()
    assert in_log > default
    assert copied == in_log

    checkpoints.close()
    assert autocheckpoint(store) == default


def test_the_log_stays_bounded_while_writes_never_pause(store: Store) -> None:
    checkpoints = WalCheckpoints(store.db, interval=0.01, limit_pages=200).start()
    stop = threading.Event()
    largest = 0

    def write() -> None:
        written = 0
        while not stop.is_set():
            put(store, written, 10)
            written += 10

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            largest = max(largest, wal_bytes(store))
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
        checkpoints.close()

    written = store.db.counts()["webhook_inbox"] * 4096
    assert written > 8 * 200 * 4096
    assert largest < written / 4


def test_postgresql_has_nothing_to_checkpoint() -> None:
    with postgres.postgres_admin() as admin:
        schema, url = postgres.create_schema(admin)
        try:
            with Store(url) as store:
                checkpoints = WalCheckpoints(store.db).start()
                put(store, 0, 1)
                checkpoints.close()
                assert store.inbox.counts()["pending"] == 1
        finally:
            postgres.drop_schema(admin, schema)
