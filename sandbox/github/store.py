"""The GitHub sandbox's view of the world: sorted indexes, keyset pages, change operations and a render cache.

Every read the REST routes make goes through :class:`GitHubStore`, and so must every change (the admin API), so
the indexes stay true: issues and pull requests share one number space per repository and are indexed once per
``(kind, sort, state)`` as ascending ``(sort value, number)`` lists, updated in place (``bisect``) on change. A
page is then a slice found by binary search, never a scan; filters the indexes do not cover (labels, milestone,
``since`` under a sort other than ``updated``) are applied once per repository version and kept.

Pagination (``Link: rel="next"``) is keyset: the next link carries ``after=<cursor>``, the sort key of the last item
served, and the next page starts strictly after it. GitHub itself pages ``/issues`` by offset (``page=N``) and
promises nothing when items change between pages: an item updated while a client pages with ``sort=updated``
moves, and every later item shifts by one, so an offset client silently skips one. With the keyset cursor and
``sort=updated&direction=asc`` (the order an incremental reader uses) nothing is skipped: an item not yet served
that changes moves ahead and is served once, later, in its new state; an item already served that changes is
served again at its new place (a newer version, which an idempotent upsert absorbs). ``sort=created`` is immutable
and therefore exact in both directions. ``direction=desc`` by a mutable key can miss an item that moves behind the
cursor, as it would on GitHub; incremental readers should not use it. ``page=N`` still works (offset, as GitHub)
and ``rel="last"`` carries it, which PyGithub's ``totalCount`` reads.

Bodies are cached per item as bytes whose API base is :data:`PLACEHOLDER`, keyed by what they show (``updated``,
state, comments, milestone counts); a pull request's head and base repository are a slot filled at serve time, so a
change elsewhere in the repository does not invalidate them. :meth:`GitHubStore.localize` fills both in. Changes run
on the server's event loop (the admin routes are ``async``); :meth:`GitHubStore.warm` may run beside it, as it only
fills that cache.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

import orjson

from sandbox.github import render
from sandbox.github.render import Item, Json, Links
from sandbox.world import CheckRun, GitHubIssue, GitHubRelease, Milestone, PullRequest, Repo, World

PLACEHOLDER = "http://api.sandbox.invalid"  # the API base cached bodies carry; replaced per request
_REPO_SLOT = b'"@sandbox-repository@"'  # where cached pull request bodies embed their repository
Kind = Literal["all", "pr"]
Sort = Literal["created", "updated", "comments"]
_SORTS: tuple[Sort, ...] = ("created", "updated", "comments")
Key = tuple[int, int]  # (sort value, number)


class Keep(Enum):
    """An edit's "leave this field as it is" (None clears a field)."""

    KEEP = "keep"


KEEP = Keep.KEEP


class InvalidCursorError(ValueError):
    """An ``after`` cursor that this listing did not issue."""


@dataclass(frozen=True)
class Query:
    kind: Kind = "all"
    state: str = "open"  # open | closed | all
    sort: Sort = "created"
    direction: str = "desc"
    since: datetime | None = None
    labels: tuple[str, ...] = ()
    milestone: str | None = None  # a number, "*" or "none"
    head: str | None = None  # pulls: "owner:ref"
    base: str | None = None  # pulls: base ref
    per_page: int = 30
    page: int = 1
    after: str | None = None


@dataclass(frozen=True)
class Page:
    numbers: list[int]
    total: int  # matching items, for rel="last"
    next_cursor: str | None


@dataclass(frozen=True)
class _Snap:
    is_pr: bool
    state: str
    values: tuple[int, int, int]  # created, updated, comments


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _snap(item: Item) -> _Snap:
    return _Snap(isinstance(item, PullRequest), item.state, (_ts(item.created), _ts(item.updated), len(item.comments)))


