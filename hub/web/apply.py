"""Applying webhook deliveries: inbox row → the polling mapping → the store's idempotent upsert.

A delivery reaches the store exactly as the next scheduled sync would write it: GitHub objects through
:func:`connectors.github.webhooks.from_webhook` (the polling mapping), Jira issues, versions and sprints through
:mod:`connectors.jira.mapping`, each upserted under the configured source and the polling stream's name, so the two
paths write the same rows and the newer ``updated`` wins whichever arrives last. Deletions mark records deleted.

What each event changes:

- GitHub ``issues``, ``pull_request``, ``milestone``, ``release``, ``check_run``, ``status``: the embedded object;
  ``issue_comment``: its (full) issue. ``ping``, ``push``, ``check_suite`` and ``workflow_run`` carry no record
  of their own: applied with no change (the check runs and statuses of a suite arrive as their own events, and the
  scheduled sync reads what GitHub never sends).
- Jira ``jira:issue_created|updated``: the issue (and the status transition its changelog carries); an issue
  without its core fields (some Cloud deliveries) is fetched whole through the connector: one search request per
  delivery (``id = N``), never more, behind the connector's retry and rate-limit policy. ``comment_*`` deliveries
  carry only a few issue fields, so the issue is fetched the same way. ``jira:issue_deleted`` marks it deleted.
  ``jira:version_*`` and ``sprint_*``: the version or sprint (``*_deleted`` marks it deleted); a version's project
  key comes from the stored version, the source's only project, or one ``/project/{id}`` request.
- A repository or project no configured source covers: recorded as ignored, with the reason.

An exception leaves the row ``failed`` with the error and its attempt counted; the worker retries it after
``retry_seconds`` until ``max_attempts``. The :class:`Applier` thread drains the inbox whenever a delivery arrives
(and once at start, for rows a previous process left pending); after each applied batch ``on_applied(count)``
runs, and the releases it touched are handed to ``on_change`` once deliveries pause for ``debounce_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import Connection

from connectors.base import Mapped
from connectors.github import webhooks as github_webhooks
from connectors.github.config import GitHubSourceConfig
from connectors.github.mapping import IsPullRequestError, map_issue
from connectors.jira import mapping as jira_mapping
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from hub.settings import Settings, secret
from hub.web.config import WebhookSettings
from schema import (
    AnyRecord,
    Check,
    ConfigError,
    PullRequest,
    Release,
    ReleaseKind,
    WorkItem,
    ids,
)
from sync.scope import release_refs
from sync.status import upcoming_releases
from sync.store import Store
from sync.store.inbox import InboxEntry

log = logging.getLogger(__name__)

Json = dict[str, Any]
Clock = Callable[[], datetime]
OnChange = Callable[[frozenset[str]], None]

GITHUB_EVENTS = frozenset(
    {
        "ping",
        "issues",
        "issue_comment",
        "pull_request",
        "release",
        "milestone",
        "check_run",
        "check_suite",
        "status",
        "push",
        "workflow_run",
    }
)
_JIRA_FAMILIES = ("comment_", "jira:version_", "sprint_")
_JIRA_ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
_JIRA_CORE_FIELDS = ("issuetype", "status", "summary", "created", "updated")


def github_event_known(event: str) -> bool:
    return event in GITHUB_EVENTS


def jira_event_known(event: str) -> bool:
    return event in _JIRA_ISSUE_EVENTS or event.startswith(_JIRA_FAMILIES)


@dataclass
class Change:
    """What one delivery does to the store: records per (source, stream), ids to mark deleted."""

    upserts: dict[tuple[str, str], list[Mapped]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    ignored: str | None = None

    def add(self, source: str, stream: str, mapped: Iterable[Mapped]) -> None:
        self.upserts.setdefault((source, stream), []).extend(mapped)

    @property
    def records(self) -> list[AnyRecord]:
        return [m.record for batch in self.upserts.values() for m in batch]


def github_stream(record: AnyRecord) -> str:
    """The stream of the GitHub source that polls this kind of record."""
    if isinstance(record, WorkItem):
        return "issues"
    if isinstance(record, PullRequest):
        return "pull_requests"
    if isinstance(record, Check):
        return "checks"
    if isinstance(record, Release):
        return "milestones" if record.release_kind is ReleaseKind.GITHUB_MILESTONE else "releases"
    raise TypeError(f"no GitHub stream writes {record.kind} records")


class SourceIndex:
    """Which configured source covers a repository or a Jira project."""

    def __init__(self, settings: Settings) -> None:
        self.github: dict[str, str] = {}
        self.jira: dict[str, JiraSourceConfig] = {}
        for name, config in settings.sources.items():
            if isinstance(config, GitHubSourceConfig):
                for repo in config.repos:
                    self.github.setdefault(repo.lower(), name)
            elif isinstance(config, JiraSourceConfig):
                self.jira[name] = config

    def github_source(self, repo: str) -> str | None:
        return self.github.get(repo.lower())

    def jira_source(self, project: str | None, self_url: str | None) -> str | None:
        """The Jira source whose projects include ``project`` (any, when unknown), preferring the one whose URL
        names the host of the payload's ``self`` link."""
        candidates = [name for name, cfg in self.jira.items() if project is None or project.upper() in cfg.projects]
        host = urlsplit(self_url or "").netloc.lower()
        by_host = [name for name in candidates if urlsplit(self.jira[name].url).netloc.lower() == host]
        chosen = by_host or candidates
        return chosen[0] if chosen else None


