"""The store keeps exactly the newest version of every record, commits a page atomically, and behaves the same on
SQLite and PostgreSQL (each test runs on both; see conftest)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, StatementError

from connectors.base import Mapped, Page, Rejected
from schema import (
    ConfigError,
    Link,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    Status,
    StatusCategory,
    Tool,
    WorkItem,
    WorkItemType,
    ids,
)
from sync.engine import relink
from sync.linking import LinkRules
from sync.store import Store
from sync.store.database import YIELD_PER
from sync.store.inbox import InboxDelivery
from sync.store.records import UpsertResult
from sync.store.tables import records
from tests.sync.builders import check

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SITE = "acme.atlassian.net"
REPO = "acme/shop"


def work_item(
    native: int,
    *,
    updated: datetime = T0,
    title: str | None = None,
    releases: tuple[str, ...] = (),
    description: str = "",
) -> WorkItem:
    return WorkItem(
        id=ids.jira(SITE, "issue", native),
        source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id=str(native), key=f"CHK-{native}"),
        updated=updated,
        type=WorkItemType.STORY,
        type_original="Story",
        title=title or f"story {native}",
        description=description,
        status=Status(category=StatusCategory.IN_PROGRESS, original="In Progress"),
        release_ids=releases,
        created=T0 - timedelta(days=3),
    )


def pull_request(number: int, *, releases: tuple[str, ...] = ()) -> PullRequest:
    return PullRequest(
        id=ids.github(REPO, "pr", number),
        source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id=str(number), key=f"#{number}"),
        updated=T0,
        number=number,
        title=f"CHK-{number} change",
        state=PullRequestState.OPEN,
        status=Status(category=StatusCategory.IN_PROGRESS, original="open"),
        head_ref=f"feature/CHK-{number}",
        base_ref="main",
        release_ids=releases,
        created=T0,
    )


def release(native: int) -> Release:
    return Release(
        id=ids.jira(SITE, "version", native),
        source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id=str(native)),
        updated=T0,
        release_kind=ReleaseKind.JIRA_VERSION,
        project="CHK",
        name=f"v{native}",
        released=False,
    )


def link(from_id: str, to_id: str, *, kind: str = "mentions", text: str = "CHK-1") -> Link:
    return Link(
        id=ids.link(from_id, to_id, kind),
        source=SourceRef(tool=Tool.PMHUB, instance="linking", native_id=ids.link(from_id, to_id, kind)),
        updated=T0,
        from_id=from_id,
        to_id=to_id,
        link_kind=kind,
        evidence_field="title",
        evidence_text=text,
    )


def mapped(*items: WorkItem | PullRequest | Release) -> list[Mapped]:
    return [
        Mapped(record=item, raw={"id": item.source.native_id, "fields": {"summary": getattr(item, "title", "")}})
        for item in items
    ]


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every SQL statement the store sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(store.db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.db.engine, "before_cursor_execute", record)


def run_in_threads(work: Callable[[int], object], count: int) -> list[object]:
    """Run ``work(i)`` for each i in parallel threads; results in order, the first exception re-raised."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(work, range(count)))


def test_idempotent_double_write_changes_nothing(store: Store) -> None:
    page = Page(records=mapped(*(work_item(n) for n in range(1, 6))), cursor='{"since": "2026-11-02T09:30"}')

    first = store.records.write_page("jira", "issues", page)
    snapshot = ({r.id: r for r in store.records.iter()}, store.db.counts(), store.cursors.get("jira", "issues"))
    second = store.records.write_page("jira", "issues", page)

    assert first == UpsertResult(inserted=5)
    assert second == UpsertResult(unchanged=5)
    assert ({r.id: r for r in store.records.iter()}, store.db.counts(), store.cursors.get("jira", "issues")) == snapshot


def test_older_updated_never_overwrites_newer(store: Store) -> None:
    newer = work_item(1, updated=T0 + timedelta(hours=1), title="renamed later")
    older = work_item(1, updated=T0, title="original")
    store.records.upsert(mapped(newer), source="jira", stream="issues")

    result = store.records.upsert(mapped(older), source="jira", stream="issues")

    assert result == UpsertResult(stale=1)
    assert store.records.get(newer.id) == newer
    assert store.records.raw_of(newer.id) == {"id": "1", "fields": {"summary": "renamed later"}}


