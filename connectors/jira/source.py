"""The Jira source: streams ``issues``, ``status_changes``, ``versions`` and ``sprints``, plus write-back.

Both issue streams read ``project in (…) AND updated >= "yyyy-MM-dd HH:mm" ORDER BY updated ASC``. JQL dates are
minute-precise and read in the *searching user's* time zone (https://support.atlassian.com/jira-software-cloud/docs/
jql-fields/#Updated), so the lower bound is ``cursor − overlap`` rendered in the time zone ``/myself`` reports,
floored to the minute; the idempotent upsert absorbs the re-read window.

Cursor of ``issues`` and ``status_changes`` (JSON): ``{"updated": "<max updated seen, ISO-8601 UTC>", "ids":
["<issue ids updated at exactly that instant>"]}``; on resume those issues are skipped unless they changed again.
It is safe after every page because the read is sorted by ``updated``. Versions and sprints are small and read
whole every run (no cursor). ``issues``, ``versions`` and ``sprints`` have a census (id-only listings).

Requests per run: server info + myself + field list (+ one epic listing when Epic Link keys need ids) + one per
page (+ one changelog bulk fetch per page whose changelogs Jira cut short); never one per issue — except with
``remote_links = true``, because Jira offers no bulk read of remote links.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from connectors import shape
from connectors.base import Clock, Mapped, Page, Rejected, RequestStats, Stream, utc_now
from connectors.http import RetryPolicy
from connectors.jira import mapping
from connectors.jira.client import JiraAccount, JiraClient
from connectors.jira.config import JiraFieldIds, JiraSourceConfig
from connectors.jira.mapping import map_sprint, map_version
from schema import AnyRecord, BadDataError, ConfigError, StatusRules, WorkItemType, ids

# the streams' names: the store keeps records and cursors under them, and webhook deliveries upsert into them
ISSUES = "issues"
STATUS_CHANGES = "status_changes"
VERSIONS = "versions"
SPRINTS = "sprints"

_BASE_FIELDS = (
    "summary",
    "issuetype",
    "status",
    "project",
    "created",
    "updated",
    "description",
    "parent",
    "assignee",
    "labels",
    "priority",
    "fixVersions",
    "resolution",
    "resolutiondate",
)


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def issues_jql(projects: Sequence[str], since: datetime | None, time_zone: str) -> str:
    """The incremental search; ``since`` (aware) is rendered in ``time_zone`` and floored to the minute."""
    scope = f"project in ({', '.join(_jql_string(p) for p in projects)})"
    if since is not None:
        try:
            zone = ZoneInfo(time_zone)
        except ZoneInfoNotFoundError:
            raise ConfigError(
                f"jira: the user's time zone {time_zone!r} is unknown to this machine's tz database"
            ) from None
        scope += f' AND updated >= "{_local_minute_at_or_before(since, zone):%Y-%m-%d %H:%M}"'
    return scope + " ORDER BY updated ASC"


def _local_minute_at_or_before(since: datetime, zone: ZoneInfo) -> datetime:
    """The local wall-clock minute to write in JQL, so that however Jira reads it the bound is not after ``since``.

    In the hour a DST change repeats, a wall-clock time names two instants and Jira may take the later one; then
    the bound steps back an hour (re-reading that hour costs little, missing it loses changes).
    """
    wall = since.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    while max(wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)) > since:
        wall -= timedelta(hours=1)
    return wall


@dataclass(frozen=True)
class IssueCursor:
    updated: datetime
    ids: frozenset[str] = frozenset()
    census_at: datetime | None = None  # when the issue stream last listed every id

    @classmethod
    def load(cls, text: str | None) -> IssueCursor | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            updated = datetime.fromisoformat(data["updated"])
            if updated.tzinfo is None:
                raise ValueError("naive")
            census_at = datetime.fromisoformat(data["census_at"]) if data.get("census_at") else None
            if census_at is not None and census_at.tzinfo is None:
                raise ValueError("naive")
            return cls(updated.astimezone(UTC), frozenset(str(i) for i in data.get("ids", ())), census_at)
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"jira issues cursor is not understood: {text[:80]!r}; reset it to sync from scratch"
            ) from None

    def dump(self) -> str:
        data: dict[str, Any] = {"updated": self.updated.isoformat(), "ids": sorted(self.ids)}
        if self.census_at is not None:
            data["census_at"] = self.census_at.isoformat()
        return json.dumps(data)

    def advanced(self, updated: datetime, native_id: str) -> IssueCursor:
        if updated > self.updated:
            return replace(self, updated=updated, ids=frozenset({native_id}))
        if updated == self.updated:
            return replace(self, ids=self.ids | {native_id})
        return self


@dataclass
class _RunState:
    """What one run learns once and reuses: custom field ids and epic key → id."""

    field_ids: JiraFieldIds | None = None
    epic_ids: dict[str, str] = field(default_factory=dict)
    epics_listed: bool = False
    project_keys: dict[str, str | None] = field(default_factory=dict)


Built = tuple[list[Mapped], list[Rejected]]


def _split_objects(items: list[Any], listing: str) -> tuple[list[dict[str, Any]], list[Rejected]]:
    """The objects of a listing's page, and a reject for each entry of another kind (no record could come of it)."""
    objects = [raw for raw in items if isinstance(raw, dict)]
    foreign = [
        Rejected(None, f"jira {listing}: an entry must be an object, got {shape.kind_of(raw)}", {"value": raw})
        for raw in items
        if not isinstance(raw, dict)
    ]
    return objects, foreign