class JiraLookup:
    """Per Jira source: the mapping context (custom field ids discovered once through the connector, epic keys)
    and the few reads a partial delivery needs. Without the source's token, config field ids are used alone."""

    def __init__(self, settings: Settings, index: SourceIndex) -> None:
        self._settings = settings
        self._index = index
        self._sources: dict[str, JiraSource | None] = {}

    def config(self, name: str) -> JiraSourceConfig:
        return self._index.jira[name]

    def _source(self, name: str) -> JiraSource | None:
        if name not in self._sources:
            config = self.config(name)
            token = secret(config.token_env)
            self._sources[name] = (
                JiraSource(name, config, self._settings.status_map, token) if token is not None else None
            )
            if token is None:
                log.warning(
                    "jira source %s: %s is not set; webhooks map with configured field ids only", name, config.token_env
                )
        return self._sources[name]

    def context(self, name: str, raw_issues: list[Json]) -> jira_mapping.MappingContext:
        source = self._source(name)
        if source is not None:
            return source.context(raw_issues)
        config = self.config(name)
        return jira_mapping.MappingContext(
            site=config.site_name, rules=self._settings.status_map, fields=config.fields, base_url=config.url
        )

    def fetch_issue(self, name: str, issue_id: str) -> Json | None:
        """The whole issue by id, or ``None`` when the site no longer shows it."""
        source = self._source(name)
        if source is None:
            raise ConfigError(
                f"jira source {name}: this delivery lacks the issue's fields and fetching them needs the token in "
                f"{self.config(name).token_env}, which is not set"
            )
        if not issue_id.isdigit():
            return None
        for page in source.client.search(f"id = {issue_id}", ["*navigable"], page_size=1):
            for raw in page.get("issues") or ():
                return dict(raw)
        return None

    def project_key(self, name: str, project_id: str | None) -> str | None:
        config = self.config(name)
        if len(config.projects) == 1:
            return config.projects[0]
        source = self._source(name)
        if source is None or project_id is None or not project_id.isdigit():
            return None
        project = source.client.get(f"/rest/api/2/project/{project_id}", describe="project of a version")
        return str(project["key"]) if isinstance(project, Mapping) and project.get("key") else None


def _repo_of(payload: Json) -> str | None:
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, Mapping) else None
    return name if isinstance(name, str) else None


