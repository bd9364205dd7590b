"""What the store does differently on SQLite: the file, the write lock, the pragmas, and WAL checkpoints.

:func:`configure` prepares an engine over a database file (made absolute, its folder created): WAL mode
(``synchronous=NORMAL``: a killed process loses nothing committed), foreign keys on, a busy timeout, and write
transactions that take the write lock up front (``BEGIN IMMEDIATE``, for connections of the engine's
``WRITE_OPTION`` execution option) so concurrent writers queue instead of failing half-way; :func:`writer_lock` is the
in-process lock the threads of one process queue on first.

:class:`WalCheckpoints` takes checkpoints off the commit path while the web app runs. By default every SQLite
connection checkpoints the write-ahead log itself: the commit that grows it past 1,000 pages also copies it into the
database file and fsyncs both, holding the store's write lock meanwhile — so every few megabytes of deliveries one
inbox commit, and every answer waiting for it, takes tens of milliseconds longer. :class:`WalCheckpoints` turns that
off for the connections of the store and checkpoints from a thread of its own instead (``PASSIVE``: it copies what it
can without waiting for readers or writers, so commits go on during it). The durability of a commit is unchanged: it
is in the log when the answer goes out, exactly as before, and the log is fsynced by each checkpoint as before — now
at least every ``interval`` seconds while anything is written.

A passive checkpoint cannot catch up while writes never pause (commits land while it copies), and SQLite starts
the log over only once one has. So when the log has grown past ``limit_pages``, the checkpointer passes again until
a pass found only a few new pages (each pass copies what was committed during the one before, faster than it is
written), then holds the store's write transaction for the moment it takes to copy the rest; the log starts over
at the next commit. That moment includes two fsyncs, which take up to ~150 ms on a disk busy with the growing log,
so the limit is high: a burst of 10,000 GitHub deliveries and their applying grow the log to ~260 MiB, and when a
burst ends the log starts over by itself. The limit bounds it only when writes never pause.

On PostgreSQL there is nothing to do: :meth:`WalCheckpoints.start` and :meth:`WalCheckpoints.close` do nothing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

if TYPE_CHECKING:
    from sync.store.database import Database

log = logging.getLogger(f"pmhub.{__name__}")

WRITE_OPTION = "pmhub_write"
BUSY_TIMEOUT_MS = 30_000
_SETTING = "pmhub_wal_autocheckpoint"

_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()


def _in_memory(url: URL) -> bool:
    database = url.database or ""
    return not database or database == ":memory:" or database.startswith("file:")


def file_url(url: URL) -> URL:
    """The URL with its database file made absolute (a later chdir must not switch files), folder created."""
    if _in_memory(url):
        return url
    path = Path(url.database or "").expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return url.set(database=str(path))


def writer_lock(url: URL) -> threading.RLock:
    """One lock per database file for every Store of this process (and its own for an in-memory database)."""
    # why: SQLite's busy handler waits by sleeping with growing back-off, so threads contending for the write lock
    # lose most of their time asleep (https://www.sqlite.org/c3ref/busy_timeout.html); queueing them in-process
    # first leaves busy_timeout to arbitrate between processes only.
    if _in_memory(url):
        return threading.RLock()
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(url.database or "", threading.RLock())


def configure(engine: Engine) -> None:
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)


def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # why: pysqlite's own transaction handling defers BEGIN until the first write and cannot take the write lock
    # up front; SQLAlchemy documents taking over BEGIN instead:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # busy_timeout first: switching to WAL waits for the lock another connection (a migration) may hold
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # why: in WAL mode NORMAL skips the fsync on every commit yet survives a killed process; only an OS crash or
    # power loss can drop the last commits, which the next sync re-reads:
    # https://www.sqlite.org/pragma.html#pragma_synchronous
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    # why: a deferred transaction that reads and then writes fails with SQLITE_BUSY when another writer got there
    # first, and busy_timeout cannot help it (https://www.sqlite.org/lang_transaction.html); writers lock first.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


class WalCheckpoints:
    INTERVAL_SECONDS = 0.2
    LIMIT_PAGES = 65_536  # 256 MiB of 4 KiB pages
    FEW_PAGES = 256
    CATCH_UP_PASSES = 5

    _connection: PoolProxiedConnection  # the checkpointer's own, from start()

    def __init__(self, db: Database, *, interval: float = INTERVAL_SECONDS, limit_pages: int = LIMIT_PAGES) -> None:
        self._db = db
        self._interval = interval
        self._limit_pages = limit_pages
        self._enabled = db.backend == "sqlite"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pmhub-wal-checkpoints", daemon=True)
        self._default = 1000
        self._autocheckpoint = 1000
        self._last_in_log = 0

    def start(self) -> WalCheckpoints:
        if not self._enabled:
            return self
        self._connection = self._db.engine.raw_connection()
        self._default = int(self._pragma("wal_autocheckpoint")[0])
        self._autocheckpoint = 0
        event.listen(self._db.engine, "checkout", self._on_checkout)
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
        with self._db.transaction():
            in_log, _copied = self.checkpoint()
        return in_log
