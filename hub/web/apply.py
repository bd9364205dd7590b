"""The webhook inbox worker: inbox row → the source that covers it → the connector's translation → the store.

For each delivery, oldest first, the tool's webhooks module (:mod:`connectors.github.webhooks`,
:mod:`connectors.jira.webhooks`) names what it is about, :class:`hub.sources.Sources` which configured source
covers that, and the module turns it into a :class:`~connectors.base.Change` for that source, written through the
store's idempotent upsert under the source and the polling stream's name — so the two paths write the same rows
and the newer ``updated`` wins whichever arrives last. What the module needs to know about the source — the login
(GitHub ``GET /user``) or account (Jira ``/myself``) of its token, the few reads a partial Jira delivery needs —
comes through the source's client, behind its retry policy; a source whose token is not set recognises nothing as
its own, and its Jira deliveries map with the configured field ids alone.

Every delivery ends in one status on its inbox row:

- ``applied``; a change pmhub made itself (its state changes: the acting account is the source's token's) is
  applied with the reason on the row, so the store holds the truth, but re-evaluates and notifies nothing;
- ``ignored``, with the reason: no configured source covers it, or it is pmhub's own comment;
- ``rejected``, with the field: the payload lacks what its event needs (:class:`schema.BadDataError`), so it can
  never apply; kept, shown with the failures, never retried;
- ``failed``, with the error, for anything else (a read failed, a status is unmapped): the worker retries it after
  ``retry_seconds`` until ``max_attempts``.

The :class:`Applier` thread drains the inbox whenever a delivery arrives (and once at start, for rows a previous
process left pending); after each applied batch ``on_applied(count)`` runs, and the releases it touched are handed
to ``on_change`` once deliveries pause for ``debounce_seconds``. A delivery that names nobody who acted (Jira
version events) is checked against the audit of pmhub's write-back then: a release pmhub made itself re-evaluates
nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from connectors.base import Change, Mapped
from connectors.github import webhooks as github_webhooks
from connectors.github.source import GitHubSource
from connectors.jira import webhooks as jira_webhooks
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from connectors.jira.webhooks import ConfigOnly, JiraSite
from hub.settings import Settings
from hub.sources import Sources
from hub.web.config import WebhookSettings
from schema import AnyRecord, BadDataError, Check, PullRequest, Release, ReleaseKind, WorkItem
from sync.overview import upcoming_releases
from sync.reconcile.write_back import history_of
from sync.scope import release_refs
from sync.store import Store
from sync.store.inbox import InboxEntry

log = logging.getLogger(f"pmhub.{__name__}")

Json = dict[str, Any]
Clock = Callable[[], datetime]
OnChange = Callable[[frozenset[str]], None]


@dataclass(frozen=True)
class Planned:
    """A delivery ready to write, its change, and the source that covers it (``None`` for one without records)."""

    entry: InboxEntry
    source: str | None
    change: Change


def affected_releases(records: Iterable[AnyRecord]) -> tuple[set[str], set[str]]:
    """(release ids, check refs) the records bear on; refs are resolved to releases when the hook fires."""
    releases: set[str] = set()
    refs: set[str] = set()
    for record in records:
        if isinstance(record, Release):
            releases.add(record.id)
        elif isinstance(record, WorkItem | PullRequest):
            releases.update(record.release_ids)
        elif isinstance(record, Check):
            refs.add(record.ref)
    return releases, refs


def releases_for_refs(store: Store, refs: set[str]) -> set[str]:
    if not refs:
        return set()
    published = ReleaseKind.GITHUB_RELEASE
    github = [r for r in store.records.iter(kind="release") if isinstance(r, Release) and r.release_kind is published]
    return {r.id for r in upcoming_releases(store) if release_refs(r, github) & refs}


@dataclass
class _Touched:
    """Releases (and check refs) touched since ``on_change`` last ran; ``due`` is when it runs next.

    ``unattributed`` holds the releases a delivery that names nobody who acted changed, with the stored copy's
    ``updated`` before it: pmhub's own when its audited write-back on the release is newer than that.
    """

    releases: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    unattributed: dict[str, datetime | None] = field(default_factory=dict)
    due: float | None = None


class Applier:
    """The background worker that drains the inbox (see the module docstring).

    Deliveries are applied in batches of up to ``BATCH`` (``BUSY_BATCH`` while more keep arriving), each in one
    transaction: records per source and stream, newest per id, deletions in delivery order, the rows marked
    applied (pmhub's own changes with their reason). If a batch write fails, each delivery is tried alone so only
    the one at fault is marked failed. While deliveries keep arriving, the worker pauses ``YIELD_FACTOR`` times as
    long as each batch took, so receiving keeps most of the process and the inbox catches up as the burst eases.
    """

    BATCH = 100
    # a batch's transaction holds the store's write lock, and every answer in flight waits for it: while deliveries
    # arrive, batches stay small enough (a few ms) that no answer waits on a long one
    BUSY_BATCH = 2
    YIELD_FACTOR = 6.0

    def __init__(
        self,
        store: Store,
        settings: Settings,
        webhooks: WebhookSettings,
        *,
        clock: Clock,
        on_applied: Callable[[int], None] = lambda _count: None,
        on_change: OnChange | None = None,
    ) -> None:
        self._store = store
        self._sources = Sources(settings)
        self._logins: dict[str, str | None] = {}
        self._sites: dict[str, JiraSite] = {}
        self._webhooks = webhooks
        self._clock = clock
        self._on_applied = on_applied
        self._on_change = on_change
        self._touched = _Touched()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="pmhub-webhook-applier", daemon=True)

    def start(self) -> Applier:
        self._wake.set()
        self._thread.start()
        return self

    def notify(self) -> None:
        if self._wake.is_set() and self._busy:
            return  # the worker has yet to take the last wake-up, and drains whatever arrived until then
        with self._idle:
            self._busy = True
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery received so far has had its attempt; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._busy, timeout)

    def _timeout(self) -> float:
        due = self._touched.due
        wait = self._webhooks.retry_seconds
        return wait if due is None else max(0.0, min(wait, due - time.monotonic()))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self._timeout())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.drain()
            except Exception:
                log.exception("reading the webhook inbox failed; retrying in %ss", self._webhooks.retry_seconds)
            self._changed_when_due()
            with self._idle:
                if not self._wake.is_set():
                    self._busy = False
                self._idle.notify_all()

    def drain(self) -> int:
        """Give every waiting delivery one attempt, oldest first; returns how many were attempted."""
        attempted: set[str] = set()
        arriving = False
        while not self._stop.is_set():
            limit = self.BUSY_BATCH if arriving else self.BATCH
            batch = [
                entry
                for entry in self._store.inbox.pending(limit=limit, max_attempts=self._webhooks.max_attempts)
                if entry.delivery_id not in attempted
            ]
            if not batch:
                break
            attempted.update(entry.delivery_id for entry in batch)
            started = time.monotonic()
            self.apply(batch)
            arriving = self._wake.is_set()
            if arriving:
                # deliveries are arriving: give way to receiving them (durable already) for most of the time, so a
                # burst is answered at intake speed and applied as it eases
                self._wake.clear()
                self._stop.wait(self.YIELD_FACTOR * (time.monotonic() - started))
        return len(attempted)

    def apply(self, entries: Sequence[InboxEntry]) -> None:
        planned: list[Planned] = []
        for entry in entries:
            time.sleep(0)  # why: hand the GIL to the request path between deliveries; receiving comes first
            try:
                one = self.plan(entry)
            except BadDataError as exc:
                reason = f"{entry.event}: {exc}"
                log.warning("webhook delivery %s (%s) rejected: %s", entry.delivery_id, entry.tool, reason)
                self._store.inbox.mark(entry.delivery_id, "rejected", reason[:2000])
                continue
            except Exception as exc:
                self._failed(entry, exc)
                continue
            if one.change.ignored is not None:
                self._store.inbox.mark(entry.delivery_id, "ignored", one.change.ignored)
            else:
                planned.append(one)
        if not planned:
            return
        unattributed = self._unattributed(planned)
        try:
            gone = self._write(planned)
        except Exception as exc:
            if len(planned) == 1:
                self._failed(planned[0].entry, exc)
            else:
                for one in planned:
                    self.apply([one.entry])
            return
        self._on_applied(len(planned))
        releases, refs = _touched_by(planned, gone, unattributed)
        if self._on_change is not None and (releases or refs or unattributed):
            self._touched.releases |= releases
            self._touched.refs |= refs
            for release_id, updated in unattributed.items():
                self._touched.unattributed.setdefault(release_id, updated)
            self._touched.due = time.monotonic() + self._webhooks.debounce_seconds

    def _failed(self, entry: InboxEntry, exc: Exception) -> None:
        log.warning("webhook delivery %s (%s %s) failed: %s", entry.delivery_id, entry.tool, entry.event, exc)
        self._store.inbox.mark(entry.delivery_id, "failed", f"{type(exc).__name__}: {exc}"[:2000])

    def plan(self, entry: InboxEntry) -> Planned:
        """What a delivery changes, for the source that covers it; raises :class:`BadDataError` naming the field
        a payload of the wrong shape lacks."""
        payload = orjson.loads(entry.body)
        if not isinstance(payload, dict):
            raise BadDataError("the body is not a JSON object")
        if entry.tool == "github":
            repo = github_webhooks.repository(entry.event, payload)
            name = None if repo is None else self._sources.github_name(repo)
            if repo is not None and name is None:
                return Planned(entry, None, Change(ignored=f"no configured GitHub source covers {repo}"))
            login = None if name is None else self._login(name)
            return Planned(entry, name, github_webhooks.change(entry.event, payload, login))
        about = jira_webhooks.subject(entry.event, payload)
        name = self._sources.jira_name(project=about.project, link=about.link)
        if name is None:
            where = f"project {about.project}" if about.project else f"the site of {about.link}"
            return Planned(entry, None, Change(ignored=f"no configured Jira source covers {where}"))
        return Planned(entry, name, jira_webhooks.change(entry.event, payload, self._site(name), self._clock()))

    def _login(self, name: str) -> str | None:
        """The login of GitHub source ``name``'s token, read once; ``None`` while its token is not set."""
        if name not in self._logins:
            if not self._sources.has_token(name):
                log.warning("github source %s: its token is not set; no delivery is recognised as pmhub's own", name)
                self._logins[name] = None
            else:
                source = self._sources.source(name)
                assert isinstance(source, GitHubSource)
                self._logins[name] = source.client.login()
        return self._logins[name]

    def _site(self, name: str) -> JiraSite:
        """Jira source ``name``, or its configuration alone while its token is not set."""
        if name not in self._sites:
            site: JiraSite
            if self._sources.has_token(name):
                source = self._sources.source(name)
                assert isinstance(source, JiraSource)
                site = source
            else:
                log.warning("jira source %s: its token is not set; webhooks map with configured field ids only", name)
                config = self._sources.settings.sources[name]
                assert isinstance(config, JiraSourceConfig)
                site = ConfigOnly(config, self._sources.settings.status_map)
            self._sites[name] = site
        return self._sites[name]

    def _unattributed(self, planned: Sequence[Planned]) -> dict[str, datetime | None]:
        """The releases changed by deliveries that name nobody who acted, with their stored ``updated`` before."""
        found: dict[str, datetime | None] = {}
        for one in planned:
            if one.change.attributed or one.change.own is not None:
                continue
            for record in one.change.records:
                if isinstance(record, Release):
                    stored = self._store.records.get(record.id, include_deleted=True)
                    found.setdefault(record.id, stored.updated if stored is not None else None)
        return found

    def _write(self, planned: Sequence[Planned]) -> list[AnyRecord]:
        """Write the batch in one transaction; returns the records it marked deleted, as they were."""
        store = self._store
        gone = [r for r in (store.records.get(i) for one in planned for i in one.change.deleted) if r is not None]
        waiting: dict[tuple[str, str], dict[str, Mapped]] = {}

        def flush(conn: Connection) -> None:
            for (source, stream), newest in waiting.items():
                store.records.upsert(list(newest.values()), source=source, stream=stream, conn=conn)
            waiting.clear()

        with store.db.transaction() as conn:
            for one in planned:
                for stream, batch in one.change.upserts.items():
                    assert one.source is not None, "a change with records comes from a source"
                    newest = waiting.setdefault((one.source, stream), {})
                    for mapped in batch:
                        held = newest.get(mapped.record.id)
                        if held is None or mapped.record.updated >= held.record.updated:
                            newest[mapped.record.id] = mapped
                if one.change.deleted:
                    flush(conn)
                    store.records.mark_deleted(list(one.change.deleted), self._clock(), conn=conn)
            flush(conn)
            notes: dict[str | None, list[str]] = {}
            for one in planned:
                notes.setdefault(one.change.own, []).append(one.entry.delivery_id)
            for note, delivery_ids in notes.items():
                store.inbox.mark_many(delivery_ids, "applied", note, conn=conn)
        return gone

    def _changed_when_due(self) -> None:
        touched = self._touched
        if self._on_change is None or touched.due is None or time.monotonic() < touched.due:
            return
        self._touched = _Touched()
        releases = touched.releases | releases_for_refs(self._store, touched.refs) | self._not_own(touched.unattributed)
        if not releases:
            return
        try:
            self._on_change(frozenset(releases))
        except Exception:
            log.exception("the on_change hook failed for releases %s", sorted(releases))

    def _not_own(self, unattributed: dict[str, datetime | None]) -> set[str]:
        """Those releases whose newest change is not pmhub's own audited write-back (checked now, after the pause:
        the audit row of a write is recorded after the write, so maybe after its delivery arrived)."""
        history = history_of(self._store, unattributed)
        own = {
            release_id
            for release_id, before in unattributed.items()
            if (written := history.changed_at.get(release_id)) is not None and (before is None or written > before)
        }
        for release_id in sorted(own):
            log.info("release %s: the change is pmhub's own write-back (audit table); not re-evaluated", release_id)
        return set(unattributed) - own


def _touched_by(
    planned: Sequence[Planned], gone: Sequence[AnyRecord], unattributed: dict[str, datetime | None]
) -> tuple[set[str], set[str]]:
    """(releases, check refs) the batch bears on, leaving out pmhub's own changes and the releases whose check
    waits for the pause (``unattributed``)."""
    others = [one.change for one in planned if one.change.own is None]
    deleted = {record_id for change in others for record_id in change.deleted}
    records = [r for change in others for r in change.records if r.id not in unattributed]
    return affected_releases([*records, *(r for r in gone if r.id in deleted)])


def utc_now() -> datetime:
    return datetime.now(UTC)