def test_newer_updated_replaces_record_and_raw(store: Store) -> None:
    store.records.upsert(mapped(work_item(1)), source="jira", stream="issues")
    newer = work_item(1, updated=T0 + timedelta(seconds=1), title="renamed")

    result = store.records.upsert(mapped(newer), source="jira", stream="issues")

    assert result == UpsertResult(updated=1)
    assert store.records.get(newer.id) == newer
    assert store.records.raw_of(newer.id) == {"id": "1", "fields": {"summary": "renamed"}}


def test_newer_updated_with_the_same_content_counts_unchanged_yet_keeps_older_writes_stale(store: Store) -> None:
    store.records.upsert(mapped(work_item(1)), source="jira", stream="versions")
    reread = work_item(1, updated=T0 + timedelta(hours=2))
    late_older = work_item(1, updated=T0 + timedelta(hours=1), title="changed in between")

    assert store.records.upsert(mapped(reread), source="jira", stream="versions") == UpsertResult(unchanged=1)
    assert store.records.upsert(mapped(late_older), source="jira", stream="versions") == UpsertResult(stale=1)
    assert store.records.get(reread.id) == reread


def test_newest_version_wins_inside_one_page_in_any_order(store: Store) -> None:
    versions = [work_item(1, updated=T0 + timedelta(minutes=m), title=f"v{m}") for m in (2, 0, 1)]

    result = store.records.upsert(mapped(*versions), source="jira", stream="issues")

    assert result == UpsertResult(inserted=1, stale=2)
    assert store.records.get(versions[0].id) == versions[0]


def test_replay_of_a_mapping_fix_updates_the_record(store: Store) -> None:
    store.records.upsert(mapped(work_item(1, title="Sumary typo")), source="jira", stream="issues")
    fixed = work_item(1, title="Summary fixed")

    result = store.records.upsert(mapped(fixed), source="jira", stream="issues")

    assert result == UpsertResult(updated=1)
    assert store.records.get(fixed.id) == fixed


def test_records_and_cursor_commit_together_failure_leaves_neither(store: Store) -> None:
    store.records.write_page("jira", "issues", Page(records=mapped(work_item(1)), cursor="page-1"))
    # An empty cursor violates the cursors table's check constraint, so the failure comes after the records.
    broken = Page(records=mapped(work_item(2), work_item(1, updated=T0 + timedelta(hours=1))), cursor="")

    with pytest.raises(IntegrityError):
        store.records.write_page("jira", "issues", broken)

    assert store.records.get(ids.jira(SITE, "issue", 2)) is None
    assert store.records.get(ids.jira(SITE, "issue", 1)) == work_item(1)
    assert store.cursors.get("jira", "issues") == "page-1"
    assert store.db.counts()["records"] == 1


def test_failure_while_saving_rejects_rolls_back_the_page(store: Store) -> None:
    class InjectedError(RuntimeError):
        pass

    def fail_on_rejects(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO REJECTS"):
            raise InjectedError("disk full while saving rejects")

    page = Page(records=mapped(work_item(1)), cursor="page-1", rejected=[Rejected("7", "no summary", {"id": "7"})])
    event.listen(store.db.engine, "before_cursor_execute", fail_on_rejects)
    try:
        with pytest.raises(InjectedError):
            store.records.write_page("jira", "issues", page)
    finally:
        event.remove(store.db.engine, "before_cursor_execute", fail_on_rejects)

    assert store.db.counts()["records"] == 0
    assert store.cursors.get("jira", "issues") is None


def test_page_without_cursor_keeps_the_saved_one(store: Store) -> None:
    store.records.write_page("github", "issues", Page(records=[], cursor="etag-1"))

    store.records.write_page("github", "issues", Page(records=mapped(pull_request(1)), cursor=None))

    assert store.cursors.get("github", "issues") == "etag-1"


def test_census_marks_deletes_and_a_reappearing_record_returns(store: Store) -> None:
    items = [work_item(n) for n in range(1, 4)]
    store.records.upsert(mapped(*items), source="jira", stream="issues")
    store.records.upsert(mapped(pull_request(9)), source="github", stream="pulls")
    present_at_source = {items[0].id, items[2].id}

    gone = store.records.ids_of("jira", "issues") - present_at_source
    marked = store.records.mark_deleted(gone, T0 + timedelta(days=1))

    assert marked == 1
    assert store.records.ids_of("jira", "issues") == present_at_source
    assert store.records.get(items[1].id) is None
    assert store.records.get(items[1].id, include_deleted=True) == items[1]
    assert [r.id for r in store.records.iter(kind="work_item")] == sorted(present_at_source)
    assert len(list(store.records.iter(kind="work_item", include_deleted=True))) == 3
    assert store.records.mark_deleted(gone, T0 + timedelta(days=2)) == 0

    assert store.records.upsert(mapped(items[1]), source="jira", stream="issues") == UpsertResult(updated=1)
    assert store.records.get(items[1].id) == items[1]


def test_tz_aware_round_trip_on_both_backends(store: Store) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 11, 2, 15, 0, 0, 123456, tzinfo=kolkata)
    item = work_item(1, updated=local)
    store.records.upsert(mapped(item), source="jira", stream="issues")
    store.records.mark_deleted([item.id], local + timedelta(hours=1))

    with store.db.engine.connect() as conn:
        row = conn.execute(select(records.c.updated, records.c.deleted_at)).one()
    loaded = store.records.get(item.id, include_deleted=True)

    assert row.updated == local
    assert row.updated.tzinfo is UTC
    assert row.deleted_at == local + timedelta(hours=1)
    assert row.deleted_at.tzinfo is UTC
    assert loaded is not None
    assert loaded.updated == local
    assert loaded.updated.utcoffset() is not None