def github_change(index: SourceIndex, event: str, payload: Json) -> Change:
    repo = _repo_of(payload)
    if event in ("ping", "push", "check_suite", "workflow_run") or repo is None:
        return Change()
    source = index.github_source(repo)
    if source is None:
        return Change(ignored=f"no configured GitHub source covers {repo}")
    change = Change()
    if event == "issue_comment":
        try:
            records = [Mapped(map_issue(repo, payload["issue"]), payload["issue"])]
        except IsPullRequestError:
            records = []  # a pull request's conversation: the pull_request events carry the PR itself
    else:
        found = github_webhooks.from_webhook(event, payload)
        records = found.upserts
        change.deleted.extend(found.deleted)
    for mapped in records:
        change.add(source, github_stream(mapped.record), [mapped])
    return change


def _issue_complete(issue: Mapping[str, Any]) -> bool:
    fields = issue.get("fields")
    return isinstance(fields, Mapping) and all(fields.get(name) not in (None, "") for name in _JIRA_CORE_FIELDS)


def jira_change(
    index: SourceIndex, lookup: JiraLookup, store: Store, event: str, payload: Json, now: datetime
) -> Change:
    if event.startswith(("jira:issue_", "comment_")):
        return _jira_issue_change(index, lookup, event, payload)
    kind = "version" if event.startswith("jira:version_") else "sprint"
    raw = payload.get(kind)
    if not isinstance(raw, Mapping) or raw.get("id") is None:
        return Change()
    name = index.jira_source(None, str(raw.get("self") or ""))
    if name is None:
        return Change(ignored="no Jira source is configured")
    config = lookup.config(name)
    record_id = ids.jira(config.site_name, kind, str(raw["id"]))
    if event.endswith(("_deleted", "_merged")):  # a merged version is gone; its issues move to the other one
        return Change(deleted=[record_id])
    change = Change()
    if kind == "sprint":
        change.add(name, "sprints", [Mapped(jira_mapping.map_sprint(raw, config.site_name, now), dict(raw))])
        return change
    stored = store.records.get(record_id, include_deleted=True)
    project = stored.project if isinstance(stored, Release) else None
    project = project or lookup.project_key(name, str(raw.get("projectId") or "") or None)
    if project is None:
        return Change(ignored=f"version {raw['id']}: its project is not known to source {name}")
    change.add(name, "versions", [Mapped(jira_mapping.map_version(raw, config.site_name, project, now), dict(raw))])
    return change


def _jira_issue_change(index: SourceIndex, lookup: JiraLookup, event: str, payload: Json) -> Change:
    issue = payload.get("issue")
    if not isinstance(issue, Mapping) or issue.get("id") is None:
        return Change()
    fields = issue.get("fields")
    key = str(issue.get("key") or "")
    project = (fields.get("project") or {}).get("key") if isinstance(fields, Mapping) else None
    project = project or (key.rsplit("-", 1)[0] if "-" in key else None)
    name = index.jira_source(project, str(issue.get("self") or ""))
    if name is None:
        return Change(ignored=f"no configured Jira source covers project {project}")
    site = lookup.config(name).site_name
    if event == "jira:issue_deleted":
        return Change(deleted=[ids.jira(site, "issue", str(issue["id"]))])
    raw: Json | None = dict(issue)
    if not _issue_complete(issue):
        raw = lookup.fetch_issue(name, str(issue["id"]))
    change = Change()
    if raw is not None:
        work_item = jira_mapping.map_issue(raw, lookup.context(name, [raw]))
        change.add(name, "issues", [Mapped(work_item, raw)])
    if event == "jira:issue_updated":
        transitions = jira_mapping.webhook_status_changes(payload, site)
        change.add(name, "status_changes", [Mapped(t, payload) for t in transitions])
    return change


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
    """Releases (and check refs) touched since ``on_change`` last ran; ``due`` is when it runs next."""

    releases: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)
    due: float | None = None


