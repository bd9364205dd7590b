"""The one engine and the one write transaction every part of the store runs on, and how they survive a blink.

``Database(url, retry_seconds=60)`` takes a SQLAlchemy URL of the two supported backends — ``sqlite:///path`` (the
folder is created; see :mod:`sync.store.sqlite`) or ``postgresql+psycopg://user:password@host/db`` — and owns its
connection pool. Nothing assumes a local file: every operation goes through the pool.

API at a glance::

    write(fn, conn=None) -> T        # fn(conn) in ONE write transaction, retried whole; given a conn, run in it
    read(fn) -> T                    # fn(conn) on a pooled connection, retried
    stream(stmt, key) -> Iterator[Row]   # YIELD_PER rows at a time; connection trouble resumes after the last key
    transaction() -> ContextManager[Connection]   # a write transaction to compose by hand (not retried)
    among(column, values) -> condition            # column IN values, one array parameter on PostgreSQL
    insert(table) -> the backend's INSERT (for ON CONFLICT);  counts() -> rows per table
    engine;  backend ("sqlite" | "postgresql");  url (password hidden);  close()

Retrying: an error that says the connection is gone or cannot be made yet — the server restarting or shutting
down, a connection reset, a fail-over, refused — is retried with jittered exponential backoff through the same
:class:`connectors.http.RetryPolicy` the tools use, for at most ``retry_seconds``; then :class:`RetryLaterError`.
The unit retried is the whole transaction (``fn`` must be safe to run again: the store's writes are idempotent
upserts). Stale pooled PostgreSQL connections are found by a ping before use and replaced. Anything else —
authentication, a missing database or table, a constraint — raises at once as SQLAlchemy raised it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Row,
    Select,
    String,
    Table,
    any_,
    create_engine,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from connectors.http import RetryPolicy
from schema import ConfigError
from sync.store import sqlite
from sync.store.tables import metadata

T = TypeVar("T")
log = logging.getLogger(f"pmhub.{__name__}")

RETRY_SECONDS = 60.0
YIELD_PER = 500
_IN_CHUNK = 500  # values per IN (...) list: far below SQLite's parameter limit
# SQLSTATEs of a server going away or not taking connections yet: admin and crash shutdown, "cannot connect now"
# (starting up, shutting down, in recovery) and too many connections, next to class 08 (connection exception):
# https://www.postgresql.org/docs/current/errcodes-appendix.html
_SERVER_STATE_SQLSTATES = ("57P01", "57P02", "57P03", "53300")
_SERVER_STATE_REFUSALS = re.compile(
    r"the database system is (starting up|shutting down|in recovery mode|not (yet )?accepting connections)"
    r"|too many clients|connection slots are reserved",
    re.IGNORECASE,
)

Insert = Callable[[Table], postgresql.Insert | sqlite_dialect.Insert]


class StoreConnectionError(ConnectionError):
    """A connection-level store failure, as the retry policy's transport errors expect it."""


def chunks(items: Collection[str]) -> Iterator[list[str]]:
    ordered = list(items)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def connection_trouble(exc: DBAPIError, backend: str) -> str | None:
    """Why ``exc`` means the connection is gone or cannot be made yet (one line), or ``None`` when it does not."""
    reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    if exc.connection_invalidated:  # the dialect found the connection closed or broken
        return reason
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return reason if sqlstate.startswith("08") or sqlstate in _SERVER_STATE_SQLSTATES else None
    # why: psycopg reports a failed connection attempt without a SQLSTATE (libpq has no session yet); a server that
    # answered says "FATAL: ..." then, and of those only the refusals about its own state pass
    connecting = backend == "postgresql" and isinstance(exc, OperationalError) and exc.statement is None
    if connecting and ("FATAL:" not in reason or _SERVER_STATE_REFUSALS.search(reason)):
        return reason
    return None


