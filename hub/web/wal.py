"""SQLite WAL checkpoints off the request path while the web app runs.

By default every SQLite connection checkpoints the write-ahead log itself: the commit that grows it past 1,000
pages also copies it into the database file and fsyncs both, holding the store's write lock meanwhile — so every
few megabytes of deliveries one inbox commit, and every answer waiting for it, takes tens of milliseconds longer.
:class:`WalCheckpoints` turns that off for the connections of the app's store and checkpoints from a thread of its
own instead (``PASSIVE``: it copies what it can without waiting for readers or writers, so commits go on during
it). The durability of a commit is unchanged: it is in the log when the answer goes out, exactly as before, and
the log is fsynced by each checkpoint as before — now at least every ``interval`` seconds while anything is
written.

A passive checkpoint cannot catch up while writes never pause (commits land while it copies), and SQLite starts
the log over only once one has. So when the log has grown past ``limit_pages``, the checkpointer passes again until
a pass found only a few new pages (each pass copies what was committed during the one before, faster than it is
written), then holds the store's write transaction for the moment it takes to copy the rest; the log starts over
at the next commit. That moment includes two fsyncs, which take up to ~150 ms on a disk busy with the growing log,
so the limit is high: a burst of 10,000 GitHub deliveries and their applying grow the log to ~260 MiB, and when a
burst ends the log starts over by itself. The limit bounds it only when writes never pause.

On PostgreSQL there is nothing to do: :meth:`start` and :meth:`close` do nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from sync.store import Store

log = logging.getLogger(f"pmhub.{__name__}")

_SETTING = "pmhub_wal_autocheckpoint"


class WalCheckpoints:
    INTERVAL_SECONDS = 0.2
    LIMIT_PAGES = 65_536  # 256 MiB of 4 KiB pages
    FEW_PAGES = 256
    CATCH_UP_PASSES = 5

    _connection: PoolProxiedConnection  # the checkpointer's own, from start()

    def __init__(self, store: Store, *, interval: float = INTERVAL_SECONDS, limit_pages: int = LIMIT_PAGES) -> None:
        self._store = store
        self._interval = interval
        self._limit_pages = limit_pages
        self._enabled = store.engine.dialect.name == "sqlite"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pmhub-wal-checkpoints", daemon=True)
        self._default = 1000
        self._autocheckpoint = 1000
        self._last_in_log = 0

    def start(self) -> WalCheckpoints:
        if not self._enabled:
            return self
        self._connection = self._store.engine.raw_connection()
        self._default = int(self._pragma("wal_autocheckpoint")[0])
        self._autocheckpoint = 0
        event.listen(self._store.engine, "checkout", self._on_checkout)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread after a last checkpoint; connections checkpoint themselves again from their next use."""
        if not self._enabled or not self._thread.is_alive():
            return
        self._autocheckpoint = self._default
        self._stop.set()
        self._thread.join(timeout=10)
        self._connection.close()

    def checkpoint(self) -> tuple[int, int]:
        """One passive checkpoint: (pages in the log, pages of it now in the database file)."""
        _busy, in_log, copied = self._pragma("wal_checkpoint(PASSIVE)")
        return int(in_log), int(copied)

    def _pragma(self, pragma: str) -> tuple[Any, ...]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(f"PRAGMA {pragma}")
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            raise RuntimeError(f"PRAGMA {pragma} answered nothing")
        return tuple(row)

    def _on_checkout(self, dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        wanted = self._autocheckpoint
        if record.info.get(_SETTING, self._default) != wanted:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={wanted}")
            record.info[_SETTING] = wanted

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._pass()
        self._pass()

    def _pass(self) -> None:
        try:
            in_log, _copied = self.checkpoint()
            # past the limit and still growing: commits landed during the checkpoint, so it never caught up
            if in_log > self._limit_pages and in_log != self._last_in_log:
                in_log = self._catch_up(in_log)
            self._last_in_log = in_log
        except Exception:
            log.exception("checkpointing the SQLite write-ahead log failed; trying again in %ss", self._interval)

    def _catch_up(self, in_log: int) -> int:
        """Checkpoint again until a pass had only a few new pages to copy, then copy the rest holding the write
        transaction, so the next commit starts the log over; the writers wait only for those few pages."""
        for _ in range(self.CATCH_UP_PASSES):
            before = in_log
            in_log, _copied = self.checkpoint()
            if in_log - before <= self.FEW_PAGES:
                break
        with self._store.transaction():
            in_log, _copied = self.checkpoint()
        return in_log
