"""Records: every record of the unified model, written idempotently by id (the newer ``updated`` wins), the release
and link indexes derived from them, the delete census, and the queries that read them back.

API at a glance (``store.records``; records come back as schema objects via :func:`schema.parse_record`, deleted
ones hidden by default)::

    upsert(records: Sequence[Mapped], *, source, stream, conn=None) -> UpsertResult
    write_page(source, stream, page: Page) -> UpsertResult     # records + rejects + cursor in ONE transaction
    ids_of(source, stream) -> set[str];  mark_deleted(ids, at, *, conn=None) -> int      # the delete census
    get(id) -> AnyRecord | None;  raw_of(id) -> dict | None;  get_many(ids) -> list[AnyRecord]
    iter(kind=None, tool=None, source=None, include_deleted=False) -> Iterator[AnyRecord]       # streamed
    in_release(release_id) -> list[AnyRecord];  query(select of records.data) -> list[AnyRecord]

An incoming record is *inserted* (new id), *stale* (``updated`` older than the stored one: a no-op), *updated* (not
older, and its content — everything but ``updated`` — differs, which is also how a replayed mapping fix lands; or a
record marked deleted reappears) or *unchanged* (same content; a newer ``updated`` is still saved so that older writes
stay stale — Jira versions and sprints, stamped when read, count as unchanged run after run). A page costs a handful
of statements whatever its size: one SELECT of the stored (id, updated, digest), one batched INSERT … ON CONFLICT DO
UPDATE guarded by the newer-wins rule (so a concurrent newer write still wins), and the release/link index upkeep.

Writing or deleting a work item, pull request or release saves a fresh token under the cursor
(:data:`LINK_SOURCE`, :data:`LINKABLE_CHANGED`), so linking can tell whether it has anything new to look at.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal

from sqlalchemy import Connection, Select, and_, delete, insert, null, or_, select, update

from connectors.base import Mapped, Page
from schema import AnyRecord, Link, PullRequest, RecordKind, Release, Tool, WorkItem, parse_record
from sync.collector import collector_paused
from sync.store.database import Database, chunks
from sync.store.runs import Cursors, Rejects
from sync.store.tables import links, record_releases, records

LINK_SOURCE = "pmhub"
LINK_STREAM = "links"
LINKABLE_CHANGED = "links.changed"  # a cursor of LINK_SOURCE: a fresh token whenever a linkable record changes
_LINKABLE = (WorkItem, PullRequest, Release)
_RECORD_COLUMNS = ("kind", "tool", "instance", "source", "stream", "updated", "data", "raw", "digest")

WriteOutcome = Literal["inserted", "updated", "unchanged", "stale"]


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
class _Stored:
    updated: datetime
    digest: str
    deleted: bool


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


class Records:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database, cursors: Cursors, rejects: Rejects) -> None:
        self._db = db
        self._cursors = cursors
        self._rejects = rejects
        # built once (SQLAlchemy then only binds parameters): the hot path of every page
        upsert = db.insert(records)
        new = upsert.excluded
        newer_wins = or_(
            new.updated > records.c.updated,
            and_(
                new.updated == records.c.updated,
                or_(new.digest != records.c.digest, records.c.deleted_at.is_not(None)),
            ),
        )
        self._upsert_stmt = upsert.on_conflict_do_update(
            index_elements=[records.c.id],
            # why null() and not None: a bound parameter in SET makes SQLAlchemy send the batch row by row
            # (https://docs.sqlalchemy.org/en/21/core/connections.html#engine-insertmanyvalues).
            set_={**{name: new[name] for name in _RECORD_COLUMNS}, "deleted_at": null()},
            where=newer_wins,
        ).returning(records.c.id)

    # -- writing -----------------------------------------------------------------------------------------------

    def upsert(
        self, batch: Sequence[Mapped], *, source: str, stream: str, conn: Connection | None = None
    ) -> UpsertResult:
        return self._db.write(lambda c: self._upsert(c, batch, source, stream), conn)

    def write_page(self, source: str, stream: str, page: Page) -> UpsertResult:
        """Records, rejects and (when the page has one) the cursor of one page, committed together or not at all."""

        def write(conn: Connection) -> UpsertResult:
            result = self._upsert(conn, page.records, source, stream)
            accepted = [m.record.source.native_id for m in page.records]
            self._rejects.put(conn, source, stream, page.rejected, accepted)
            if page.cursor is not None:
                self._cursors.set(source, stream, page.cursor, conn=conn)
            return replace(result, rejected=len(page.rejected))

        return self._db.write(write)

    def ids_of(self, source: str, stream: str) -> set[str]:
        """Ids of the records a stream wrote that are not marked deleted: the store's side of a census."""
        stmt = select(records.c.id).where(
            records.c.source == source, records.c.stream == stream, records.c.deleted_at.is_(None)
        )
        return self._db.read(lambda conn: set(conn.scalars(stmt)))

    def mark_deleted(self, ids: Collection[str], at: datetime, *, conn: Connection | None = None) -> int:
        def mark(c: Connection) -> int:
            marked = 0
            for chunk in chunks(ids):
                alive = and_(self._db.among(records.c.id, chunk), records.c.deleted_at.is_(None))
                marked += c.execute(update(records).where(alive).values(deleted_at=at)).rowcount
            if marked:
                self._linkable_changed(c)
            return marked

        return self._db.write(mark, conn)

    def delete(self, conn: Connection, ids: Collection[str]) -> None:
        """Remove records for good (their index rows go with them): for derived records such as links."""
        for chunk in chunks(ids):
            conn.execute(delete(records).where(self._db.among(records.c.id, chunk)))

    def _stored(self, conn: Connection, ids: Collection[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        columns = (records.c.id, records.c.updated, records.c.digest, records.c.deleted_at)
        for chunk in chunks(ids):
            stmt = select(*columns).where(self._db.among(records.c.id, chunk))
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
        return set(conn.scalars(self._upsert_stmt, [{**row, "deleted_at": None} for row in rows]))

    def _reindex(self, conn: Connection, written: list[AnyRecord], replaced: set[str]) -> None:
        """Index the release and link rows of records whose content was just written (``replaced``: had rows)."""
        with_releases = [r for r in written if isinstance(r, WorkItem | PullRequest)]
        for chunk in chunks([r.id for r in with_releases if r.id in replaced]):
            conn.execute(delete(record_releases).where(self._db.among(record_releases.c.record_id, chunk)))
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
        for chunk in chunks([row["id"] for row in link_rows if row["id"] in replaced]):
            conn.execute(delete(links).where(self._db.among(links.c.id, chunk)))
        if link_rows:
            conn.execute(insert(links), link_rows)

    def _linkable_changed(self, conn: Connection) -> None:
        self._cursors.set(LINK_SOURCE, LINKABLE_CHANGED, uuid.uuid4().hex, conn=conn)

    # -- queries -----------------------------------------------------------------------------------------------

    def get(self, record_id: str, *, include_deleted: bool = False) -> AnyRecord | None:
        stmt = select(records.c.data).where(records.c.id == record_id)
        if not include_deleted:
            stmt = stmt.where(records.c.deleted_at.is_(None))
        data = self._db.read(lambda conn: conn.scalar(stmt))
        return None if data is None else parse_record(data)

    def raw_of(self, record_id: str) -> dict[str, Any] | None:
        stmt = select(records.c.raw).where(records.c.id == record_id)
        raw: dict[str, Any] | None = self._db.read(lambda conn: conn.scalar(stmt))
        return raw

    def iter(
        self,
        kind: RecordKind | None = None,
        tool: Tool | str | None = None,
        source: str | None = None,
        include_deleted: bool = False,
    ) -> Iterator[AnyRecord]:
        """Records in id order, fetched ``YIELD_PER`` rows at a time (a server-side cursor on PostgreSQL)."""
        stmt = select(records.c.id, records.c.data).order_by(records.c.id)
        if kind is not None:
            stmt = stmt.where(records.c.kind == kind)
        if tool is not None:
            stmt = stmt.where(records.c.tool == str(tool))
        if source is not None:
            stmt = stmt.where(records.c.source == source)
        if not include_deleted:
            stmt = stmt.where(records.c.deleted_at.is_(None))
        for row in self._db.stream(stmt, records.c.id):
            yield parse_record(row.data)

    def query(self, stmt: Select[Any]) -> list[AnyRecord]:
        """The records of a SELECT of ``records.data``, fetched in one call (row by row the driver's fetchone costs
        ~5 µs a row) and parsed with the collector paused."""

        def fetch(conn: Connection) -> list[Any]:
            return list(conn.scalars(stmt).all())

        with collector_paused():
            return [parse_record(data) for data in self._db.read(fetch)]

    def in_release(self, release_id: str) -> list[AnyRecord]:
        """Work items and pull requests whose ``release_ids`` name the release, by id."""
        stmt = (
            select(records.c.data)
            .join(record_releases, record_releases.c.record_id == records.c.id)
            .where(record_releases.c.release_id == release_id, records.c.deleted_at.is_(None))
        )
        # sorting the parsed records costs a few ms; ORDER BY made SQLite sort the JSON rows in a temporary B-tree
        return sorted(self.query(stmt), key=attrgetter("id"))

    def get_many(self, record_ids: Collection[str]) -> list[AnyRecord]:
        """The live records among ``record_ids``, a few batched queries however many."""
        found: list[AnyRecord] = []
        for chunk in chunks(set(record_ids)):
            stmt = select(records.c.data).where(self._db.among(records.c.id, chunk), records.c.deleted_at.is_(None))
            found.extend(self.query(stmt))
        return found