class Database:
    """See the module docstring for the API at a glance."""

    def __init__(self, url: str, *, retry_seconds: float = RETRY_SECONDS) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"store URL {parsed.render_as_string(hide_password=True)}: backend {backend!r} is not supported; "
                "use sqlite:///path/to/pmhub.db or postgresql+psycopg://user:password@host/db"
            )
        self.backend = backend
        self._write_lock: AbstractContextManager[object]
        if backend == "sqlite":
            parsed = sqlite.file_url(parsed)
            self._write_lock = sqlite.writer_lock(parsed)
            self._engine = create_engine(parsed)
            sqlite.configure(self._engine)
            self.insert: Insert = sqlite_dialect.insert
        else:
            self._write_lock = nullcontext()
            # why pre-ping: a pooled connection the server dropped (restart, fail-over) fails only when used;
            # the ping at checkout replaces it first (https://docs.sqlalchemy.org/en/20/core/pooling.html#pool-disconnects)
            self._engine = create_engine(parsed, pool_pre_ping=True)
            self.insert = postgresql.insert
        self._writer = self._engine.execution_options(**{sqlite.WRITE_OPTION: True})
        self.url = self._engine.url.render_as_string(hide_password=True)
        self._retry = RetryPolicy(
            tool="store",
            credential="store.url",
            max_attempts=None,
            max_seconds=retry_seconds,
            backoff_initial=0.1,
            backoff_max=2.0,
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: commits when the block ends, rolls back on any exception."""
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    def write(self, fn: Callable[[Connection], T], conn: Connection | None = None) -> T:
        """``fn`` in a write transaction of its own, retried whole on connection trouble; in ``conn`` when given."""
        if conn is not None:
            return fn(conn)

        def attempt() -> T:
            with self.transaction() as own:
                return fn(own)

        return self._retried(attempt)

    def read(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._engine.connect() as conn:
                return fn(conn)

        return self._retried(attempt)

    def stream(self, stmt: Select[Any], key: ColumnElement[str]) -> Iterator[Row[Any]]:
        """The rows of ``stmt`` — ordered by ``key``, unique — fetched ``YIELD_PER`` at a time (a server-side cursor on
        PostgreSQL). Connection trouble while reading starts the read again after the last key seen."""
        after: str | None = None
        while True:
            query = stmt if after is None else stmt.where(key > after)
            # opening and the first row are one attempt: a read starts again only after it got somewhere
            conn, result, first = self._retried(partial(self._open_stream, query))
            with conn:
                try:
                    for row in chain([first] if first is not None else [], result):
                        yield row
                        after = row._mapping[key]
                    return
                except DBAPIError as exc:
                    reason = connection_trouble(exc, self.backend)
                    if reason is None:
                        raise
                    log.info("store %s: %s; reading on after %r", self.url, reason, after)

    def _open_stream(self, query: Select[Any]) -> tuple[Connection, CursorResult[Any], Row[Any] | None]:
        conn = self._engine.connect()
        try:
            result = conn.execution_options(yield_per=YIELD_PER).execute(query)
            return conn, result, result.fetchone()
        except BaseException:
            conn.close()
            raise

    def among(self, column: ColumnElement[str], values: list[str]) -> ColumnElement[bool]:
        """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter however many values."""
        if self.backend == "postgresql":
            # why: psycopg and SQLAlchemy spend ~20 ms per page expanding and binding a 100-item IN list
            # against ~3 ms for one array parameter (measured on PostgreSQL 15).
            return column == any_(literal(values, ARRAY(String)))
        return column.in_(values)

    def counts(self) -> dict[str, int]:
        """Rows per table, in dependency order."""

        def count(conn: Connection) -> dict[str, int]:
            return {
                table.name: conn.scalar(select(func.count()).select_from(table)) or 0
                for table in metadata.sorted_tables
            }

        return self.read(count)

    def _retried(self, attempt: Callable[[], T]) -> T:
        # The first attempt runs outside the retry policy: building its tenacity loop costs ~25 µs, more than many
        # of the store's reads take.
        try:
            return self._classified(attempt)
        except StoreConnectionError as exc:
            log.info("store %s: %s; retrying for up to %.0f s", self.url, exc, self._retry.max_seconds)
        return self._retry.call(partial(self._classified, attempt), describe=self.url)

    def _classified(self, attempt: Callable[[], T]) -> T:
        try:
            return attempt()
        except DBAPIError as exc:
            reason = connection_trouble(exc, self.backend)
            if reason is None:
                raise
            raise StoreConnectionError(reason) from exc
