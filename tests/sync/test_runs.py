"""A run whose process was killed (``kill -9``) is marked abandoned by the next run of its stream; a run that is
still going — in another process, or on another host with a fresh heartbeat — never is (on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from sync.store import Store
from sync.store.runs import Runs, SyncRun, process_alive, this_host
from sync.store.tables import sync_runs
from tests.support.paths import ROOT

RUNNER = """
import sys, time
from sync.store import Store
store = Store(sys.argv[1])
print(store.runs.start("jira", "issues"), flush=True)
time.sleep(120)
"""


@contextmanager
def run_in_another_process(url: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A process that starts a run of jira/issues and then works on it (sleeps), and that run's id."""
    process = subprocess.Popen(
        [sys.executable, "-c", RUNNER, url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().isdigit(), process.stderr.read() if process.stderr else line
        yield process, int(line)
    finally:
        process.kill()
        process.wait(timeout=10)


def run(store: Store, run_id: int) -> SyncRun:
    (found,) = [r for r in store.runs.recent() if r.id == run_id]
    return found


def put_running(
    store: Store, *, host: str | None, pid: int | None, heartbeat: datetime | None, started: datetime
) -> int:
    values = {"source": "jira", "stream": "issues", "started": started, "status": "running"}
    owner = {"host": host, "pid": pid, "heartbeat": heartbeat}
    counts = dict.fromkeys(("inserted", "updated", "unchanged", "stale", "rejected", "deleted", "requests"), 0)
    with store.db.transaction() as conn:
        run_id: int = conn.execute(
            insert(sync_runs).values(**values, **owner, **counts, waited=0.0).returning(sync_runs.c.id)
        ).scalar_one()
    return run_id


def test_a_run_whose_process_was_killed_is_abandoned_by_the_next_run_of_its_stream(
    store: Store, store_url: str
) -> None:
    with run_in_another_process(store_url) as (process, killed):
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    other_stream = store.runs.start("jira", "versions")

    next_run = store.runs.start("jira", "issues")

    abandoned = run(store, killed)
    assert abandoned.status == "abandoned"
    assert abandoned.finished is not None
    assert abandoned.error is not None
    assert "ended without finishing" in abandoned.error
    assert f"pid {process.pid} on {this_host()}" in abandoned.error
    assert run(store, next_run).status == "running"
    assert run(store, other_stream).status == "running", "another stream's run is not its business"


def test_a_run_another_live_process_is_running_is_left_alone(store: Store, store_url: str) -> None:
    with run_in_another_process(store_url) as (process, running):
        store.runs.start("jira", "issues")

        found = run(store, running)

    assert (found.status, found.host, found.pid) == ("running", this_host(), process.pid)


def test_a_run_of_another_host_is_abandoned_only_once_its_heartbeat_is_stale(store: Store) -> None:
    now = datetime.now(UTC)
    fresh = put_running(store, host="worker-2", pid=4242, heartbeat=now - timedelta(minutes=2), started=now)
    stale = put_running(store, host="worker-3", pid=4242, heartbeat=now - timedelta(minutes=11), started=now)
    legacy_old = put_running(store, host=None, pid=None, heartbeat=None, started=now - timedelta(hours=2))
    legacy_new = put_running(store, host=None, pid=None, heartbeat=None, started=now - timedelta(minutes=1))

    store.runs.start("jira", "issues")

    assert [run(store, r).status for r in (fresh, stale, legacy_old, legacy_new)] == [
        "running",
        "abandoned",
        "abandoned",
        "running",
    ]
    assert "no heartbeat since" in (run(store, stale).error or "")
    assert "an unknown process" in (run(store, legacy_old).error or "")


def test_a_run_beats_while_its_process_lives_and_finishing_stops_the_heartbeat(store: Store) -> None:
    runs = Runs(store.db, heartbeat_seconds=0.05)
    run_id = runs.start("github", "pulls")
    started = run(store, run_id).heartbeat
    time.sleep(0.3)
    beaten = run(store, run_id).heartbeat
    runs.finish(run_id, "ok", {})
    time.sleep(0.1)  # a beat under way when the run finished lands
    last = run(store, run_id).heartbeat
    time.sleep(0.3)
    finished = run(store, run_id)
    runs.close()

    assert started is not None
    assert beaten is not None
    assert beaten > started
    assert finished.status == "ok"
    assert finished.heartbeat == last


def test_a_run_marked_abandoned_that_finishes_after_all_records_its_outcome(store: Store) -> None:
    now = datetime.now(UTC)
    slow = put_running(store, host="worker-2", pid=1, heartbeat=now - timedelta(hours=1), started=now)
    store.runs.start("jira", "issues")

    store.runs.finish(slow, "ok", {"inserted": 5})

    assert (run(store, slow).status, run(store, slow).inserted, run(store, slow).error) == ("ok", 5, None)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="zombies are read from /proc")
def test_a_killed_process_not_yet_reaped_counts_as_ended() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_alive(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while process_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.01)

        assert not process_alive(process.pid), "a zombie is no live process"
    finally:
        process.wait(timeout=10)
    assert not process_alive(process.pid)