class Applier:
    """The background worker that drains the inbox (see the module docstring).

    Deliveries are applied in batches of up to ``BATCH`` (``BUSY_BATCH`` while more keep arriving), each in one
    transaction: records per source and stream, newest per id, deletions in delivery order, the rows marked
    applied. If a batch write fails, each delivery is tried alone so only the one at fault is marked failed. While
    deliveries keep arriving, the worker pauses ``YIELD_FACTOR`` times as long as each batch took, so receiving
    keeps most of the process and the inbox catches up as the burst eases.
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
        self._index = SourceIndex(settings)
        self._lookup = JiraLookup(settings, self._index)
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
        planned: list[tuple[InboxEntry, Change]] = []
        for entry in entries:
            time.sleep(0)  # why: hand the GIL to the request path between deliveries; receiving comes first
            try:
                change = self.change_of(entry)
            except Exception as exc:
                self._failed(entry, exc)
                continue
            if change.ignored is not None:
                self._store.inbox.mark(entry.delivery_id, "ignored", change.ignored)
            else:
                planned.append((entry, change))
        if not planned:
            return
        try:
            releases, refs = self._write(planned)
        except Exception as exc:
            if len(planned) == 1:
                self._failed(planned[0][0], exc)
            else:
                for entry, _ in planned:
                    self.apply([entry])
            return
        self._on_applied(len(planned))
        if self._on_change is not None and (releases or refs):
            self._touched.releases |= releases
            self._touched.refs |= refs
            self._touched.due = time.monotonic() + self._webhooks.debounce_seconds

    def _failed(self, entry: InboxEntry, exc: Exception) -> None:
        log.warning("webhook delivery %s (%s %s) failed: %s", entry.delivery_id, entry.tool, entry.event, exc)
        self._store.inbox.mark(entry.delivery_id, "failed", f"{type(exc).__name__}: {exc}"[:2000])

    def change_of(self, entry: InboxEntry) -> Change:
        payload = orjson.loads(entry.body)
        if not isinstance(payload, dict):
            return Change(ignored="the body is not a JSON object")
        if entry.tool == "github":
            return github_change(self._index, entry.event, payload)
        return jira_change(self._index, self._lookup, self._store, entry.event, payload, self._clock())

    def _write(self, planned: Sequence[tuple[InboxEntry, Change]]) -> tuple[set[str], set[str]]:
        store = self._store
        deleted = [record_id for _, change in planned for record_id in change.deleted]
        gone = [r for r in (store.records.get(i) for i in deleted) if r is not None]
        waiting: dict[tuple[str, str], dict[str, Mapped]] = {}

        def flush(conn: Connection) -> None:
            for (source, stream), newest in waiting.items():
                store.records.upsert(list(newest.values()), source=source, stream=stream, conn=conn)
            waiting.clear()

        with store.db.transaction() as conn:
            for _, change in planned:
                for key, batch in change.upserts.items():
                    newest = waiting.setdefault(key, {})
                    for mapped in batch:
                        held = newest.get(mapped.record.id)
                        if held is None or mapped.record.updated >= held.record.updated:
                            newest[mapped.record.id] = mapped
                if change.deleted:
                    flush(conn)
                    store.records.mark_deleted(change.deleted, self._clock(), conn=conn)
            flush(conn)
            store.inbox.mark_many([entry.delivery_id for entry, _ in planned], "applied", conn=conn)
        return affected_releases([*(r for _, c in planned for r in c.records), *gone])

    def _changed_when_due(self) -> None:
        touched = self._touched
        if self._on_change is None or touched.due is None or time.monotonic() < touched.due:
            return
        self._touched = _Touched()
        try:
            self._on_change(frozenset(touched.releases | releases_for_refs(self._store, touched.refs)))
        except Exception:
            log.exception("the on_change hook failed for releases %s", sorted(touched.releases))


def utc_now() -> datetime:
    return datetime.now(UTC)