def test_naive_datetime_is_refused(store: Store) -> None:
    store.records.upsert(mapped(work_item(1)), source="jira", stream="issues")

    with pytest.raises(StatementError, match="naive datetime"):
        store.records.mark_deleted([ids.jira(SITE, "issue", 1)], datetime(2026, 11, 3, 12, 0))


def test_run_and_inbox_timestamps_are_aware_utc(store: Store) -> None:
    run = store.runs.start("jira", "issues")
    store.runs.finish(run, "ok", {"inserted": 1})
    store.inbox.put("d-1", "github", "ping", {}, "{}")

    (finished,) = store.runs.last_successes().values()
    received = store.inbox.last_received()

    assert store.runs.last_success("jira") == finished
    assert finished.tzinfo is UTC
    assert received is not None
    assert received.tzinfo is UTC


def test_iter_records_streams_without_loading_everything(store: Store) -> None:
    # 1,500 records of ~20 KB each: holding them all would take well over 30 MB.
    padding = "x" * 20_000
    for start in range(0, 1500, 100):
        page = mapped(*(work_item(n, description=padding) for n in range(start, start + 100)))
        store.records.upsert(page, source="jira", stream="issues")

    tracemalloc.start()
    try:
        seen = 0
        for record in store.records.iter(kind="work_item"):
            assert isinstance(record, WorkItem)
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == 1500
    assert peak < 20_000_000, f"iterating held {peak / 1e6:.1f} MB at its peak"


