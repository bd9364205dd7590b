"""What syncing leaves behind: where each stream got to (cursors), how each run went (runs), what did not fit
(rejects).

API at a glance (``store.cursors``, ``store.runs``, ``store.rejects``)::

    cursors.get(source, stream) -> str | None;  cursors.set(source, stream, value, *, conn=None)
    cursors.reset(source, stream=None) -> int                       # forget them: the next sync reads everything
    runs.start(source, stream) -> int                               # marks the stream's abandoned runs first
    runs.finish(run_id, status, counts: Mapping[str, int], requests=0, waited=0.0, error=None)
    runs.recent(limit=50, source=None) -> list[SyncRun];  runs.last_success(source, stream=None) -> datetime | None
    runs.last_successes() -> dict[(source, stream), datetime]
    rejects.of(source, stream=None) -> list[RejectEntry];  rejects.put(conn, source, stream, rejected, accepted)

A run is ``running`` until it finishes ``ok`` or ``failed``. A process killed on the way (``kill -9``, a lost
machine) cannot finish its run, so :meth:`Runs.start` first marks the stream's runs that nobody runs any more
``abandoned``, with an error saying their process ended without finishing. Each run records its owner — the host
(with the PID namespace on Linux, so two containers of one name are told apart) and the pid — and, while its
process lives, a heartbeat every ``HEARTBEAT_SECONDS`` from a thread of this part. A ``running`` row is abandoned
when its owner is on this host and that pid is no live process (gone, or a zombie), or when its heartbeat (or start,
for rows from before owners were kept) is older than ``ABANDON_AFTER`` — the only test for other hosts. A live run
is never marked: its heartbeat goes on whatever it waits for, and a pid reused by another process only delays the
verdict until the heartbeat is stale. A run marked abandoned that finishes after all records its real outcome.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from connectors.base import Rejected
from sync.store.database import Database, chunks
from sync.store.tables import cursors, rejects, sync_runs

log = logging.getLogger(f"pmhub.{__name__}")

RUN_COUNTS = ("inserted", "updated", "unchanged", "stale", "rejected", "deleted")
HEARTBEAT_SECONDS = 30.0
ABANDON_AFTER = timedelta(minutes=10)

RunStatus = Literal["running", "ok", "failed", "abandoned"]


def _now() -> datetime:
    return datetime.now(UTC)


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
    host: str | None
    pid: int | None
    heartbeat: datetime | None


@dataclass(frozen=True)
class RejectEntry:
    source: str
    stream: str
    native_id: str | None
    reason: str
    raw: dict[str, Any]
    at: datetime


class Cursors:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database) -> None:
        self._db = db
        upsert = db.insert(cursors)
        self._upsert_stmt = upsert.on_conflict_do_update(
            index_elements=[cursors.c.source, cursors.c.stream],
            set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
            where=cursors.c.value != upsert.excluded.value,
        )

    def get(self, source: str, stream: str) -> str | None:
        stmt = select(cursors.c.value).where(cursors.c.source == source, cursors.c.stream == stream)
        value: str | None = self._db.read(lambda conn: conn.scalar(stmt))
        return value

    def set(self, source: str, stream: str, value: str, *, conn: Connection | None = None) -> None:
        params = {"source": source, "stream": stream, "value": value, "updated_at": _now()}
        self._db.write(lambda c: c.execute(self._upsert_stmt, params), conn)

    def reset(self, source: str, stream: str | None = None) -> int:
        """Forget the saved cursors so the next sync reads everything (``--full``)."""
        stmt = delete(cursors).where(cursors.c.source == source)
        if stream is not None:
            stmt = stmt.where(cursors.c.stream == stream)
        deleted: int = self._db.write(lambda conn: conn.execute(stmt).rowcount)
        return deleted


@cache
def this_host() -> str:
    """This machine's name, with its PID namespace on Linux: containers of one name never share their pids."""
    name = socket.gethostname()
    try:
        return f"{name} {os.readlink('/proc/self/ns/pid')}"  # e.g. "worker-3 pid:[4026531836]"
    except OSError:
        return name


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process of this host (a zombie — killed, not yet reaped — is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    try:
        # /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces and parentheses
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


class Runs:
    """See the module docstring for the API at a glance."""

    def __init__(
        self, db: Database, *, heartbeat_seconds: float = HEARTBEAT_SECONDS, abandon_after: timedelta = ABANDON_AFTER
    ) -> None:
        self._db = db
        self._heartbeat_seconds = heartbeat_seconds
        self._abandon_after = abandon_after
        self._open: set[int] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._beating: threading.Thread | None = None

    def start(self, source: str, stream: str) -> int:
        def start(conn: Connection) -> int:
            now = _now()
            self._abandon(conn, source, stream, now)
            stmt = insert(sync_runs).values(
                source=source,
                stream=stream,
                started=now,
                status="running",
                host=this_host(),
                pid=os.getpid(),
                heartbeat=now,
            )
            run_id: int = conn.execute(stmt.returning(sync_runs.c.id)).scalar_one()
            return run_id

        run_id = self._db.write(start)
        with self._guard:
            self._open.add(run_id)
            if self._beating is None:
                self._stop.clear()
                self._beating = threading.Thread(target=self._beat, name="pmhub-run-heartbeat", daemon=True)
                self._beating.start()
        return run_id

    def finish(
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
        with self._guard:
            self._open.discard(run_id)
        stmt = (
            update(sync_runs)
            .where(sync_runs.c.id == run_id)
            .values(finished=_now(), status=status, requests=requests, waited=waited, error=error, **counts)
        )
        if self._db.write(lambda conn: conn.execute(stmt).rowcount) != 1:
            raise KeyError(f"no sync run with id {run_id}")

    def close(self) -> None:
        """Stop the heartbeat: the runs still open look abandoned once ``abandon_after`` has passed."""
        with self._guard:
            beating, self._beating = self._beating, None
            self._open.clear()
        self._stop.set()
        if beating is not None:
            beating.join(timeout=10)

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_seconds):
            with self._guard:
                beating = sorted(self._open)
                if not beating:
                    self._beating = None
                    return
            self._beat_once(beating)

    def _beat_once(self, run_ids: list[int]) -> None:
        stmt = update(sync_runs).where(sync_runs.c.id.in_(run_ids)).values(heartbeat=_now())
        try:
            self._db.write(lambda conn: conn.execute(stmt))
        except Exception as exc:  # the next beat tries again; a run is abandoned only after many missed ones
            log.warning("store %s: the heartbeat of runs %s failed: %s", self._db.url, run_ids, exc)

    def _abandon(self, conn: Connection, source: str, stream: str, now: datetime) -> None:
        """Mark the stream's runs whose process ended without finishing them ``abandoned``."""
        columns = (sync_runs.c.id, sync_runs.c.host, sync_runs.c.pid, sync_runs.c.started, sync_runs.c.heartbeat)
        running = conn.execute(
            select(*columns).where(
                sync_runs.c.source == source, sync_runs.c.stream == stream, sync_runs.c.status == "running"
            )
        ).all()
        host, stale_before = this_host(), now - self._abandon_after
        for row in running:
            owner = f"pid {row.pid} on {row.host}" if row.host else "an unknown process"
            if row.host == host and row.pid is not None and not process_alive(row.pid):
                why = f"the process that ran it ({owner}) ended without finishing the run"
            elif (row.heartbeat or row.started) < stale_before:
                last = (row.heartbeat or row.started).strftime("%Y-%m-%d %H:%M:%S UTC")
                why = f"the process that ran it ({owner}) ended without finishing the run: no heartbeat since {last}"
            else:
                continue
            conn.execute(
                update(sync_runs)
                .where(sync_runs.c.id == row.id, sync_runs.c.status == "running")
                .values(status="abandoned", finished=now, error=f"abandoned: {why}")
            )
            log.warning("store %s: run %d of %s/%s abandoned: %s", self._db.url, row.id, source, stream, why)

    def recent(self, limit: int = 50, source: str | None = None) -> list[SyncRun]:
        stmt = select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit)
        if source is not None:
            stmt = stmt.where(sync_runs.c.source == source)
        return self._db.read(lambda conn: [SyncRun(**row._asdict()) for row in conn.execute(stmt)])

    def last_success(self, source: str, stream: str | None = None) -> datetime | None:
        """When the last successful run of the source (or one of its streams) finished."""
        stmt = select(func.max(sync_runs.c.finished)).where(sync_runs.c.source == source, sync_runs.c.status == "ok")
        if stream is not None:
            stmt = stmt.where(sync_runs.c.stream == stream)
        finished: datetime | None = self._db.read(lambda conn: conn.scalar(stmt))
        return finished

    def last_successes(self) -> dict[tuple[str, str], datetime]:
        """Freshness of every source and stream that ever synced successfully."""
        stmt = (
            select(sync_runs.c.source, sync_runs.c.stream, func.max(sync_runs.c.finished))
            .where(sync_runs.c.status == "ok")
            .group_by(sync_runs.c.source, sync_runs.c.stream)
        )
        return self._db.read(lambda conn: {(source, stream): at for source, stream, at in conn.execute(stmt)})


class Rejects:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def of(self, source: str, stream: str | None = None) -> list[RejectEntry]:
        columns = [rejects.c[name] for name in ("source", "stream", "native_id", "reason", "raw", "at")]
        stmt = select(*columns).where(rejects.c.source == source).order_by(rejects.c.id)
        if stream is not None:
            stmt = stmt.where(rejects.c.stream == stream)
        return self._db.read(lambda conn: [RejectEntry(**row._asdict()) for row in conn.execute(stmt)])

    def put(
        self, conn: Connection, source: str, stream: str, rejected: Sequence[Rejected], accepted: Iterable[str]
    ) -> None:
        """Keep one current reject per native id: a later reject replaces it, a later successful mapping clears it."""
        superseded = set(accepted) | {r.native_id for r in rejected if r.native_id is not None}
        scope = and_(rejects.c.source == source, rejects.c.stream == stream)
        for chunk in chunks(superseded):
            conn.execute(delete(rejects).where(scope, self._db.among(rejects.c.native_id, chunk)))
        if rejected:
            scoped = {"source": source, "stream": stream, "at": _now()}
            rows = [{**scoped, "native_id": r.native_id, "reason": r.reason, "raw": r.raw} for r in rejected]
            conn.execute(insert(rejects), rows)
