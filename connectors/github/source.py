"""The GitHub source: five streams over the configured repositories, their cursors and their census.

Streams and what a run costs when nothing changed (every read is conditional, and a 304 is free of rate limit):

``issues``         ``GET /issues?state=all&sort=updated&direction=asc&since=<cursor>`` (``since`` is inclusive:
                   the re-read boundary items are absorbed by the idempotent upsert); pull requests in the listing
                   are skipped (the ``pull_requests`` stream owns them). A sorted read: every page carries a cursor.
                   While everything since the cursor fits one page, the cursor stays put and keeps that page's
                   ETag: a change costs that one request, and a poll that finds nothing new a 304.
``pull_requests``  ``GET /pulls?state=all&sort=updated&direction=desc`` until an item older than the cursor; the
                   cursor is only safe once the read reached it, so only the last page of a repo carries one.
``milestones``     ``GET /milestones?state=all``, whole listing.
``releases``       ``GET /releases``, whole listing.
``checks``         check runs (``/commits/{ref}/check-runs``) and the combined status (``/commits/{ref}/status``)
                   of the release refs: the default branch head, every release tag, the target branch of draft
                   releases, and the configured extras.

Cursor (JSON, one object per stream)::

    {"v": 1, "repos": {"<owner/repo>": <repo state>}, "census_at": "<ISO instant>"}

    issues         {"since": "<max updated_at seen>"}  after a read of several pages, else
                   {"since": "<the since asked>" | absent, "etag": "<ETag of that one page>"}
    pull_requests  {"since": "<max updated_at seen>", "etag": "<ETag of the first page>"}
    milestones,    {"etag": "<ETag of the listing>" | absent, "ids": [<record ids in it>]}
    releases
    checks         {"refs": {"names": [<release refs read>], "default_branch": ..., "repo_etag": ...,
                             "release_refs": [...], "releases_etag": ...},
                    "urls": {"<check-runs or status path>": {"etag": "...", "ids": [<check ids>]}}}

An ETag is kept only where a 304 proves nothing changed: the single-page answer of the exact request the next run
makes (issues, milestones, releases, each check URL) or the first page of an updated-descending listing (pulls).

Census: ``issues`` and ``pull_requests`` list every number (``state=all``) per repo — on a full run from the pages
just read, otherwise at most every ``census_interval_minutes``; the other streams answer from their own read (the
ids are kept in the cursor, so a 304 still knows them).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.base import Clock, Mapped, Page, Rejected, RequestStats, Stream, utc_now
from connectors.github.client import CloseReason, GitHubClient, repo_path
from connectors.github.config import GitHubSourceConfig
from connectors.github.mapping import (
    IsPullRequestError,
    Raw,
    map_check_run,
    map_combined_status,
    map_issue,
    map_milestone,
    map_pull_request,
    map_release,
)
from connectors.http import RetryPolicy
from schema import AnyRecord, BadDataError, RefusedError, ids

CURSOR_VERSION = 1
# the streams' names: the store keeps records and cursors under them, and webhook deliveries upsert into them
ISSUES = "issues"
PULL_REQUESTS = "pull_requests"
MILESTONES = "milestones"
RELEASES = "releases"
CHECKS = "checks"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _updated_at(raw: Raw) -> datetime | None:
    """The item's ``updated_at``, or ``None`` when it is unreadable (mapping then rejects the item)."""
    try:
        return _instant(raw["updated_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _latest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None or candidate is None:
        return current or candidate
    return max(current, candidate)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Cursor:
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    census_at: str | None = None

    @classmethod
    def decode(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        data = json.loads(text)
        if data.get("v") != CURSOR_VERSION:
            return cls()
        return cls(repos=data.get("repos", {}), census_at=data.get("census_at"))

    def encode(self) -> str:
        body: dict[str, Any] = {"v": CURSOR_VERSION, "repos": self.repos}
        if self.census_at is not None:
            body["census_at"] = self.census_at
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _map_all(
    items: list[Raw], mapper: Callable[[Raw], AnyRecord | Sequence[AnyRecord]]
) -> tuple[list[Mapped], list[Rejected]]:
    """Map a page; items that do not fit are rejected, pull requests in the issues listing skipped.

    One record per id: two check runs of the same name on a ref (e.g. from two apps) share an id, and a page must
    not upsert one id twice, so the latest of them is kept.
    """
    records: dict[str, Mapped] = {}
    rejected: list[Rejected] = []
    for raw in items:
        try:
            result = mapper(raw)
        except IsPullRequestError:
            continue
        except BadDataError as exc:
            rejected.append(Rejected(exc.native_id, str(exc), raw if isinstance(raw, dict) else {"value": raw}))
            continue
        for record in result if isinstance(result, Sequence) else [result]:
            kept = records.get(record.id)
            if kept is None or record.updated >= kept.record.updated:
                records[record.id] = Mapped(record, raw)
    return list(records.values()), rejected


def _census_ids(repo: str, entity: str, items: list[Raw]) -> Iterator[str]:
    """Ids of the listed items that still exist, including those whose payload is otherwise unreadable.

    In the issues listing, an item with a ``pull_request`` key is a pull request: not an issue of the census.
    """
    for raw in items:
        number = raw.get("number") if isinstance(raw, dict) else None
        if isinstance(number, int) and (entity != "issue" or "pull_request" not in raw):
            yield ids.github(repo, entity, number)


class _Census:
    """The census of one entity (``issue`` or ``pr``) over the repos: free after a full read, else a listing of
    every number (``state=all``, by creation, which no update reorders) at most every ``interval``."""

    def __init__(
        self, client: GitHubClient, repos: tuple[str, ...], entity: str, interval: timedelta, clock: Clock
    ) -> None:
        self._client = client
        self._repos = repos
        self._entity = entity
        self._interval = interval
        self._clock = clock
        self._due = True
        self._collected: set[str] | None = None

    def plan(self, cursor: _Cursor, full: bool) -> None:
        """Decide at the start of a read; a census that is due is stamped into the cursor the read saves."""
        last = cursor.census_at
        self._due = full or last is None or self._clock() - _instant(last) >= self._interval
        self._collected = set() if full else None
        if self._due:
            cursor.census_at = _iso(self._clock())

    def collect(self, repo: str, items: list[Raw]) -> None:
        if self._collected is not None:
            self._collected.update(_census_ids(repo, self._entity, items))

    def ids(self) -> Iterator[str] | None:
        if self._collected is not None:
            return iter(self._collected)
        return self._listing() if self._due else None

    def _listing(self) -> Iterator[str]:
        path = "issues" if self._entity == "issue" else "pulls"
        params: dict[str, str | int] = {"state": "all", "sort": "created", "direction": "asc"}
        for repo in self._repos:
            describe = f"repo {repo} {path} census"
            for answer in self._client.pages(f"{repo_path(repo)}/{path}", params, describe=describe):
                yield from _census_ids(repo, self._entity, answer.data)


class _NumberedStream(ABC):
    """Issues and pull requests: read per repo from one cursor, deletions found by the shared number census."""

    name: str

    def __init__(self, client: GitHubClient, repos: tuple[str, ...], census: _Census) -> None:
        self._client = client
        self._repos = repos
        self._census = census

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = _Cursor.decode(cursor)
        self._census.plan(state, full=cursor is None)
        for repo in self._repos:
            yield from self._repo_pages(repo, state)

    @abstractmethod
    def _repo_pages(self, repo: str, state: _Cursor) -> Iterator[Page]: ...

    def census(self) -> Iterator[str] | None:
        return self._census.ids()


class IssuesStream(_NumberedStream):
    name = ISSUES

    def _repo_pages(self, repo: str, state: _Cursor) -> Iterator[Page]:
        prior = state.repos.get(repo, {})
        since: str | None = prior.get("since")
        params: dict[str, str | int] = {"state": "all", "sort": "updated", "direction": "asc"}
        if since is not None:
            params["since"] = since
        newest = _instant(since) if since else None
        describe = f"repo {repo} issues"
        listing = self._client.pages(f"{repo_path(repo)}/issues", params, etag=prior.get("etag"), describe=describe)
        for index, answer in enumerate(listing):
            if answer.not_modified:
                yield Page([], state.encode())
                return
            items: list[Raw] = answer.data
            for raw in items:
                newest = _latest(newest, _updated_at(raw))
            self._census.collect(repo, items)
            records, rejected = _map_all(items, lambda raw: map_issue(repo, raw))
            if index == 0 and answer.next_url is None and answer.etag:
                # the window since `since` fits one page: keep asking exactly this, so the next poll that finds
                # nothing new is a 304 (a change re-reads the window in that same one request)
                window: dict[str, Any] = {"etag": answer.etag}
                if since is not None:
                    window["since"] = since
                state.repos[repo] = window
            else:
                state.repos[repo] = {"since": _iso(newest)} if newest else {}
            yield Page(records, state.encode(), rejected)


class PullRequestsStream(_NumberedStream):
    name = PULL_REQUESTS

    def _repo_pages(self, repo: str, state: _Cursor) -> Iterator[Page]:
        prior = state.repos.get(repo, {})
        since = _instant(prior["since"]) if "since" in prior else None
        params: dict[str, str | int] = {"state": "all", "sort": "updated", "direction": "desc"}
        newest = since
        first_etag: str | None = None
        describe = f"repo {repo} pull requests"
        for answer in self._client.pages(f"{repo_path(repo)}/pulls", params, etag=prior.get("etag"), describe=describe):
            if answer.not_modified:
                yield Page([], state.encode())
                return
            items: list[Raw] = answer.data
            first_etag = first_etag or answer.etag
            # an item whose updated_at is unreadable counts as fresh, so mapping rejects it visibly
            fresh = [raw for raw in items if since is None or (_updated_at(raw) or since) >= since]
            for raw in fresh:
                newest = _latest(newest, _updated_at(raw))
            self._census.collect(repo, fresh)
            records, rejected = _map_all(fresh, lambda raw: map_pull_request(repo, raw))
            if len(fresh) == len(items) and answer.next_url is not None:
                yield Page(records, None, rejected)  # not yet down to the cursor: no safe point
                continue
            repo_state: dict[str, Any] = {"etag": first_etag} if first_etag else {}
            if newest is not None:
                repo_state["since"] = _iso(newest)
            state.repos[repo] = repo_state
            yield Page(records, state.encode(), rejected)
            return


@dataclass(frozen=True)
class _Resource:
    """A small conditional GET whose whole answer is re-read when it changes."""

    path: str
    params: dict[str, str | int]
    items: Callable[[Any], list[Raw]]
    mapper: Callable[[Raw], AnyRecord | Sequence[AnyRecord]]
    describe: str


def _read_resource(
    client: GitHubClient, resource: _Resource, prior: dict[str, Any]
) -> tuple[Page | None, dict[str, Any]]:
    """(records of the resource or ``None`` if unchanged, its new state ``{"pages", "ids"}``)."""
    answers, pages = client.listing(resource.path, resource.params, prior.get("pages", []), describe=resource.describe)
    if answers is None:
        return None, prior
    items = [raw for answer in answers for raw in resource.items(answer.data)]
    records, rejected = _map_all(items, resource.mapper)
    return Page(records, None, rejected), {"ids": sorted({m.record.id for m in records}), "pages": pages}


def _as_list(data: Any) -> list[Raw]:
    result: list[Raw] = data
    return result


class ConditionalListingStream:
    """``milestones`` and ``releases``: one small listing per repo, re-read whole when its ETag changes."""

    def __init__(self, name: str, client: GitHubClient, repos: tuple[str, ...], resource: Callable[[str], _Resource]):
        self.name = name
        self._client = client
        self._repos = repos
        self._resource = resource
        self._present: set[str] | None = None

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = _Cursor.decode(cursor)
        present: set[str] = set()
        for repo in self._repos:
            page, repo_state = _read_resource(self._client, self._resource(repo), state.repos.get(repo, {}))
            state.repos[repo] = repo_state
            present.update(repo_state.get("ids", ()))
            yield Page(page.records if page else [], state.encode(), page.rejected if page else [])
        self._present = present

    def census(self) -> Iterator[str] | None:
        if self._present is None:
            return None
        return iter(self._present)


def _milestones(repo: str) -> _Resource:
    return _Resource(
        f"{repo_path(repo)}/milestones",
        {"state": "all", "sort": "due_on", "direction": "asc"},
        _as_list,
        lambda raw: map_milestone(repo, raw),
        f"repo {repo} milestones",
    )


def _releases(repo: str) -> _Resource:
    return _Resource(
        f"{repo_path(repo)}/releases", {}, _as_list, lambda raw: map_release(repo, raw), f"repo {repo} releases"
    )


class ChecksStream:
    name = CHECKS

    def __init__(self, client: GitHubClient, config: GitHubSourceConfig) -> None:
        self._client = client
        self._config = config
        self._present: set[str] | None = None

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = _Cursor.decode(cursor)
        present: set[str] = set()
        for repo in self._config.repos:
            prior = state.repos.get(repo, {})
            refs_state = self._refs(repo, prior.get("refs", {}))
            prior_urls: dict[str, dict[str, Any]] = prior.get("urls", {})
            urls: dict[str, dict[str, Any]] = {}
            read: dict[str, list[str]] = {}
            for ref in refs_state["names"]:
                ref_ids: set[str] = set()
                for resource in self._resources(repo, ref):
                    page, urls[resource.path] = self._read_ref(resource, prior_urls.get(resource.path, {}))
                    ref_ids.update(urls[resource.path].get("ids", ()))
                    if page is not None:
                        yield page
                read[ref] = sorted(ref_ids)
            # checks of an older release's tag that is no longer read are kept as last read; a ref whose release
            # is gone leaves the cursor, and so the census
            known = set(refs_state["known"])
            earlier: dict[str, list[str]] = {**prior.get("kept", {}), **prior.get("read", {})}
            kept = {ref: found for ref, found in earlier.items() if ref in known and ref not in read}
            for found in [*read.values(), *kept.values()]:
                present.update(found)
            state.repos[repo] = {"refs": refs_state, "urls": urls, "read": read, "kept": kept}
            yield Page([], state.encode())
        self._present = present

    def census(self) -> Iterator[str] | None:
        if self._present is None:
            return None
        return iter(self._present)

    def _read_ref(self, resource: _Resource, prior: dict[str, Any]) -> tuple[Page | None, dict[str, Any]]:
        try:
            return _read_resource(self._client, resource, prior)
        except RefusedError as exc:
            # why: a draft release's tag does not exist until it is published, and a configured branch may be
            # gone; GitHub answers 422 "No commit found for SHA" (https://docs.github.com/en/rest/checks/runs)
            if exc.status not in (404, 422):
                raise
            return None, {}

    def _refs(self, repo: str, prior: dict[str, Any]) -> dict[str, Any]:
        """The release refs, from the repository (default branch) and its releases, both read conditionally."""
        wanted = self._config.release_refs
        state: dict[str, Any] = {}
        names: list[str] = []
        if wanted.default_branch:
            answer = self._client.request("GET", repo_path(repo), etag=prior.get("repo_etag"), describe=f"repo {repo}")
            branch = prior["default_branch"] if answer.not_modified else answer.data["default_branch"]
            state.update(repo_etag=answer.etag or prior.get("repo_etag"), default_branch=branch)
            names.append(branch)
        state["known"] = []
        if wanted.releases:
            # a cursor written before "known" existed re-reads the listing once
            known_pages = prior.get("releases_pages", []) if "known" in prior else []
            describe = f"repo {repo} releases"
            answers, pages = self._client.listing(f"{repo_path(repo)}/releases", {}, known_pages, describe=describe)
            if answers is None:
                release_refs, known = list(prior["release_refs"]), list(prior["known"])
            else:
                listed = [raw for answer in answers for raw in answer.data]
                release_refs = _watched_refs(listed, wanted.published)
                known = [ref for raw in listed for ref in _release_refs(raw)]
            state.update(release_refs=release_refs, known=known, releases_pages=pages)
            names.extend(release_refs)
        names.extend(wanted.extra)
        state["names"] = list(dict.fromkeys(names))
        return state

    def _resources(self, repo: str, ref: str) -> list[_Resource]:
        base = f"{repo_path(repo)}/commits/{quote(ref, safe='')}"
        return [
            _Resource(
                f"{base}/check-runs",
                {},
                lambda data: list(data["check_runs"]),
                lambda raw: map_check_run(repo, ref, raw),
                f"repo {repo} check runs of {ref}",
            ),
            _Resource(
                f"{base}/status",
                {},
                lambda data: [data],
                lambda raw: map_combined_status(repo, ref, raw),
                f"repo {repo} commit statuses of {ref}",
            ),
        ]


def _watched_refs(releases: list[Raw], published: int) -> list[str]:
    """Refs of every draft and pre-release, and the tags of the ``published`` newest published releases."""
    upcoming = [raw for raw in releases if raw.get("draft") or raw.get("prerelease")]
    shipped = sorted(
        (raw for raw in releases if not (raw.get("draft") or raw.get("prerelease")) and raw.get("published_at")),
        key=lambda raw: _instant(raw["published_at"]),
        reverse=True,
    )
    return [ref for raw in [*upcoming, *shipped[:published]] for ref in _release_refs(raw)]


def _release_refs(raw: Raw) -> list[str]:
    """A release's tag; a draft's tag may not exist yet, so its target branch (the candidate) is read too."""
    refs = [raw["tag_name"]]
    target = raw.get("target_commitish")
    if raw.get("draft") and target and not _is_sha(target):
        refs.append(target)
    return refs


def _is_sha(value: str) -> bool:
    return len(value) == 40 and all(c in "0123456789abcdef" for c in value)


class GitHubSource:
    """One ``[sources.<name>]`` of kind ``github``; no I/O until a stream is read."""

    def __init__(
        self,
        name: str,
        config: GitHubSourceConfig,
        token: str,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.name = name
        self.config = config
        self.policy = policy or RetryPolicy(
            tool="github", credential=config.token_env, max_wait=config.max_rate_limit_wait_seconds
        )
        self.stats: RequestStats = self.policy.stats
        self.client = GitHubClient(config, token, self.policy)
        self._clock = clock

    def streams(self) -> list[Stream]:
        interval = timedelta(minutes=self.config.census_interval_minutes)
        repos = self.config.repos
        return [
            IssuesStream(self.client, repos, _Census(self.client, repos, "issue", interval, self._clock)),
            PullRequestsStream(self.client, repos, _Census(self.client, repos, "pr", interval, self._clock)),
            ConditionalListingStream(MILESTONES, self.client, repos, _milestones),
            ConditionalListingStream(RELEASES, self.client, repos, _releases),
            ChecksStream(self.client, self.config),
        ]

    def add_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        return self.client.add_comment(repo, number, body)

    def close_issue(self, repo: str, number: int, reason: CloseReason = "completed") -> dict[str, Any]:
        return self.client.close_issue(repo, number, reason)