def test_iter_records_fetches_in_batches_through_a_server_side_cursor_on_postgresql(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.records.upsert(mapped(*(work_item(n) for n in range(YIELD_PER + 10))), source="jira", stream="issues")
        records_iter = store.records.iter()
        next(records_iter)
        with store.db.engine.connect() as conn:
            activity = conn.exec_driver_sql(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalars()
            fetching = [query for query in activity if query.startswith("FETCH FORWARD")]
        rest = sum(1 for _ in records_iter)

    assert fetching, "records.iter should read through a server-side cursor"
    assert rest == YIELD_PER + 9


def test_iter_records_filters_by_kind_tool_and_source(store: Store) -> None:
    store.records.upsert(mapped(work_item(1), release(10)), source="jira-acme", stream="issues")
    store.records.upsert(mapped(pull_request(2)), source="github-shop", stream="pulls")

    assert [r.id for r in store.records.iter(kind="release")] == [release(10).id]
    assert [r.id for r in store.records.iter(tool=Tool.GITHUB)] == [pull_request(2).id]
    assert {r.id for r in store.records.iter(source="jira-acme")} == {work_item(1).id, release(10).id}


def test_items_in_release_follow_release_ids_changes(store: Store) -> None:
    v1, v2 = release(10).id, release(11).id
    store.records.upsert(mapped(release(10), release(11)), source="jira", stream="versions")
    items = mapped(work_item(1, releases=(v1, v2)), work_item(2, releases=(v1,)))
    store.records.upsert(items, source="jira", stream="issues")
    store.records.upsert(mapped(pull_request(3, releases=(v1,))), source="github", stream="pulls")

    members = sorted([work_item(1).id, work_item(2).id, pull_request(3).id])
    assert [r.id for r in store.records.in_release(v1)] == members

    moved = work_item(1, updated=T0 + timedelta(hours=1), releases=(v2,))
    store.records.upsert(mapped(moved), source="jira", stream="issues")

    assert [r.id for r in store.records.in_release(v1)] == sorted([work_item(2).id, pull_request(3).id])
    assert store.records.in_release(v2) == [moved]


def test_replace_links_removes_links_whose_evidence_disappeared(store: Store) -> None:
    pr1, pr2 = ids.github(REPO, "pr", 1), ids.github(REPO, "pr", 2)
    issue1, issue2 = ids.jira(SITE, "issue", 1), ids.jira(SITE, "issue", 2)
    milestone = link(pr1, issue2, kind="same_release", text="v1")
    first = store.links.replace([pr1, pr2], [link(pr1, issue1), link(pr2, issue1), milestone])

    second = store.links.replace([pr1, pr2], [link(pr1, issue1)], link_kinds=["mentions"])

    assert first.added == 3
    assert (second.added, second.kept, second.removed) == (0, 1, 1)
    assert store.links.of(issue1) == [link(pr1, issue1)]
    assert store.links.of(pr1) == sorted([link(pr1, issue1), milestone], key=lambda found: found.id)
    assert store.links.of(pr2) == []
    assert store.db.counts()["links"] == 2
    assert store.db.counts()["records"] == 2


def test_relinking_with_newer_timestamps_keeps_the_same_links(store: Store) -> None:
    pr1, issue1 = ids.github(REPO, "pr", 1), ids.jira(SITE, "issue", 1)
    store.links.replace([pr1], [link(pr1, issue1)])
    relinked = link(pr1, issue1).model_copy(update={"updated": T0 + timedelta(hours=1)})

    result = store.links.replace([pr1], [relinked])

    assert (result.added, result.changed, result.kept, result.removed) == (0, 0, 1, 0)
    assert store.links.of(issue1) == [relinked]
    assert store.db.counts()["links"] == 1


def test_linking_is_redone_only_after_a_work_item_pull_request_or_release_changes(store: Store) -> None:
    store.records.upsert(mapped(work_item(1), pull_request(1)), source="t", stream="s")
    first = relink(store, LinkRules())
    assert (first.added, first.current) == (1, False)

    with statements(store) as seen:
        again = relink(store, LinkRules())
    assert (again.added, again.kept, again.removed, again.current) == (0, 1, 0, True)
    assert not [s for s in seen if "records.data" in s]  # nothing was read to decide

    store.records.upsert([Mapped(record=check("build"), raw={})], source="t", stream="checks")
    assert relink(store, LinkRules()).current  # checks carry no link evidence

    store.records.upsert(mapped(work_item(1, updated=T0 + timedelta(hours=1), title="renamed")), source="t", stream="s")
    renamed = relink(store, LinkRules())
    assert (renamed.kept, renamed.current) == (1, False)

    store.records.mark_deleted([pull_request(1).id], T0 + timedelta(hours=2))
    assert (relink(store, LinkRules()).removed, relink(store, LinkRules()).current) == (1, True)

    other_rules = LinkRules(match_milestones_to_versions=False)
    assert not relink(store, other_rules).current


def test_replace_links_refuses_links_from_outside_its_scope(store: Store) -> None:
    pr1, pr2 = ids.github(REPO, "pr", 1), ids.github(REPO, "pr", 2)

    with pytest.raises(ValueError, match="outside from_ids"):
        store.links.replace([pr1], [link(pr2, ids.jira(SITE, "issue", 1))])


def test_rejects_are_kept_then_cleared_when_the_payload_maps(store: Store) -> None:
    bad = Rejected(native_id="2", reason="status 'Parked' is not mapped", raw={"id": "2"})
    result = store.records.write_page("jira", "issues", Page(records=mapped(work_item(1)), cursor="c1", rejected=[bad]))
    store.records.write_page("jira", "issues", Page(records=[], cursor="c2", rejected=[bad]))

    kept = store.rejects.of("jira")
    store.records.write_page("jira", "issues", Page(records=mapped(work_item(2)), cursor="c3"))

    assert result.rejected == 1
    assert [(r.native_id, r.reason, r.raw) for r in kept] == [("2", bad.reason, {"id": "2"})]
    assert store.rejects.of("jira") == []


def test_cursors_are_per_source_and_stream_and_reset_for_a_full_sync(store: Store) -> None:
    store.cursors.set("jira", "issues", "a")
    store.cursors.set("jira", "versions", "b")
    store.cursors.set("github", "issues", "c")
    store.cursors.set("jira", "issues", "a2")

    assert store.cursors.get("jira", "issues") == "a2"
    assert store.cursors.reset("jira") == 2
    assert store.cursors.get("jira", "versions") is None
    assert store.cursors.get("github", "issues") == "c"


def test_runs_record_counts_and_last_success_ignores_failures(store: Store) -> None:
    ok = store.runs.start("jira", "issues")
    store.runs.finish(ok, "ok", {"inserted": 3, "unchanged": 2, "deleted": 1}, requests=4, waited=1.5)
    failed = store.runs.start("jira", "versions")
    store.runs.finish(failed, "failed", {}, requests=1, error="jira: 503 from /rest/api/3/project/CHK/versions")
    running = store.runs.start("github", "pulls")

    runs = {run.id: run for run in store.runs.recent()}

    assert (runs[ok].inserted, runs[ok].unchanged, runs[ok].deleted, runs[ok].requests) == (3, 2, 1, 4)
    assert runs[ok].waited == 1.5
    assert runs[failed].status == "failed"
    assert runs[failed].error is not None
    assert runs[running].status == "running"
    assert runs[running].finished is None
    assert store.runs.last_success("jira", "versions") is None
    assert store.runs.last_success("github") is None
    assert store.runs.last_success("jira") == runs[ok].finished
    assert set(store.runs.last_successes()) == {("jira", "issues")}
    with pytest.raises(ValueError, match="unknown run counts"):
        store.runs.finish(running, "ok", {"pages": 3})


def test_webhook_delivery_is_stored_once_without_credentials(store: Store) -> None:
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "72d3162e",
        "X-Hub-Signature-256": "sha256=abc",
        "Authorization": "Bearer hunter2",
    }

    assert store.inbox.put("72d3162e", "github", "issues", headers, '{"action": "edited"}') is True
    assert store.inbox.put("72d3162e", "github", "issues", headers, '{"action": "edited"}') is False
    assert store.inbox.put("zen", "github", "unknown_event", {}, "{}", status="ignored") is True

    (entry,) = store.inbox.pending()
    assert entry.headers == {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "72d3162e"}
    assert entry.body == '{"action": "edited"}'
    assert store.inbox.counts() == {"pending": 1, "applied": 0, "ignored": 1, "failed": 0, "rejected": 0}


def test_failed_delivery_is_retried_until_attempts_run_out(store: Store) -> None:
    store.inbox.put("d-1", "jira", "jira:issue_updated", {}, "{}")

    store.inbox.mark("d-1", "failed", "connector timed out")
    retry = store.inbox.pending(max_attempts=2)
    store.inbox.mark("d-1", "failed", "connector timed out again")

    assert [(e.attempts, e.last_error) for e in retry] == [(1, "connector timed out")]
    assert store.inbox.pending(max_attempts=2) == []
    assert store.inbox.counts()["failed"] == 1
    store.inbox.mark("d-1", "applied")
    assert store.inbox.counts()["applied"] == 1
    with pytest.raises(KeyError):
        store.inbox.mark("never-received", "applied")


def test_deliveries_put_together_are_each_stored_once_and_the_first_of_a_repeat_wins(store: Store) -> None:
    store.inbox.put("old", "github", "issues", {}, '{"n": 0}')
    batch = [
        InboxDelivery("old", "github", "issues", {}, '{"n": 1}'),
        InboxDelivery("new", "github", "issues", {"X-Hub-Signature-256": "sha256=abc"}, '{"n": 2}'),
        InboxDelivery("new", "github", "issues", {}, '{"n": 3}'),
        InboxDelivery("zen", "github", "unknown_event", {}, "{}", status="ignored"),
    ]

    assert store.inbox.put_many(batch, received_at=T0) == {"new", "zen"}
    assert store.inbox.put_many([]) == set()

    pending = {entry.delivery_id: entry for entry in store.inbox.pending()}
    assert [pending["old"].body, pending["new"].body] == ['{"n": 0}', '{"n": 2}']
    assert pending["new"].headers == {}
    assert pending["new"].received_at == T0
    assert store.inbox.counts() == {"pending": 2, "applied": 0, "ignored": 1, "failed": 0, "rejected": 0}


def test_deliveries_marked_together_each_count_an_attempt(store: Store) -> None:
    store.inbox.put_many([InboxDelivery(f"d-{n}", "jira", "jira:issue_updated", {}, "{}") for n in range(3)])

    assert store.inbox.mark_many(["d-0", "d-1", "never-received"], "applied") == 2
    with store.db.transaction() as conn:
        assert store.inbox.mark_many(["d-2"], "failed", "timed out", conn=conn) == 1

    assert [(e.delivery_id, e.attempts, e.last_error) for e in store.inbox.pending()] == [("d-2", 1, "timed out")]
    assert store.inbox.counts() == {"pending": 0, "applied": 2, "ignored": 0, "failed": 1, "rejected": 0}


def test_audit_log_keeps_write_back_actions_newest_first(store: Store) -> None:
    target = ids.jira(SITE, "issue", 1)
    store.audit.add("jira.comment", target, {"verdict": "not ready", "comment_id": "10001"})
    store.audit.add("github.comment", ids.github(REPO, "pr", 2), {"verdict": "ready"})

    entries = store.audit.log(target)

    assert [(e.action, e.detail) for e in entries] == [
        ("jira.comment", {"verdict": "not ready", "comment_id": "10001"})
    ]
    assert entries[0].at.tzinfo is UTC
    assert [e.action for e in store.audit.log()] == ["github.comment", "jira.comment"]


def test_a_revoked_session_stays_revoked_until_it_expires_then_its_row_goes(store: Store) -> None:
    now = datetime.now(UTC)
    store.sessions.revoke("old", now - timedelta(seconds=1))
    store.sessions.revoke("live", now + timedelta(hours=1))
    store.sessions.revoke("live", now + timedelta(hours=1))  # a second logout of the same session is harmless

    assert store.sessions.revoked("live")
    assert not store.sessions.revoked("never-revoked")
    assert not store.sessions.revoked("old")  # expired meanwhile: dropped by the next revocation
    assert store.db.counts()["revoked_sessions"] == 1


def test_writes_compose_in_one_caller_transaction(store: Store) -> None:
    def write_then_abort() -> None:
        with store.db.transaction() as conn:
            store.records.upsert(mapped(work_item(1)), source="jira", stream="issues", conn=conn)
            store.cursors.set("jira", "issues", "c1", conn=conn)
            store.audit.add("jira.comment", work_item(1).id, {}, conn=conn)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        write_then_abort()

    assert store.db.counts()["records"] == 0
    assert store.cursors.get("jira", "issues") is None
    assert store.audit.log() == []


def test_counts_name_every_table(store: Store) -> None:
    store.records.upsert(mapped(work_item(1, releases=(release(10).id,))), source="jira", stream="issues")

    counts = store.db.counts()

    assert set(counts) == {
        "records",
        "record_releases",
        "links",
        "cursors",
        "sync_runs",
        "rejects",
        "webhook_inbox",
        "audit",
        "revoked_sessions",
        "meta",
    }
    assert (counts["records"], counts["record_releases"], counts["meta"]) == (1, 1, 1)


def test_json_text_with_nul_and_unicode_round_trips(store: Store) -> None:
    item = work_item(1, title="Émoji 🚀 ship", description="before\x00after")
    store.records.upsert([Mapped(record=item, raw={"summary": "nul \x00 inside"})], source="jira", stream="issues")

    assert store.records.get(item.id) == item
    assert store.records.raw_of(item.id) == {"summary": "nul \x00 inside"}


def test_a_page_of_100_costs_a_few_statements(store: Store) -> None:
    v1 = release(10).id
    page = Page(records=mapped(*(work_item(n, releases=(v1,)) for n in range(100))), cursor="c1")

    with statements(store) as first:
        store.records.write_page("jira", "issues", page)
    with statements(store) as replay:
        store.records.write_page("jira", "issues", page)

    def work(seen: list[str]) -> list[str]:
        return [s.split("(")[0].strip() for s in seen if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]

    assert len(work(first)) <= 6, work(first)
    assert not [s for s in work(replay) if "records" in s and not s.startswith("SELECT")], work(replay)


def test_a_second_store_sees_the_first_ones_commits(store_url: str) -> None:
    with Store(store_url) as writer, Store(store_url) as reader:
        writer.records.write_page("jira", "issues", Page(records=mapped(work_item(1)), cursor="c1"))

        assert reader.records.get(work_item(1).id) == work_item(1)
        assert reader.cursors.get("jira", "issues") == "c1"


def test_concurrent_writers_all_commit(store: Store) -> None:
    def write(worker: int) -> None:
        for page in range(10):
            base = worker * 1000 + page * 10
            items = mapped(*(work_item(n) for n in range(base, base + 10)))
            store.records.write_page(f"source-{worker}", "issues", Page(records=items, cursor=str(page)))

    run_in_threads(write, 4)

    assert store.db.counts()["records"] == 400
    assert {store.cursors.get(f"source-{w}", "issues") for w in range(4)} == {"9"}


def test_stores_opened_at_once_on_a_fresh_database_all_work(fresh_store_url: str) -> None:
    def open_and_write(worker: int) -> int:
        with Store(fresh_store_url) as opened:
            opened.cursors.set(f"source-{worker}", "issues", "c1")
            return opened.db.counts()["meta"]

    assert run_in_threads(open_and_write, 4) == [1, 1, 1, 1]


def test_a_delivery_raced_by_threads_is_stored_exactly_once(store: Store) -> None:
    def put(_worker: int) -> bool:
        return store.inbox.put("same-delivery", "jira", "jira:issue_updated", {}, "{}")

    assert sorted(run_in_threads(put, 8), key=bool) == [False] * 7 + [True]
    assert store.db.counts()["webhook_inbox"] == 1


def test_sqlite_default_is_a_wal_file_under_dot_pmhub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    with Store() as store, store.db.engine.connect() as conn:
        pragmas: dict[str, Any] = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }

    assert (tmp_path / ".pmhub" / "pmhub.db").is_file()
    assert store.url == f"sqlite:///{tmp_path.resolve() / '.pmhub' / 'pmhub.db'}"
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] >= 5000


