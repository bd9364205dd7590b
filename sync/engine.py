"""The sync engine: run a source's streams into the store, one transaction per page, resumable at any point.

``sync_stream`` reads from the saved cursor, writes each page's records, rejects and cursor together
(``store.records.write_page``), then runs the stream's census to mark records the source no longer has. A crash anywhere
loses at most the page in flight; the rerun resumes after the last committed page, and the idempotent upsert absorbs
any overlap. ``sync_source`` isolates failures per stream kind: an error that means "fix the config" stops that
source; anything else is recorded on the stream and the next stream goes on. A stream the source does not offer
(:class:`schema.StreamUnavailableError`, e.g. sprints on a Jira site without Jira Software) is skipped: one warning
is logged and its run is recorded ``ok`` with the reason as its message, so the stream counts as current (there is
nothing to read) and freshness stays green. Runnable without Prefect.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.base import Page, RequestStats, Source, Stream
from schema import (
    ConfigError,
    PmhubError,
    PullRequest,
    Release,
    RetryLaterError,
    StreamUnavailableError,
    Tool,
    WorkItem,
)
from sync.linking import LinkRules, link_records
from sync.store import Store
from sync.store.links import LinkResult
from sync.store.records import UpsertResult

log = logging.getLogger(f"pmhub.{__name__}")


@dataclass
class StreamResult:
    source: str
    stream: str
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0
    deleted: int = 0
    seconds: float = 0.0
    error: str | None = None
    retryable: bool = False
    skipped: str | None = None  # why the source does not offer this stream

    @property
    def items(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.stale

    def add(self, page: Page, result: UpsertResult) -> None:
        self.pages += 1
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.stale += result.stale
        self.rejected += len(page.rejected)


@dataclass
class SourceResult:
    source: str
    streams: list[StreamResult] = field(default_factory=list)
    stats: RequestStats = field(default_factory=RequestStats)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.error is None for s in self.streams)


ProgressFn = Callable[[StreamResult, RequestStats], None]


def sync_stream(
    store: Store,
    source: Source,
    stream: Stream,
    *,
    full: bool = False,
    progress: ProgressFn | None = None,
) -> StreamResult:
    """Run one stream to its end. A pmhub error is recorded on the result (and the run); a bug propagates."""
    result = StreamResult(source=source.name, stream=stream.name)
    started = time.monotonic()
    requests_before, waited_before = source.stats.requests, source.stats.waited_seconds
    retries_before = source.stats.retries
    run_id = store.runs.start(source.name, stream.name)
    cursor = None if full else store.cursors.get(source.name, stream.name)
    try:
        for page in stream.pages(cursor):
            result.add(page, store.records.write_page(source.name, stream.name, page))
            if progress is not None:
                progress(result, source.stats)
        present = stream.census()
        if present is not None:
            gone = store.records.ids_of(source.name, stream.name) - set(present)
            if gone:
                store.records.mark_deleted(gone, datetime.now(UTC))
            result.deleted = len(gone)
    except StreamUnavailableError as exc:
        result.skipped = str(exc)
        log.warning("skipped %s/%s: %s", source.name, stream.name, exc)
    except PmhubError as exc:
        result.error = str(exc)
        result.retryable = isinstance(exc, RetryLaterError)
        if isinstance(exc, ConfigError):
            raise
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        result.seconds = time.monotonic() - started
        store.runs.finish(
            run_id,
            status="failed" if result.error else "ok",
            counts={
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "stale": result.stale,
                "rejected": result.rejected,
                "deleted": result.deleted,
            },
            requests=source.stats.requests - requests_before,
            waited=source.stats.waited_seconds - waited_before,
            error=result.error or result.skipped,
        )
        _log_result(
            result,
            requests=source.stats.requests - requests_before,
            retries=source.stats.retries - retries_before,
            waited=source.stats.waited_seconds - waited_before,
            headroom=source.stats.rate_limit_remaining,
        )
    return result


def _log_result(result: StreamResult, *, requests: int, retries: int, waited: float, headroom: int | None) -> None:
    """One line per stream: what it wrote, what it cost, and the rate-limit headroom the source has left."""
    log.info(
        "%s/%s: %d pages, %d new, %d updated, %d unchanged, %d rejected, %d deleted in %.1f s; "
        "requests %d, retries %d, waited %.1f s, rate limit left %s",
        result.source, result.stream, result.pages, result.inserted, result.updated, result.unchanged,
        result.rejected, result.deleted, result.seconds, requests, retries, waited,
        "-" if headroom is None else headroom,
    )
    if result.error:
        log.warning("%s/%s failed: %s", result.source, result.stream, result.error)


def sync_source(
    store: Store,
    source: Source,
    *,
    streams: list[str] | None = None,
    full: bool = False,
    progress: ProgressFn | None = None,
) -> SourceResult:
    """Every stream of one source; a config error stops the source, other errors only their own stream."""
    outcome = SourceResult(source=source.name, stats=source.stats)
    try:
        selected = [s for s in source.streams() if streams is None or s.name in streams]
    except PmhubError as exc:
        outcome.error = str(exc)
        return outcome
    for stream in selected:
        try:
            outcome.streams.append(sync_stream(store, source, stream, full=full, progress=progress))
        except ConfigError as exc:
            outcome.streams.append(StreamResult(source.name, stream.name, error=str(exc)))
            outcome.error = str(exc)
            break
    return outcome


def relink(store: Store, rules: LinkRules) -> LinkResult:
    """Recompute every cross-tool link from the store, streaming; links whose evidence disappeared are removed.

    When no work item, pull request or release was written or deleted since the last linking with the same rules,
    the links are current and nothing is read.
    """
    generation = f"{store.links.generation()}/{hashlib.sha256(repr(rules).encode()).hexdigest()[:16]}"
    if store.links.linked_generation() == generation:
        return LinkResult(added=0, changed=0, kept=store.db.counts()["links"], removed=0, current=True)
    github = (
        record
        for kind in ("work_item", "pull_request")
        for record in store.records.iter(kind=kind, tool=Tool.GITHUB)
        if isinstance(record, WorkItem | PullRequest)
    )
    jira = (r for r in store.records.iter(kind="work_item", tool=Tool.JIRA) if isinstance(r, WorkItem))
    releases = [r for r in store.records.iter(kind="release") if isinstance(r, Release)]
    # every link is replaced, so the links of a record deleted since the last linking go too
    return store.links.replace(None, link_records(jira, github, releases, rules), generation=generation)
