"""The store: pmhub's single source of truth on SQLite (default) or PostgreSQL, through SQLAlchemy Core.

``Store(url)`` takes any SQLAlchemy URL of the two supported backends — ``sqlite:///.pmhub/pmhub.db`` (the default;
the folder is created) or ``postgresql+psycopg://user:password@host/db`` — creates the tables of :mod:`sync.tables`
and checks the schema version. Nothing assumes a local file: every operation goes through the URL's connection pool.
SQLite runs in WAL mode (``synchronous=NORMAL``: a killed process loses nothing committed) with foreign keys on and a
busy timeout; write transactions take the write lock up front (``BEGIN IMMEDIATE``) so concurrent writers queue
instead of failing half-way, and the threads of one process queue on an in-process lock first. Use a file: an
in-memory SQLite database is private to one connection.

Writing records (idempotent by id; the newer ``updated`` wins)::

    upsert(records: Sequence[Mapped], *, source, stream, conn=None) -> UpsertResult
    write_page(source, stream, page: Page) -> UpsertResult        # records + rejects + cursor in ONE transaction
    replace_links(from_ids | None, links, *, link_kinds=None, generation=None) -> LinkResult  # source "pmhub"
    link_generation() -> str;  linked_generation() -> str | None   # does linking have anything new to look at?
    ids_of(source, stream) -> set[str];  mark_deleted(ids, at, *, conn=None) -> int      # the delete census
    transaction() -> ContextManager[Connection]                    # compose writes: pass it as conn=

An incoming record is *inserted* (new id), *stale* (``updated`` older than the stored one: a no-op), *updated* (not
older, and its content — everything but ``updated`` — differs, which is also how a replayed mapping fix lands; or a
record marked deleted reappears) or *unchanged* (same content; a newer ``updated`` is still saved so that older writes
stay stale — Jira versions and sprints, stamped when read, count as unchanged run after run). A page costs a handful
of statements whatever its size: one SELECT of the stored (id, updated, digest), one batched INSERT … ON CONFLICT DO
UPDATE guarded by the newer-wins rule (so a concurrent newer write still wins), and the release/link index upkeep.

Cursors and runs::

    get_cursor(source, stream) -> str | None;  set_cursor(source, stream, value, *, conn=None);  reset_cursors(source)
    start_run(source, stream) -> int
    finish_run(run_id, status, counts: Mapping[str, int], requests=0, waited=0.0, error=None)
    recent_runs(limit=50, source=None) -> list[SyncRun];  last_success(source, stream=None) -> datetime | None
    last_successes() -> dict[(source, stream), datetime];  rejects_of(source, stream=None) -> list[RejectEntry]

Queries (records come back as schema objects via :func:`schema.parse_record`; deleted ones are hidden by default)::

    get(id) -> AnyRecord | None;  raw_of(id) -> dict | None
    iter_records(kind=None, tool=None, source=None, include_deleted=False) -> Iterator[AnyRecord]   # streamed
    items_in_release(release_id) -> list[AnyRecord];  links_of(record_id) -> list[Link];  counts() -> dict[str, int]
    get_many(ids) -> list[AnyRecord];  links_into_releases(release_ids) -> list[Link]

Webhook inbox (durable before the 2xx; applying is idempotent, so a row applied twice is harmless)::

    inbox_put(delivery_id, tool, event, headers, body, *, status="pending") -> bool   # False: delivery already stored
    inbox_put_many(deliveries: Sequence[InboxDelivery]) -> set[str]      # one transaction; the delivery ids stored
    inbox_pending(limit=100, max_attempts=5) -> list[InboxEntry];  inbox_mark(delivery_id, status, error=None)
    inbox_mark_many(delivery_ids, status, error=None, *, conn=None) -> int               # deliveries found
    inbox_counts() -> dict[str, int];  inbox_last_received(tool=None) -> datetime | None

Write-back audit: ``add_audit(action, target_id, detail)``, ``audit_log(target_id=None, limit=100)``.

Web sessions ended by a logout, shared by every process on the store (a row goes once its session has expired)::

    revoke_session(session_id, expires_at);  session_revoked(session_id) -> bool
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal, get_args

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Table,
    and_,
    any_,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.dml import Insert, ReturningInsert

from connectors.base import Mapped, Page, Rejected
from schema import AnyRecord, ConfigError, Link, PullRequest, RecordKind, Release, Tool, WorkItem, parse_record
from sync.collector import collector_paused
from sync.tables import (
    SCHEMA_VERSION,
    cursors,
    links,
    meta,
    metadata,
    record_releases,
    records,
    rejects,
    revoked_sessions,
    sync_runs,
    webhook_inbox,
)
from sync.tables import audit as audit_table

DEFAULT_URL = "sqlite:///.pmhub/pmhub.db"
LINK_SOURCE = "pmhub"
LINK_STREAM = "links"
# cursors of LINK_SOURCE: a fresh token whenever a record linking reads (work item, pull request, release) is
# written or marked deleted, and the token the last complete linking started from
_CHANGED = "links.changed"
_LINKED = "links.linked"
_LINKABLE = (WorkItem, PullRequest, Release)
SQLITE_BUSY_TIMEOUT_MS = 30_000
YIELD_PER = 500
_IN_CHUNK = 500  # values per IN (...) list: far below SQLite's parameter limit
_WRITE = "pmhub_write"
_SCHEMA_LOCK_KEY = 0x706D687562  # "pmhub"
RUN_COUNTS = ("inserted", "updated", "unchanged", "stale", "rejected", "deleted")

RunStatus = Literal["running", "ok", "failed"]
InboxStatus = Literal["pending", "applied", "ignored", "failed", "rejected"]
WriteOutcome = Literal["inserted", "updated", "unchanged", "stale"]

_SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|signature|api[-_]?key|password", re.IGNORECASE)
_RECORD_COLUMNS = ("kind", "tool", "instance", "source", "stream", "updated", "data", "raw", "digest")


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def written(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True)
class LinkResult:
    added: int
    changed: int
    kept: int
    removed: int
    current: bool = False  # nothing linking reads had changed since the last linking, so it was not redone


@dataclass(frozen=True)
class SyncRun:
    id: int
    source: str
    stream: str
    started: datetime
    finished: datetime | None
    status: RunStatus
    inserted: int
    updated: int
    unchanged: int
    stale: int
    rejected: int
    deleted: int
    requests: int
    waited: float
    error: str | None


@dataclass(frozen=True)
class RejectEntry:
    source: str
    stream: str
    native_id: str | None
    reason: str
    raw: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class InboxDelivery:
    """A delivery to keep in the webhook inbox (see :meth:`Store.inbox_put_many`)."""

    delivery_id: str
    tool: str
    event: str
    headers: Mapping[str, str]
    body: str
    status: InboxStatus = "pending"


@dataclass(frozen=True)
class InboxEntry:
    id: int
    delivery_id: str
    tool: str
    event: str
    received_at: datetime
    headers: dict[str, str]
    body: str
    status: InboxStatus
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    action: str
    target_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class _Stored:
    updated: datetime
    digest: str
    deleted: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    ordered = list(items)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def _record_row(record: AnyRecord, raw: dict[str, Any], source: str, stream: str) -> dict[str, Any]:
    data = record.model_dump_json()
    return {
        "id": record.id,
        "kind": record.kind,
        "tool": record.source.tool.value,
        "instance": record.source.instance,
        "source": source,
        "stream": stream,
        "updated": record.updated,
        "data": data,
        "raw": raw,
        "digest": hashlib.sha256(record.model_dump_json(exclude={"updated"}).encode()).hexdigest(),
    }


def _verdict(stored: _Stored | None, updated: datetime, digest: str) -> tuple[WriteOutcome, bool]:
    """How a write with this ``updated`` and content digest counts, and whether it must be written."""
    if stored is None:
        return "inserted", True
    if updated < stored.updated:
        return "stale", False
    if digest != stored.digest or stored.deleted:
        return "updated", True
    # Same content: a newer ``updated`` is still stored, so that an older write arriving later stays stale.
    return "unchanged", updated > stored.updated


@lru_cache(maxsize=1024)
def _secret_header(name: str) -> bool:
    return _SECRET_HEADER.search(name) is not None


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if not _secret_header(name)}


_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


def _sqlite_file(url: URL) -> URL:
    """The URL with its database file made absolute (a later chdir must not switch files), folder created."""
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return url.set(database=str(path))


def _sqlite_writer_lock(url: URL) -> threading.RLock:
    """One lock per database file for every Store of this process (and its own for an in-memory database)."""
    # why: SQLite's busy handler waits by sleeping with growing back-off, so threads contending for the write lock
    # lose most of their time asleep (https://www.sqlite.org/c3ref/busy_timeout.html); queueing them in-process
    # first leaves busy_timeout to arbitrate between processes only.
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return threading.RLock()
    with _SQLITE_WRITERS_GUARD:
        return _SQLITE_WRITERS.setdefault(database, threading.RLock())


def _on_sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # why: pysqlite's own transaction handling defers BEGIN until the first write and cannot take the write lock
    # up front; SQLAlchemy documents taking over BEGIN instead:
    # https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # why: in WAL mode NORMAL skips the fsync on every commit yet survives a killed process; only an OS crash or
    # power loss can drop the last commits, which the next sync re-reads:
    # https://www.sqlite.org/pragma.html#pragma_synchronous
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # why: a deferred transaction that reads and then writes fails with SQLITE_BUSY when another writer got there
    # first, and busy_timeout cannot help it (https://www.sqlite.org/lang_transaction.html); writers lock first.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@dataclass(frozen=True)
class _Statements:
    """The hot-path statements, built once per backend (SQLAlchemy then only binds parameters)."""

    records_upsert: ReturningInsert[tuple[str]]
    cursor_upsert: Insert
    inbox_insert: ReturningInsert[tuple[str]]
    session_revoke: Insert


def _statements(dialect_insert: Callable[[Table], postgresql.Insert | sqlite.Insert]) -> _Statements:
    upsert = dialect_insert(records)
    new = upsert.excluded
    newer_wins = or_(
        new.updated > records.c.updated,
        and_(new.updated == records.c.updated, or_(new.digest != records.c.digest, records.c.deleted_at.is_not(None))),
    )
    cursor = dialect_insert(cursors)
    return _Statements(
        records_upsert=upsert.on_conflict_do_update(
            index_elements=[records.c.id],
            # why null() and not None: a bound parameter in SET makes SQLAlchemy send the batch row by row
            # (https://docs.sqlalchemy.org/en/21/core/connections.html#engine-insertmanyvalues).
            set_={**{name: new[name] for name in _RECORD_COLUMNS}, "deleted_at": null()},
            where=newer_wins,
        ).returning(records.c.id),
        cursor_upsert=cursor.on_conflict_do_update(
            index_elements=[cursors.c.source, cursors.c.stream],
            set_={"value": cursor.excluded.value, "updated_at": cursor.excluded.updated_at},
            where=cursors.c.value != cursor.excluded.value,
        ),
        inbox_insert=dialect_insert(webhook_inbox)
        .on_conflict_do_nothing(index_elements=[webhook_inbox.c.delivery_id])
        .returning(webhook_inbox.c.delivery_id),
        session_revoke=dialect_insert(revoked_sessions).on_conflict_do_nothing(
            index_elements=[revoked_sessions.c.session_id]
        ),
    )


class Store:
    """See the module docstring for the API at a glance."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"store URL {parsed.render_as_string(hide_password=True)}: backend {backend!r} is not supported; "
                "use sqlite:///path/to/pmhub.db or postgresql+psycopg://user:password@host/db"
            )
        self._write_lock: AbstractContextManager[object]
        if backend == "sqlite":
            parsed = _sqlite_file(parsed)
            self._write_lock = _sqlite_writer_lock(parsed)
            self._engine = create_engine(parsed)
            event.listen(self._engine, "connect", _on_sqlite_connect)
            event.listen(self._engine, "begin", _on_sqlite_begin)
        else:
            self._write_lock = nullcontext()
            self._engine = create_engine(parsed, pool_pre_ping=True)
        self._writer = self._engine.execution_options(**{_WRITE: True})
        self._sql = _statements(postgresql.insert if backend == "postgresql" else sqlite.insert)
        self._create_schema()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url(self) -> str:
        """The URL with its password hidden, safe to print."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _create_schema(self) -> None:
        """Create missing tables and check the schema version, safely when several processes start at once."""
        with self.transaction() as conn:
            if conn.dialect.name == "postgresql":
                # why: concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog
                # (https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS).
                conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
            metadata.create_all(conn)
            found = conn.scalar(select(meta.c.value).where(meta.c.key == "schema_version"))
            if found is None:
                conn.execute(insert(meta).values(key="schema_version", value=SCHEMA_VERSION))
            elif found != SCHEMA_VERSION:
                raise ConfigError(
                    f"store {self.url} has schema version {found}; this pmhub needs {SCHEMA_VERSION}: "
                    "point store.url at a new database or migrate this one"
                )

    def _among(self, column: ColumnElement[str], values: list[str]) -> ColumnElement[bool]:
        """``column IN values``; on PostgreSQL as ``= ANY(array)``, one parameter however many values."""
        if self._engine.dialect.name == "postgresql":
            # why: psycopg and SQLAlchemy spend ~20 ms per page expanding and binding a 100-item IN list
            # against ~3 ms for one array parameter (measured on PostgreSQL 15).
            return column == any_(literal(values, ARRAY(String)))
        return column.in_(values)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: commits when the block ends, rolls back on any exception."""
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _writing(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as own:
                yield own

    # -- records -------------------------------------------------------------------------------------------------

    def upsert(
        self, records: Sequence[Mapped], *, source: str, stream: str, conn: Connection | None = None
    ) -> UpsertResult:
        with self._writing(conn) as c:
            return self._upsert(c, records, source, stream)

    def write_page(self, source: str, stream: str, page: Page) -> UpsertResult:
        """Records, rejects and (when the page has one) the cursor of one page, committed together or not at all."""
        with self.transaction() as conn:
            result = self._upsert(conn, page.records, source, stream)
            accepted = [m.record.source.native_id for m in page.records]
            self._put_rejects(conn, source, stream, page.rejected, accepted)
            if page.cursor is not None:
                self.set_cursor(source, stream, page.cursor, conn=conn)
        return replace(result, rejected=len(page.rejected))

    def _stored(self, conn: Connection, ids: Collection[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        columns = (records.c.id, records.c.updated, records.c.digest, records.c.deleted_at)
        for chunk in _chunks(ids):
            stmt = select(*columns).where(self._among(records.c.id, chunk))
            for row in conn.execute(stmt):
                found[row.id] = _Stored(row.updated, row.digest, row.deleted_at is not None)
        return found

    def _upsert(self, conn: Connection, batch: Sequence[Mapped], source: str, stream: str) -> UpsertResult:
        stored = self._stored(conn, {m.record.id for m in batch})
        counts: Counter[str] = Counter()
        pending: dict[str, tuple[dict[str, Any], AnyRecord, WriteOutcome]] = {}
        for mapped in batch:
            row = _record_row(mapped.record, mapped.raw, source, stream)
            result, write = _verdict(stored.get(row["id"]), row["updated"], row["digest"])
            counts[result] += 1
            if write:
                pending[row["id"]] = (row, mapped.record, result)
                stored[row["id"]] = _Stored(row["updated"], row["digest"], deleted=False)
        written = self._write_records(conn, [row for row, _, _ in pending.values()])
        for lost in pending.keys() - written:  # a concurrent writer stored a newer version first
            counts[pending[lost][2]] -= 1
            counts["stale"] += 1
        changed = [pending[record_id] for record_id in written if pending[record_id][2] != "unchanged"]
        replaced = {record.id for _, record, result in changed if result == "updated"}
        self._reindex(conn, [record for _, record, _ in changed], replaced)
        if any(isinstance(record, _LINKABLE) for _, record, _ in changed):
            self._linkable_changed(conn)
        return UpsertResult(counts["inserted"], counts["updated"], counts["unchanged"], counts["stale"])

    def _write_records(self, conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
        if not rows:
            return set()
        return set(conn.scalars(self._sql.records_upsert, [{**row, "deleted_at": None} for row in rows]))

    def _reindex(self, conn: Connection, written: list[AnyRecord], replaced: set[str]) -> None:
        """Index the release and link rows of records whose content was just written (``replaced``: had rows)."""
        with_releases = [r for r in written if isinstance(r, WorkItem | PullRequest)]
        for chunk in _chunks([r.id for r in with_releases if r.id in replaced]):
            conn.execute(delete(record_releases).where(self._among(record_releases.c.record_id, chunk)))
        release_rows = [
            {"record_id": r.id, "release_id": release_id} for r in with_releases for release_id in set(r.release_ids)
        ]
        if release_rows:
            conn.execute(insert(record_releases), release_rows)
        link_rows = [
            {"id": r.id, "from_id": r.from_id, "to_id": r.to_id, "link_kind": r.link_kind}
            for r in written
            if isinstance(r, Link)
        ]
        for chunk in _chunks([row["id"] for row in link_rows if row["id"] in replaced]):
            conn.execute(delete(links).where(self._among(links.c.id, chunk)))
        if link_rows:
            conn.execute(insert(links), link_rows)

    def _put_rejects(
        self, conn: Connection, source: str, stream: str, rejected: Sequence[Rejected], accepted: Iterable[str]
    ) -> None:
        """Keep one current reject per native id: a later reject replaces it, a later successful mapping clears it."""
        superseded = set(accepted) | {r.native_id for r in rejected if r.native_id is not None}
        scope = and_(rejects.c.source == source, rejects.c.stream == stream)
        for chunk in _chunks(superseded):
            conn.execute(delete(rejects).where(scope, self._among(rejects.c.native_id, chunk)))
        if rejected:
            scoped = {"source": source, "stream": stream, "at": _now()}
            rows = [{**scoped, "native_id": r.native_id, "reason": r.reason, "raw": r.raw} for r in rejected]
            conn.execute(insert(rejects), rows)

    def _linkable_changed(self, conn: Connection) -> None:
        self.set_cursor(LINK_SOURCE, _CHANGED, uuid.uuid4().hex, conn=conn)

    def link_generation(self) -> str:
        """A token that changes whenever a record linking reads is written or deleted (``""`` before the first)."""
        return self.get_cursor(LINK_SOURCE, _CHANGED) or ""

    def linked_generation(self) -> str | None:
        """The :meth:`link_generation` the last complete linking started from (``None``: never linked)."""
        return self.get_cursor(LINK_SOURCE, _LINKED)

    def replace_links(
        self,
        from_ids: Collection[str] | None,
        new_links: Sequence[Link],
        *,
        link_kinds: Collection[str] | None = None,
        generation: str | None = None,
    ) -> LinkResult:
        """Make the links out of ``from_ids`` (``None``: every link) of ``link_kinds`` (default all) ``new_links``.

        Links whose evidence disappeared are removed; the others are upserted like any record. ``generation``: the
        :meth:`link_generation` the links were computed from, saved with them.
        """
        if from_ids is not None:
            scope = set(from_ids)
            strays = sorted({link.id for link in new_links if link.from_id not in scope})
            if strays:
                raise ValueError(f"links {strays[:5]} start outside from_ids; replacing would never remove them")
        keep = {link.id for link in new_links}
        kinds = [] if link_kinds is None else [links.c.link_kind.in_(list(link_kinds))]
        with self.transaction() as conn:
            if from_ids is None:
                current = set(conn.scalars(select(links.c.id).where(*kinds)))
            else:
                current = set()
                for chunk in _chunks(scope):
                    current.update(conn.scalars(select(links.c.id).where(self._among(links.c.from_id, chunk), *kinds)))
            gone = current - keep
            for chunk in _chunks(gone):
                conn.execute(delete(records).where(self._among(records.c.id, chunk)))
            mapped = [Mapped(record=link, raw={}) for link in new_links]
            result = self.upsert(mapped, source=LINK_SOURCE, stream=LINK_STREAM, conn=conn)
            if generation is not None:
                self.set_cursor(LINK_SOURCE, _LINKED, generation, conn=conn)
        return LinkResult(added=result.inserted, changed=result.updated, kept=result.unchanged, removed=len(gone))

    def ids_of(self, source: str, stream: str) -> set[str]:
        """Ids of the records a stream wrote that are not marked deleted: the store's side of a census."""
        stmt = select(records.c.id).where(
            records.c.source == source, records.c.stream == stream, records.c.deleted_at.is_(None)
        )
        with self._engine.connect() as conn:
            return set(conn.scalars(stmt))

    def mark_deleted(self, ids: Collection[str], at: datetime, *, conn: Connection | None = None) -> int:
        marked = 0
        with self._writing(conn) as c:
            for chunk in _chunks(ids):
                alive = and_(self._among(records.c.id, chunk), records.c.deleted_at.is_(None))
                marked += c.execute(update(records).where(alive).values(deleted_at=at)).rowcount
            if marked:
                self._linkable_changed(c)
        return marked

    # -- record queries --------------------------------------------------------------------------------------------

    def get(self, record_id: str, *, include_deleted: bool = False) -> AnyRecord | None:
        stmt = select(records.c.data).where(records.c.id == record_id)
        if not include_deleted:
            stmt = stmt.where(records.c.deleted_at.is_(None))
        with self._engine.connect() as conn:
            data = conn.scalar(stmt)
        return None if data is None else parse_record(data)

    def raw_of(self, record_id: str) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            raw: dict[str, Any] | None = conn.scalar(select(records.c.raw).where(records.c.id == record_id))
        return raw

    def iter_records(
        self,
        kind: RecordKind | None = None,
        tool: Tool | str | None = None,
        source: str | None = None,
        include_deleted: bool = False,
    ) -> Iterator[AnyRecord]:
        """Records in id order, fetched ``YIELD_PER`` rows at a time (a server-side cursor on PostgreSQL)."""
        stmt = select(records.c.data).order_by(records.c.id)
        if kind is not None:
            stmt = stmt.where(records.c.kind == kind)
        if tool is not None:
            stmt = stmt.where(records.c.tool == str(tool))
        if source is not None:
            stmt = stmt.where(records.c.source == source)
        if not include_deleted:
            stmt = stmt.where(records.c.deleted_at.is_(None))
        with self._engine.connect() as conn:
            for data in conn.execution_options(yield_per=YIELD_PER).scalars(stmt):
                yield parse_record(data)

    def _parse_all(self, stmt: Select[tuple[Any]]) -> list[AnyRecord]:
        with self._engine.connect() as conn, collector_paused():
            # fetched in one call: row by row, the driver's fetchone cost ~5 µs a row
            return [parse_record(data) for data in conn.scalars(stmt).all()]

    def items_in_release(self, release_id: str) -> list[AnyRecord]:
        """Work items and pull requests whose ``release_ids`` name the release, by id."""
        stmt = (
            select(records.c.data)
            .join(record_releases, record_releases.c.record_id == records.c.id)
            .where(record_releases.c.release_id == release_id, records.c.deleted_at.is_(None))
        )
        # sorting the parsed records costs a few ms; ORDER BY made SQLite sort the JSON rows in a temporary B-tree
        return sorted(self._parse_all(stmt), key=attrgetter("id"))

    def get_many(self, record_ids: Collection[str]) -> list[AnyRecord]:
        """The live records among ``record_ids``, a few batched queries however many."""
        found: list[AnyRecord] = []
        for chunk in _chunks(set(record_ids)):
            stmt = select(records.c.data).where(self._among(records.c.id, chunk), records.c.deleted_at.is_(None))
            found.extend(self._parse_all(stmt))
        return found

    def links_into_releases(self, release_ids: Collection[str]) -> list[Link]:
        """Links that end at an item of any of ``release_ids``: one query through the release index."""
        members = select(record_releases.c.record_id).where(record_releases.c.release_id.in_(list(release_ids)))
        stmt = (
            select(records.c.data)
            .join(links, links.c.id == records.c.id)
            .where(links.c.to_id.in_(members), records.c.deleted_at.is_(None))
        )
        return [link for link in self._parse_all(stmt) if isinstance(link, Link)]

    def links_of(self, record_id: str) -> list[Link]:
        """Links from or to the record."""
        stmt = (
            select(records.c.data)
            .join(links, links.c.id == records.c.id)
            .where(or_(links.c.from_id == record_id, links.c.to_id == record_id), records.c.deleted_at.is_(None))
            .order_by(records.c.id)
        )
        return [link for link in self._parse_all(stmt) if isinstance(link, Link)]

    def counts(self) -> dict[str, int]:
        """Rows per table, in dependency order."""
        with self._engine.connect() as conn:
            return {
                table.name: conn.scalar(select(func.count()).select_from(table)) or 0
                for table in metadata.sorted_tables
            }

    # -- cursors -----------------------------------------------------------------------------------------------

    def get_cursor(self, source: str, stream: str) -> str | None:
        stmt = select(cursors.c.value).where(cursors.c.source == source, cursors.c.stream == stream)
        with self._engine.connect() as conn:
            value: str | None = conn.scalar(stmt)
        return value

    def set_cursor(self, source: str, stream: str, value: str, *, conn: Connection | None = None) -> None:
        params = {"source": source, "stream": stream, "value": value, "updated_at": _now()}
        with self._writing(conn) as c:
            c.execute(self._sql.cursor_upsert, params)

    def reset_cursors(self, source: str, stream: str | None = None) -> int:
        """Forget the saved cursors so the next sync reads everything (``--full``)."""
        stmt = delete(cursors).where(cursors.c.source == source)
        if stream is not None:
            stmt = stmt.where(cursors.c.stream == stream)
        with self.transaction() as conn:
            return conn.execute(stmt).rowcount

    # -- sync runs -------------------------------------------------------------------------------------------------

    def start_run(self, source: str, stream: str) -> int:
        stmt = insert(sync_runs).values(source=source, stream=stream, started=_now(), status="running")
        with self.transaction() as conn:
            run_id: int = conn.execute(stmt.returning(sync_runs.c.id)).scalar_one()
        return run_id

    def finish_run(
        self,
        run_id: int,
        status: Literal["ok", "failed"],
        counts: Mapping[str, int],
        requests: int = 0,
        waited: float = 0.0,
        error: str | None = None,
    ) -> None:
        """Close a run; ``counts`` takes any of the keys in ``RUN_COUNTS`` (missing ones stay 0)."""
        unknown = sorted(set(counts) - set(RUN_COUNTS))
        if unknown:
            raise ValueError(f"unknown run counts {unknown}; expected some of {list(RUN_COUNTS)}")
        stmt = (
            update(sync_runs)
            .where(sync_runs.c.id == run_id)
            .values(finished=_now(), status=status, requests=requests, waited=waited, error=error, **counts)
        )
        with self.transaction() as conn:
            if conn.execute(stmt).rowcount != 1:
                raise KeyError(f"no sync run with id {run_id}")

    def recent_runs(self, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        stmt = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if source is not None:
            stmt = stmt.where(sync_runs.c.source == source)
        with self._engine.connect() as conn:
            return [SyncRun(**row._asdict()) for row in conn.execute(stmt)]

    def last_success(self, source: str, stream: str | None = None) -> datetime | None:
        """When the last successful run of the source (or one of its streams) finished."""
        stmt = select(func.max(sync_runs.c.finished)).where(sync_runs.c.source == source, sync_runs.c.status == "ok")
        if stream is not None:
            stmt = stmt.where(sync_runs.c.stream == stream)
        with self._engine.connect() as conn:
            finished: datetime | None = conn.scalar(stmt)
        return finished

    def last_successes(self) -> dict[tuple[str, str], datetime]:
        """Freshness of every source and stream that ever synced successfully."""
        stmt = (
            select(sync_runs.c.source, sync_runs.c.stream, func.max(sync_runs.c.finished))
            .where(sync_runs.c.status == "ok")
            .group_by(sync_runs.c.source, sync_runs.c.stream)
        )
        with self._engine.connect() as conn:
            return {(source, stream): finished for source, stream, finished in conn.execute(stmt)}

    def rejects_of(self, source: str, stream: str | None = None) -> list[RejectEntry]:
        columns = [rejects.c[name] for name in ("source", "stream", "native_id", "reason", "raw", "at")]
        stmt = select(*columns).where(rejects.c.source == source).order_by(rejects.c.id)
        if stream is not None:
            stmt = stmt.where(rejects.c.stream == stream)
        with self._engine.connect() as conn:
            return [RejectEntry(**row._asdict()) for row in conn.execute(stmt)]

    # -- webhook inbox ---------------------------------------------------------------------------------------------

    def inbox_put(
        self,
        delivery_id: str,
        tool: str,
        event: str,
        headers: Mapping[str, str],
        body: str,
        *,
        status: InboxStatus = "pending",
        received_at: datetime | None = None,
    ) -> bool:
        """Store a delivery once; ``False`` when its id is already in the inbox. Credential headers are dropped."""
        delivery = InboxDelivery(delivery_id, tool, event, headers, body, status)
        return bool(self.inbox_put_many([delivery], received_at=received_at))

    def inbox_put_many(self, deliveries: Sequence[InboxDelivery], *, received_at: datetime | None = None) -> set[str]:
        """Store, in one transaction, each delivery whose id is not in the inbox yet (of an id repeated among
        ``deliveries``, the first); returns the delivery ids stored. Credential headers are dropped."""
        at = received_at or _now()
        rows: dict[str, dict[str, Any]] = {}
        for d in deliveries:
            if d.delivery_id not in rows:
                rows[d.delivery_id] = {
                    "delivery_id": d.delivery_id,
                    "tool": d.tool,
                    "event": d.event,
                    "received_at": at,
                    "headers": _safe_headers(d.headers),
                    "body": d.body,
                    "status": d.status,
                    "attempts": 0,
                }
        if not rows:
            return set()
        with self.transaction() as conn:
            return set(conn.scalars(self._sql.inbox_insert, list(rows.values())))

    def inbox_pending(self, limit: int = 100, max_attempts: int = 5) -> list[InboxEntry]:
        """Deliveries to apply, oldest first: pending ones, and failed ones with attempts left."""
        retry = and_(webhook_inbox.c.status == "failed", webhook_inbox.c.attempts < max_attempts)
        stmt = (
            select(webhook_inbox)
            .where(or_(webhook_inbox.c.status == "pending", retry))
            .order_by(webhook_inbox.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [InboxEntry(**row._asdict()) for row in conn.execute(stmt)]

    def inbox_mark(self, delivery_id: str, status: InboxStatus, error: str | None = None) -> None:
        """Record the outcome of one attempt to apply a delivery."""
        if self.inbox_mark_many([delivery_id], status, error) != 1:
            raise KeyError(f"no webhook delivery {delivery_id!r} in the inbox")

    def inbox_mark_many(
        self,
        delivery_ids: Collection[str],
        status: InboxStatus,
        error: str | None = None,
        *,
        conn: Connection | None = None,
    ) -> int:
        """Record the same outcome of one attempt to apply each delivery; returns how many were in the inbox."""
        marked = 0
        with self._writing(conn) as c:
            for chunk in _chunks(delivery_ids):
                stmt = (
                    update(webhook_inbox)
                    .where(self._among(webhook_inbox.c.delivery_id, chunk))
                    .values(status=status, attempts=webhook_inbox.c.attempts + 1, last_error=error)
                )
                marked += c.execute(stmt).rowcount
        return marked

    def inbox_counts(self) -> dict[str, int]:
        """Deliveries per status (every status present, zero when none)."""
        stmt = select(webhook_inbox.c.status, func.count()).group_by(webhook_inbox.c.status)
        with self._engine.connect() as conn:
            found = {status: count for status, count in conn.execute(stmt)}
        return {status: found.get(status, 0) for status in get_args(InboxStatus)}

    def inbox_last_received(self, tool: str | None = None) -> datetime | None:
        stmt = select(func.max(webhook_inbox.c.received_at))
        if tool is not None:
            stmt = stmt.where(webhook_inbox.c.tool == tool)
        with self._engine.connect() as conn:
            received: datetime | None = conn.scalar(stmt)
        return received

    # -- write-back audit ------------------------------------------------------------------------------------------

    def add_audit(
        self, action: str, target_id: str, detail: Mapping[str, Any], *, conn: Connection | None = None
    ) -> None:
        stmt = insert(audit_table).values(at=_now(), action=action, target_id=target_id, detail=dict(detail))
        with self._writing(conn) as c:
            c.execute(stmt)

    def audit_log(self, target_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        columns = (audit_table.c.at, audit_table.c.action, audit_table.c.target_id, audit_table.c.detail)
        stmt = select(*columns).order_by(audit_table.c.id.desc()).limit(limit)
        if target_id is not None:
            stmt = stmt.where(audit_table.c.target_id == target_id)
        with self._engine.connect() as conn:
            return [AuditEntry(**row._asdict()) for row in conn.execute(stmt)]

    # -- web sessions ----------------------------------------------------------------------------------------------

    def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        """Refuse the session from now on; revocations of sessions that have expired meanwhile are dropped."""
        with self.transaction() as conn:
            conn.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at < _now()))
            conn.execute(self._sql.session_revoke, {"session_id": session_id, "expires_at": expires_at})

    def session_revoked(self, session_id: str) -> bool:
        stmt = select(revoked_sessions.c.session_id).where(revoked_sessions.c.session_id == session_id)
        with self._engine.connect() as conn:
            return conn.scalar(stmt) is not None


__all__ = [
    "DEFAULT_URL",
    "AuditEntry",
    "InboxDelivery",
    "InboxEntry",
    "InboxStatus",
    "LinkResult",
    "RejectEntry",
    "Store",
    "SyncRun",
    "UpsertResult",
]