def test_unsupported_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not supported"):
        Store("mysql+pymysql://pmhub:secret@db/pmhub")


def test_password_never_appears_in_the_store_url(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        assert "pmhub:pmhub@" not in store.url
        assert "***" in store.url


@pytest.mark.slow
def test_ten_thousand_records_in_pages_of_100_are_counted_exactly(store: Store) -> None:
    v1 = release(10).id
    pages = [
        Page(records=mapped(*(work_item(n, releases=(v1,)) for n in range(start, start + 100))), cursor=str(start))
        for start in range(0, 10_000, 100)
    ]
    renamed = [
        Page(
            records=mapped(
                *(
                    work_item(n, updated=T0 + timedelta(hours=1), title="renamed", releases=(v1,))
                    for n in range(s, s + 100)
                )
            ),
            cursor=str(s),
        )
        for s in range(0, 10_000, 100)
    ]

    totals: dict[str, UpsertResult] = {}
    for label, batch in (("insert", pages), ("unchanged", pages), ("update", renamed)):
        total = UpsertResult()
        for page in batch:
            total += store.records.write_page("jira", "issues", page)
        totals[label] = total
    assert sum(1 for _ in store.records.iter(kind="work_item")) == 10_000
    assert totals == {
        "insert": UpsertResult(inserted=10_000),
        "unchanged": UpsertResult(unchanged=10_000),
        "update": UpsertResult(updated=10_000),
    }
    assert len(store.records.in_release(v1)) == 10_000


def test_batched_lookups_return_live_records_and_the_links_into_a_release(store: Store) -> None:
    v1 = release(10).id
    items = [work_item(n, releases=(v1,)) for n in range(1, 3)] + [work_item(3)]
    prs = [pull_request(n) for n in range(1, 3)]
    store.records.upsert(mapped(*items, *prs), source="s", stream="x")
    store.links.replace({prs[0].id}, [link(prs[0].id, items[0].id), link(prs[0].id, items[1].id)])
    store.records.mark_deleted({items[2].id}, T0)
    assert {r.id for r in store.records.get_many([items[0].id, items[2].id, prs[1].id, "missing"])} == {
        items[0].id,
        prs[1].id,
    }
    store.links.replace({prs[1].id}, [link(prs[1].id, items[2].id)])
    assert {lk.to_id for lk in store.links.into_releases([v1])} == {items[0].id, items[1].id}
    assert store.links.into_releases(["no-such-release"]) == []