def encode_cursor(sort: str, key: Key) -> str:
    return base64.urlsafe_b64encode(f"cursor:v1:{sort}:{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> Key:
    try:
        tag, version, cursor_sort, value, number = (
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        )
        if (tag, version, cursor_sort) != ("cursor", "v1", sort):
            raise InvalidCursorError(cursor)
        return int(value), int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursorError(cursor) from exc


@dataclass
class RepoState:
    """Indexes and caches of one repository."""

    repo: Repo
    version: int = 0
    index: dict[tuple[Kind, Sort, str], list[Key]] = field(default_factory=dict)
    snaps: dict[int, _Snap] = field(default_factory=dict)
    gone: dict[int, str] = field(default_factory=dict)  # number -> "deleted" | "owner/repo#n" (transferred)
    milestone_counts: dict[int, list[int]] = field(default_factory=dict)  # number -> [open, closed]
    open_count: int = 0
    pushed: datetime | None = None  # the latest pull request activity: the repository's pushed_at/updated_at
    repo_cache: dict[tuple[Links, bool], tuple[int, Json, bytes]] = field(default_factory=dict)
    filtered: dict[Query, list[Key]] = field(default_factory=dict)
    filtered_version: int = -1
    rendered: dict[tuple[str, int], tuple[object, bytes]] = field(default_factory=dict)

    def item(self, number: int) -> Item | None:
        return self.repo.issues.get(number) or self.repo.pulls.get(number)

    def items(self) -> Iterable[Item]:
        yield from self.repo.issues.values()
        yield from self.repo.pulls.values()

    def _keys(self, number: int, snap: _Snap) -> Iterable[tuple[tuple[Kind, Sort, str], Key]]:
        kinds: tuple[Kind, ...] = ("all", "pr") if snap.is_pr else ("all",)
        for kind in kinds:
            for sort, value in zip(_SORTS, snap.values, strict=True):
                for state in ("all", snap.state):
                    yield (kind, sort, state), (value, number)

    def rebuild(self) -> None:
        """Index every item at once (one sort per list rather than one insertion per item)."""
        self.index, self.snaps, self.milestone_counts, self.open_count = {}, {}, {}, 0
        for item in self.items():
            snap = self.snaps[item.number] = _snap(item)
            for slot, key in self._keys(item.number, snap):
                self.index.setdefault(slot, []).append(key)
            self._count(item, snap, 1)
        for keys in self.index.values():
            keys.sort()
        self.version += 1

    def _count(self, item: Item, snap: _Snap, sign: int) -> None:
        self.open_count += sign * (snap.state == "open")
        if snap.is_pr and (self.pushed is None or item.updated > self.pushed):
            self.pushed = item.updated
        if item.milestone:
            self.milestone_counts.setdefault(item.milestone, [0, 0])[snap.state != "open"] += sign

    def add(self, item: Item) -> None:
        snap = self.snaps[item.number] = _snap(item)
        for slot, key in self._keys(item.number, snap):
            insort(self.index.setdefault(slot, []), key)
        self._count(item, snap, 1)
        self.version += 1

    def remove(self, item: Item) -> None:
        snap = self.snaps.pop(item.number)
        for slot, key in self._keys(item.number, snap):
            keys = self.index[slot]
            del keys[bisect_left(keys, key)]
        self._count(item, snap, -1)
        self.version += 1

    def page(self, query: Query) -> Page:
        keys, lo = self._matching(query)
        asc = query.direction == "asc"
        size = query.per_page
        if query.after:
            cursor = decode_cursor(query.sort, query.after)
            if asc:
                start = max(lo, bisect_right(keys, cursor))
                end = min(len(keys), start + size)
            else:
                end = bisect_left(keys, cursor, lo)
                start = max(lo, end - size)
        elif asc:
            start = min(len(keys), lo + (query.page - 1) * size)
            end = min(len(keys), start + size)
        else:
            end = max(lo, len(keys) - (query.page - 1) * size)
            start = max(lo, end - size)
        chosen = keys[start:end] if asc else keys[start:end][::-1]
        more = end < len(keys) if asc else start > lo
        cursor_out = encode_cursor(query.sort, chosen[-1]) if chosen and more else None
        return Page([number for _, number in chosen], len(keys) - lo, cursor_out)

    def _matching(self, query: Query) -> tuple[list[Key], int]:
        """The ascending keys that match, and the first index to consider (``since`` by binary search)."""
        sort: Sort = query.sort
        base = self.index.get((query.kind, sort, query.state), [])
        by_since = sort == "updated" and query.since is not None
        needs_filter = query.labels or query.milestone or query.head or query.base or (query.since and not by_since)
        if needs_filter:
            key = Query(
                query.kind,
                query.state,
                sort,
                since=query.since,
                labels=query.labels,
                milestone=query.milestone,
                head=query.head,
                base=query.base,
            )
            if self.filtered_version != self.version:
                self.filtered, self.filtered_version = {}, self.version
            if key not in self.filtered:
                self.filtered[key] = [k for k in base if self._matches(k[1], query)]
            return self.filtered[key], 0
        if by_since and query.since is not None:
            return base, bisect_left(base, (_ts(query.since), -1))
        return base, 0

    def _matches(self, number: int, query: Query) -> bool:
        item = self.item(number)
        if item is None:
            return False
        if query.since is not None and item.updated < query.since:
            return False
        if query.labels and not set(query.labels) <= set(item.labels):
            return False
        if query.milestone == "none" and item.milestone is not None:
            return False
        if query.milestone == "*" and item.milestone is None:
            return False
        if query.milestone not in (None, "*", "none") and str(item.milestone) != query.milestone:
            return False
        if isinstance(item, PullRequest):
            if query.head and query.head != f"{self.repo.owner}:{item.head_ref}":
                return False
            if query.base and query.base != item.base_ref:
                return False
        return True


class GitHubStore:
    """All GitHub repositories of a :class:`World`, indexed; the only way the sandbox reads or changes them."""

    def __init__(
        self, world: World, clock: Callable[[], datetime] | None = None, html_url: str = "https://github.com"
    ) -> None:
        self.world = world
        self.canonical = Links(PLACEHOLDER, html_url.rstrip("/"))
        self._clock = clock or (lambda: datetime.now(UTC))
        self.repos: dict[str, RepoState] = {}
        for full_name, repo in world.repos.items():
            state = RepoState(repo)
            state.rebuild()
            self.repos[full_name.lower()] = state

    def repo(self, owner: str, name: str) -> RepoState | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def now(self) -> datetime:
        """Second precision, like GitHub; never before the world's own ``now``."""
        return max(self._clock(), self.world.now).replace(microsecond=0)

    # -------------------------------------------------------------------------------------------- rendering

    def repo_json(self, links: Links, state: RepoState, *, full: bool = False) -> Json:
        """The repository object (shared by every pull request body until the repository changes)."""
        return self._repo(links, state, full)[1]

    def _repo(self, links: Links, state: RepoState, full: bool) -> tuple[int, Json, bytes]:
        cached = state.repo_cache.get((links, full))
        if cached is None or cached[0] != state.version:
            body = render.repository(links, state.repo, state.open_count, state.pushed or state.repo.created, full=full)
            cached = state.repo_cache[(links, full)] = (state.version, body, render.dumps(body))
        return cached

    def milestone_json(self, links: Links, state: RepoState, number: int | None) -> Json | None:
        ms = state.repo.milestones.get(number) if number else None
        if ms is None:
            return None
        open_items, closed_items = state.milestone_counts.get(ms.number, [0, 0])
        return render.milestone(links, self.world, state.repo, ms, open_items, closed_items)

    def rendered(self, state: RepoState, view: str, item: Item) -> bytes:
        """An item's JSON bytes (``view``: issue | pull | pull_detail) as cached, until the item or its milestone
        changes; :meth:`localize` makes them servable."""
        context = tuple(state.milestone_counts.get(item.milestone, ())) if item.milestone else ()
        stamp = (item.updated, item.state, len(item.comments), context)
        cached = state.rendered.get((view, item.number))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data = render.dumps(self.item_json(self.canonical, state, view, item, fragment=True))
        state.rendered[(view, item.number)] = (stamp, data)
        return data

    def localize(self, state: RepoState, view: str, data: bytes, links: Links) -> bytes:
        """Cached bytes → the body to serve: the repository slot filled, the request's API base in."""
        if view != "issue":
            data = data.replace(_REPO_SLOT, self._repo(self.canonical, state, False)[2])
        return data.replace(PLACEHOLDER.encode(), links.api.encode())

    def warm(self) -> None:
        """Render every issue and pull request body ahead of the first request (safe beside the server: it only
        fills caches)."""
        for state in list(self.repos.values()):
            items: list[Item] = [*state.repo.issues.values(), *state.repo.pulls.values()]
            for item in items:
                self.rendered(state, "issue", item)
            for pr in list(state.repo.pulls.values()):
                self.rendered(state, "pull", pr)

    def item_json(self, links: Links, state: RepoState, view: str, item: Item, *, fragment: bool = False) -> Json:
        ms_json = self.milestone_json(links, state, item.milestone)
        if view == "issue" or not isinstance(item, PullRequest):
            return render.issue(links, self.world, state.repo, item, ms_json)
        embedded = orjson.Fragment(_REPO_SLOT) if fragment else self.repo_json(links, state)
        return render.pull(links, self.world, state.repo, item, embedded, ms_json, detail=view == "pull_detail")

    # -------------------------------------------------------------------------------------------- changes

    def _changed(self, state: RepoState, item: Item, change: Callable[[], None]) -> None:
        state.remove(item)
        change()
        item.updated = max(self.now(), item.updated)
        state.add(item)

    def open_issue(
        self,
        state: RepoState,
        title: str,
        body: str,
        login: str,
        labels: list[str],
        milestone: int | None,
        created: datetime | None = None,
    ) -> GitHubIssue:
        now = self.now()
        item = GitHubIssue(
            number=self._next_number(state),
            id=self.world.new_id(),
            title=title,
            body=body,
            user=login,
            state="open",
            created=created or now,
            updated=now,
            labels=labels,
            milestone=milestone,
        )
        state.repo.issues[item.number] = item
        state.add(item)
        return item

    def open_pull(
        self, state: RepoState, title: str, body: str, login: str, head: str, base: str, draft: bool
    ) -> PullRequest:
        now = self.now()
        number = self._next_number(state)
        sha = render.sha(state.repo.full_name, "head", head, now)
        pr = PullRequest(
            number=number,
            id=self.world.new_id(),
            title=title,
            body=body,
            user=login,
            head_ref=head,
            head_sha=sha,
            base_ref=base,
            state="open",
            created=now,
            updated=now,
            draft=draft,
        )
        state.repo.pulls[number] = pr
        state.repo.branches[head] = sha
        state.add(pr)
        return pr

    def _next_number(self, state: RepoState) -> int:
        number = state.repo.next_number
        state.repo.next_number += 1
        return number

    def edit(
        self,
        state: RepoState,
        item: Item,
        title: str | None = None,
        body: str | None = None,
        labels: list[str] | None = None,
        *,
        milestone: int | Keep | None = KEEP,
        assignee: str | Keep | None = KEEP,
        issue_type: str | Keep | None = KEEP,
    ) -> None:
        """Change what is given; ``assignee`` and ``issue_type`` apply to issues only."""

        def change() -> None:
            item.title = item.title if title is None else title
            item.body = item.body if body is None else body
            item.labels = item.labels if labels is None else labels
            if milestone is not KEEP:
                item.milestone = milestone
            if isinstance(item, GitHubIssue):
                item.assignee = item.assignee if assignee is KEEP else assignee
                item.issue_type = item.issue_type if issue_type is KEEP else issue_type

        self._changed(state, item, change)

    def close(self, state: RepoState, item: Item, reason: str = "completed", *, merge: bool = False) -> None:
        def change() -> None:
            item.state, item.closed_at = "closed", self.now()
            if isinstance(item, GitHubIssue):
                item.state_reason = reason
            elif merge:
                item.merged_at, item.draft = item.closed_at, False
                item.merge_commit_sha = render.sha(state.repo.full_name, "merge", item.number)

        self._changed(state, item, change)

    def reopen(self, state: RepoState, item: Item) -> None:
        def change() -> None:
            item.state, item.closed_at = "open", None
            if isinstance(item, GitHubIssue):
                item.state_reason = "reopened"

        self._changed(state, item, change)

    def comment(self, state: RepoState, item: Item, login: str, text: str) -> int:
        self._changed(state, item, lambda: item.comments.append((self.now(), login, text)))
        return len(item.comments) - 1

    def delete(self, state: RepoState, issue: GitHubIssue) -> None:
        state.remove(issue)
        del state.repo.issues[issue.number]
        state.gone[issue.number] = "deleted"

    def transfer(self, state: RepoState, issue: GitHubIssue, target: RepoState) -> GitHubIssue:
        self.delete(state, issue)
        moved = self.open_issue(target, issue.title, issue.body, issue.user, list(issue.labels), None, issue.created)
        state.gone[issue.number] = f"{target.repo.full_name}#{moved.number}"
        return moved

    def publish(self, state: RepoState, tag: str) -> GitHubRelease:
        """Publish the draft release of ``tag``, or create and publish one."""
        now = self.now()
        rel = next((r for r in state.repo.releases if r.tag_name == tag), None)
        if rel is None:
            rel = GitHubRelease(
                id=self.world.new_id(),
                tag_name=tag,
                name=tag.removeprefix("v"),
                body="",
                draft=False,
                prerelease=False,
                target_commitish=state.repo.default_branch,
                created=now,
                published_at=None,
            )
            state.repo.releases.append(rel)
        rel.draft, rel.published_at = False, now
        state.repo.branches.setdefault(tag, render.sha(state.repo.full_name, tag))
        return rel

    def set_check(self, run: CheckRun, status: str, conclusion: str | None) -> None:
        now = self.now()
        run.status, run.conclusion = status, conclusion if status == "completed" else None
        run.completed_at = now if status == "completed" else None
        if status != "queued" and run.started_at > now:
            run.started_at = now

    def close_milestone(self, ms: Milestone) -> None:
        ms.state, ms.closed_at, ms.updated = "closed", self.now(), self.now()

    # -------------------------------------------------------------------------------------------- look-ups

    def latest_release(self, state: RepoState) -> GitHubRelease | None:
        """GitHub: the most recent non-draft, non-prerelease release, by creation date of its tag's commit."""
        published = [r for r in state.repo.releases if not r.draft and not r.prerelease]
        return max(published, key=lambda r: (r.created, r.id), default=None)

    def releases(self, state: RepoState) -> list[GitHubRelease]:
        """Newest first, drafts included (the caller has push access), as GitHub lists them."""
        return sorted(state.repo.releases, key=lambda r: (r.created, r.id), reverse=True)

    def resolve_ref(self, state: RepoState, ref: str) -> str | None:
        """A sha, branch or tag name (``heads/``/``tags/`` prefixes allowed) → the commit sha."""
        ref = ref.removeprefix("refs/").removeprefix("heads/").removeprefix("tags/")
        if ref in state.repo.branches:
            return state.repo.branches[ref]
        known = set(state.repo.branches.values()) | {r.sha for r in state.repo.check_runs}
        return ref if ref in known or (len(ref) == 40 and all(c in "0123456789abcdef" for c in ref)) else None