class _IncrementalRead:
    """The sorted, minute-precise, overlapping issue search both issue streams read, and its cursor."""

    def __init__(self, source: JiraSource, fields: Sequence[str], expand: str | None) -> None:
        self._source = source
        self._fields = fields
        self._expand = expand

    def pages(self, cursor: str | None, build: Callable[[list[dict[str, Any]]], Built]) -> Iterator[Page]:
        src = self._source
        start = IssueCursor.load(cursor)
        since = start.updated - timedelta(minutes=src.config.overlap_minutes) if start else None
        jql = issues_jql(src.config.projects, since, src.client.facts().time_zone)
        position = start
        size = src.config.page_size
        pages = src.client.search(jql, self._fields, page_size=size, expand=self._expand, reread=max(1, size // 10))
        delivered: set[tuple[str, str]] = set()  # (id, updated) read earlier in this run, re-read by an overlap
        for answer in pages:
            raw_issues, foreign = _split_objects(answer.get("issues") or [], "issue search")
            fresh = [raw for raw in raw_issues if not _seen(raw, start) and _version(raw) not in delivered]
            delivered.update(_version(raw) for raw in fresh)
            records, rejected = build(fresh)
            for raw in raw_issues:
                position = _advance_raw(position, raw)
            cursor_now = position.dump() if position else cursor
            yield Page(records=records, cursor=cursor_now, rejected=[*foreign, *rejected])


class IssuesStream:
    """Work items; the census lists every issue id of the configured projects, at most every interval."""

    name = ISSUES

    def __init__(self, source: JiraSource) -> None:
        self._source = source
        self._census_due = True

    def pages(self, cursor: str | None) -> Iterator[Page]:
        start = IssueCursor.load(cursor)
        now = self._source.clock()
        interval = timedelta(minutes=self._source.config.census_interval_minutes)
        last = start.census_at if start else None
        self._census_due = last is None or now - last >= interval
        fields = [*_BASE_FIELDS, *self._source.field_ids().custom()]
        for page in _IncrementalRead(self._source, fields, expand=None).pages(cursor, self._build):
            # a census that is due is stamped into every cursor the read saves
            if self._census_due and page.cursor is not None and (position := IssueCursor.load(page.cursor)):
                page = replace(page, cursor=replace(position, census_at=now).dump())
            yield page

    def _build(self, raw_issues: list[dict[str, Any]]) -> Built:
        ctx = self._source.context(raw_issues)
        records: list[Mapped] = []
        rejected: list[Rejected] = []
        for raw in raw_issues:
            try:
                records.append(Mapped(mapping.map_issue(raw, ctx, self._remote_urls(raw)), raw))
            except BadDataError as exc:
                rejected.append(Rejected(native_id=exc.native_id or str(raw.get("id")), reason=str(exc), raw=raw))
        return records, rejected

    def _remote_urls(self, raw: dict[str, Any]) -> list[str]:
        """Jira has no bulk read of remote links: with ``remote_links`` on, this costs one request per issue read."""
        if not self._source.config.remote_links or raw.get("id") is None:
            return []
        return mapping.remote_link_urls(self._source.client.remote_links(str(raw["id"])))

    def census(self) -> Iterator[str] | None:
        return self._census() if self._census_due else None

    def _census(self) -> Iterator[str]:
        src = self._source
        jql = f"project in ({', '.join(_jql_string(p) for p in src.config.projects)}) ORDER BY created ASC"
        site = src.config.site_name
        size = src.config.census_page_size
        for answer in src.client.search(jql, ["id"], page_size=size, reread=max(1, size // 10)):
            for raw in answer.get("issues") or ():
                yield ids.jira(site, "issue", str(raw["id"]))


class StatusChangesStream:
    """Status transitions from the issues' changelogs (``expand=changelog``; cut-short ones completed in bulk).

    A stream of its own so the issue census compares issues with issues; transitions are history and have no
    census.
    """

    name = STATUS_CHANGES

    def __init__(self, source: JiraSource) -> None:
        self._source = source

    def pages(self, cursor: str | None) -> Iterator[Page]:
        return _IncrementalRead(self._source, ["updated"], expand="changelog").pages(cursor, self._build)

    def _build(self, raw_issues: list[dict[str, Any]]) -> Built:
        site = self._source.config.site_name
        histories = self._histories(raw_issues)
        records: list[Mapped] = []
        rejected: list[Rejected] = []
        for raw in raw_issues:
            native = str(raw.get("id"))
            try:
                changes = mapping.map_histories(site, native, histories.get(native, []))
            except BadDataError as exc:
                rejected.append(Rejected(native_id=native, reason=str(exc), raw=raw))
                continue
            records.extend(Mapped(change, raw) for change in changes)
        return records, rejected

    def _histories(self, raw_issues: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Histories per issue id: from the page, completed in one bulk call where Jira cut them short."""
        result: dict[str, list[dict[str, Any]]] = {}
        truncated = []
        for raw in raw_issues:
            native = str(raw.get("id"))
            if mapping.changelog_truncated(raw):
                truncated.append(native)
            else:
                result[native] = mapping.search_histories(raw)
        if truncated:
            result.update(self._source.client.bulk_changelogs(truncated))
        return result

    def census(self) -> Iterator[str] | None:
        return None


def _version(raw: dict[str, Any]) -> tuple[str, str]:
    return str(raw.get("id")), str(mapping.issue_fields(raw).get("updated"))


def _seen(raw: dict[str, Any], cursor: IssueCursor | None) -> bool:
    """Already delivered at the cursor's boundary instant (same id, same ``updated``)."""
    if cursor is None or str(raw.get("id")) not in cursor.ids:
        return False
    try:
        updated = mapping.parse_datetime(mapping.issue_fields(raw).get("updated"), "updated")
    except BadDataError:
        return False
    return updated == cursor.updated


def _advance_raw(position: IssueCursor | None, raw: dict[str, Any]) -> IssueCursor | None:
    """Rejected issues move the cursor too, so one bad payload is not re-read forever."""
    try:
        updated = mapping.parse_datetime(mapping.issue_fields(raw).get("updated"), "updated").astimezone(UTC)
    except BadDataError:
        return position
    native = str(raw.get("id"))
    return position.advanced(updated, native) if position else IssueCursor(updated, frozenset({native}))


Listing = Callable[[], Iterator[tuple[str, list[dict[str, Any]]]]]
ListingMapper = Callable[[dict[str, Any], str, datetime], AnyRecord]


class WholeListingStream:
    """A small listing (versions, sprints) read whole every run; ``(project, raw values)`` per answer page.

    These records carry no change time, so ``updated`` is when they were read. The census is the ids the last
    complete read saw, so a run lists them once, not twice.
    """

    def __init__(self, name: str, entity: str, site: str, listing: Listing, mapper: ListingMapper) -> None:
        self.name = name
        self._entity = entity
        self._site = site
        self._listing = listing
        self._mapper = mapper
        self._seen: list[str] | None = None

    def pages(self, cursor: str | None) -> Iterator[Page]:
        seen: list[str] = []
        for project, listed in self._listing():
            observed = datetime.now(UTC)
            values, rejected = _split_objects(listed, f"{self._entity} listing")
            records: list[Mapped] = []
            for raw in values:
                native = str(raw.get("id"))
                seen.append(ids.jira(self._site, self._entity, native))
                try:
                    records.append(Mapped(self._mapper(raw, project, observed), raw))
                except BadDataError as exc:
                    rejected.append(Rejected(exc.native_id or native, str(exc), raw))
            yield Page(records=records, cursor=None, rejected=rejected)
        self._seen = seen

    def census(self) -> Iterator[str] | None:
        if self._seen is None:
            self._seen = [
                ids.jira(self._site, self._entity, str(raw["id"])) for _, values in self._listing() for raw in values
            ]
        return iter(self._seen)


class JiraSource:
    """One configured Jira site. ``token`` is the API token (Cloud, with ``config.email``) or a PAT."""

    def __init__(
        self,
        name: str,
        config: JiraSourceConfig,
        rules: StatusRules,
        token: str | SecretStr,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.name = name
        self.config = config
        self.rules = rules
        self.clock = clock
        self.policy = policy or RetryPolicy(tool="jira", credential=config.token_env)
        secret = token.get_secret_value() if isinstance(token, SecretStr) else token
        if not secret:
            raise ConfigError(f"jira source {name}: the token in {config.token_env} is empty")
        self.client = JiraClient(config, secret, self.policy)
        self._run = _RunState()

    @property
    def stats(self) -> RequestStats:
        return self.policy.stats

    def streams(self) -> list[Stream]:
        site = self.config.site_name
        return [
            IssuesStream(self),
            StatusChangesStream(self),
            WholeListingStream(
                VERSIONS,
                "version",
                site,
                self._versions,
                lambda raw, project, at: map_version(raw, site, project, at),
            ),
            WholeListingStream(SPRINTS, "sprint", site, self._sprints, lambda raw, _, at: map_sprint(raw, site, at)),
        ]

    def _versions(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for project in self.config.projects:
            for values in self.client.versions(project):
                yield project, values

    def _sprints(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Sprints of every scrum board of the projects; a sprint shown on two boards comes once."""
        seen: set[str] = set()
        for project in self.config.projects:
            for board in self.client.boards(project):
                # kanban boards have no sprints; asking answers 400
                if board.get("type") == "kanban":
                    continue
                for values in self.client.sprints(board["id"]):
                    fresh = [v for v in values if str(v.get("id")) not in seen]
                    seen.update(str(v.get("id")) for v in fresh)
                    yield project, fresh

    # ------------------------------------------------------------------------------------------ run knowledge

    def field_ids(self) -> JiraFieldIds:
        """Custom field ids: config overrides, the rest discovered by name from ``/field`` once per source."""
        if self._run.field_ids is None:
            self._run.field_ids = mapping.discover_fields(self.client.fields(), self.config.fields)
        return self._run.field_ids

    def context(self, raw_issues: Sequence[dict[str, Any]]) -> mapping.MappingContext:
        """Mapping context for a page: epic keys its Epic Link fields name are resolved to ids first."""
        field_ids = self.field_ids()
        for raw in raw_issues:
            if mapping.work_item_type(mapping.issue_fields(raw).get("issuetype")) is WorkItemType.EPIC:
                self._run.epic_ids[str(raw.get("key"))] = str(raw.get("id"))
        wanted = mapping.epic_link_keys(raw_issues, field_ids) - self._run.epic_ids.keys()
        if wanted and not self._run.epics_listed:
            self._list_epics()
        return mapping.MappingContext(
            site=self.config.site_name,
            rules=self.rules,
            fields=field_ids,
            base_url=self.config.url,
            epic_ids=dict(self._run.epic_ids),
        )

    def _list_epics(self) -> None:
        """Every epic of the configured projects, id and key only: one or two requests per run."""
        projects = ", ".join(_jql_string(p) for p in self.config.projects)
        jql = f"project in ({projects}) AND issuetype = Epic ORDER BY created ASC"
        for answer in self.client.search(jql, ["key"], page_size=self.config.census_page_size):
            for raw in answer.get("issues") or ():
                self._run.epic_ids[str(raw["key"])] = str(raw["id"])
        self._run.epics_listed = True

    # ------------------------------------------------------------------- reads a webhook delivery may need

    def fetch_issue(self, issue_id: str) -> dict[str, Any] | None:
        """The whole issue by id (one search, ``id = N``), or ``None`` when the site no longer shows it."""
        for page in self.client.search(f"id = {int(issue_id)}", ["*navigable"], page_size=1):
            for raw in page.get("issues") or ():
                return dict(raw)
        return None

    def version_project(self, version: Mapping[str, Any]) -> str | None:
        """The key of a version's project: the only configured one, else its ``projectId`` read once."""
        if len(self.config.projects) == 1:
            return self.config.projects[0]
        project_id = str(version.get("projectId") or "")
        if not project_id.isdigit():
            return None
        if project_id not in self._run.project_keys:
            self._run.project_keys[project_id] = self.client.project_key(project_id)
        return self._run.project_keys[project_id]

    def account(self) -> JiraAccount | None:
        return self.client.facts().account

    # -------------------------------------------------------------------------------------------- write-back

    def transition(self, key: str, to_status_name: str) -> str:
        return self.client.transition(key, to_status_name)

    def add_comment(self, key: str, text: str) -> str:
        return self.client.add_comment(key, text)

    def release_version(self, version_id: str) -> None:
        self.client.release_version(version_id)
