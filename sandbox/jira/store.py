"""The Jira sandbox's live state over the shared world: indexes for fast search, search cursors, and mutations.

Issues are indexed by project as lists sorted by ``(updated ms, id)``, so an ``updated`` window is two bisections
and ``ORDER BY updated`` needs no sort. A ``search/jql`` result set is frozen when its first page is served
(the ids, in order) and later pages are slices of it: an issue updated between pages keeps its place, so pages
never skip or repeat an issue, while each page shows the issues' current fields.
"""

from __future__ import annotations

import base64
import bisect
import heapq
import itertools
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sandbox.jira.jql import Query, to_ms
from sandbox.world import JiraIssue, JiraProject, JiraVersion, Person, Transition, World

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CustomFields:
    """The site's custom field ids; like on a real site they are not the same everywhere."""

    story_points: str
    story_point_estimate: str
    sprint: str
    epic_link: str
    scores: dict[str, str]  # prioritisation input (reach … job_size) -> field id

    @classmethod
    def for_seed(cls, seed: int) -> CustomFields:
        base = 10_014 + (seed % 7) * 100
        return cls(
            epic_link=f"customfield_{base}",
            story_point_estimate=f"customfield_{base + 2}",
            story_points=f"customfield_{base + 12}",
            sprint=f"customfield_{base + 6}",
            scores={role: f"customfield_{base + 40 + n}" for n, role in enumerate(SCORE_FIELDS)},
        )

    def ids(self) -> set[str]:
        return {self.story_points, self.story_point_estimate, self.sprint, self.epic_link, *self.scores.values()}


# the prioritisation inputs a site keeps in custom fields, by role, with the names Jira shows
SCORE_FIELDS = {
    "reach": "Reach",
    "impact": "Impact",
    "confidence": "Confidence",
    "effort": "Effort",
    "business_value": "Business Value",
    "time_criticality": "Time Criticality",
    "risk_reduction": "Risk Reduction",
    "job_size": "Job Size",
}


@dataclass(frozen=True)
class Change:
    """One changelog item: what an admin change did to a field (webhook ``changelog.items``)."""

    field: str
    from_id: str | None
    from_string: str | None
    to_id: str | None
    to_string: str | None


class JiraStore:
    def __init__(self, world: World, snapshots: int = 64, clock: Clock | None = None) -> None:
        self.world = world
        self.lock = threading.RLock()
        self.custom = CustomFields.for_seed(world.seed)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._by_id = {issue.id: issue for issue in world.jira_issues.values()}
        self._order: dict[str, list[tuple[int, int]]] = {key: [] for key in world.jira_projects}
        for issue in world.jira_issues.values():
            self._order[issue.project].append((to_ms(issue.updated), issue.id))
        for entries in self._order.values():
            entries.sort()
        self._people = {p.account_id: p for p in world.people}
        self._snapshots: OrderedDict[str, array[int]] = OrderedDict()
        self._snapshot_limit = snapshots
        self._snapshot_ids = itertools.count(1)
        self._last_change = max((i.updated for i in world.jira_issues.values()), default=world.now)

    # ------------------------------------------------------------------------------------------------ lookups
    def issue(self, id_or_key: str) -> JiraIssue | None:
        if id_or_key.isdigit():
            return self._by_id.get(int(id_or_key))
        return self.world.jira_issues.get(id_or_key.upper())

    def issue_by_id(self, issue_id: int) -> JiraIssue | None:
        return self._by_id.get(issue_id)

    def project(self, id_or_key: str) -> JiraProject | None:
        found = self.world.jira_projects.get(id_or_key.upper())
        return found or next((p for p in self.world.jira_projects.values() if str(p.id) == id_or_key), None)

    def person(self, account_id: str) -> Person:
        return self._people[account_id]

    def versions(self, project: str) -> list[JiraVersion]:
        return sorted((v for v in self.world.versions.values() if v.project == project), key=lambda v: v.id)

    # ------------------------------------------------------------------------------------------------ search
    def search(self, query: Query) -> list[int]:
        """Ids of the matching issues in the query's order (``updated ASC, id`` when it names none)."""
        hints = query.hints
        with self.lock:
            if hints.keys is not None:
                found = (self.world.jira_issues.get(k) for k in hints.keys)
                entries = sorted((to_ms(i.updated), i.id) for i in found if i is not None)
                low, high = hints.updated_from, hints.updated_to
                entries = [e for e in entries if (low is None or e[0] >= low) and (high is None or e[0] <= high)]
                if hints.projects is not None:
                    entries = [e for e in entries if self._by_id[e[1]].project in hints.projects]
            else:
                projects = sorted(hints.projects if hints.projects is not None else self._order)
                slices = [self._window(self._order[p], hints.updated_from, hints.updated_to) for p in projects]
                entries = slices[0] if len(slices) == 1 else list(heapq.merge(*slices))
            ids = [e[1] for e in entries]
            if query.predicate is not None:
                predicate, by_id = query.predicate, self._by_id
                ids = [i for i in ids if predicate(by_id[i])]
            return self._sorted(ids, query.order)

    @staticmethod
    def _window(entries: list[tuple[int, int]], low: int | None, high: int | None) -> list[tuple[int, int]]:
        start = 0 if low is None else bisect.bisect_left(entries, (low, -1))
        stop = len(entries) if high is None else bisect.bisect_right(entries, (high, 1 << 62))
        return entries[start:stop]

    def _sorted(self, ids: list[int], order: list[tuple[str, bool]]) -> list[int]:
        """Order ids that arrive sorted by (updated, id) ascending."""
        if not order or order == [("updated", True)]:
            return ids
        if order == [("updated", False)]:
            return ids[::-1]
        for name, ascending in reversed(order):
            if name == "updated":
                ids.sort(key=lambda i: (to_ms(self._by_id[i].updated), i), reverse=not ascending)
            elif name == "created":
                ids.sort(key=lambda i: (self._by_id[i].created, i), reverse=not ascending)
            else:  # key and id sort alike within a project; across projects Jira sorts keys by project first
                ids.sort(key=lambda i: self._key_order(self._by_id[i]), reverse=not ascending)
        return ids

    @staticmethod
    def _key_order(issue: JiraIssue) -> tuple[str, int]:
        project, _, number = issue.key.rpartition("-")
        return project, int(number)

    def freeze(self, ids: Sequence[int]) -> str:
        """Keep a result set for later pages; returns its opaque id."""
        with self.lock:
            snapshot_id = f"{next(self._snapshot_ids)}"
            self._snapshots[snapshot_id] = array("q", ids)
            while len(self._snapshots) > self._snapshot_limit:
                self._snapshots.popitem(last=False)
            return snapshot_id

    def thawed(self, snapshot_id: str) -> array[int] | None:
        with self.lock:
            return self._snapshots.get(snapshot_id)

    # ------------------------------------------------------------------------------------------------ changes
    def clock(self) -> datetime:
        """The site's current time (for serverTime and webhook timestamps); changes use :meth:`now`."""
        return self._clock()

    def now(self) -> datetime:
        """A change time strictly after every earlier change, at millisecond precision."""
        with self.lock:
            moment = self._clock().astimezone(UTC)
            moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            self._last_change = max(moment, self._last_change + timedelta(milliseconds=1))
            return self._last_change

    def touch(self, issue: JiraIssue, at: datetime | None = None) -> datetime:
        with self.lock:
            at = at or self.now()
            self._unindex(issue)
            issue.updated = at
            bisect.insort(self._order[issue.project], (to_ms(at), issue.id))
            return at

    def _unindex(self, issue: JiraIssue) -> None:
        entries = self._order[issue.project]
        index = bisect.bisect_left(entries, (to_ms(issue.updated), issue.id))
        if index < len(entries) and entries[index][1] == issue.id:
            del entries[index]
        else:  # the world was changed behind the store's back: find the entry the slow way
            entries.remove(next(e for e in entries if e[1] == issue.id))

    def transition(self, issue: JiraIssue, to_status: str, author: str) -> list[Change]:
        with self.lock:
            project = self.world.jira_projects[issue.project]
            old, new = project.status(issue.status), project.status(to_status)
            at = self.touch(issue)
            issue.changelog.append(Transition(at=at, author=author, from_status=old.name, to_status=new.name))
            issue.status = new.name
            changes = [Change("status", old.id, old.name, new.id, new.name)]
            resolution = (
                ("Won't Do" if new.name in ("Won't Do", "Dropped") else "Done") if new.category == "done" else None
            )
            if resolution != issue.resolution:
                changes.append(Change("resolution", None, issue.resolution, None, resolution))
                issue.resolution, issue.resolved = resolution, (at if resolution else None)
            return changes

    def edit(self, issue: JiraIssue, values: dict[str, object]) -> list[Change]:
        """Set summary, description, labels, priority, assignee (account id or None), story_points, fix_versions."""
        with self.lock:
            changes = []
            for name, value in values.items():
                old = getattr(issue, name)
                if old == value:
                    continue
                setattr(issue, name, value)
                changes.append(Change(name, None, _text(old), None, _text(value)))
            if changes:
                self.touch(issue)
            return changes

    def create(self, project_key: str, kind: str, summary: str, reporter: str, **values: object) -> JiraIssue:
        with self.lock:
            project = self.world.jira_projects[project_key]
            number = 1 + max(
                (self._key_order(i)[1] for i in self.world.jira_issues.values() if i.project == project_key), default=0
            )
            at = self.now()
            issue = JiraIssue(
                id=max(self._by_id, default=10_000) + 1,
                key=f"{project_key}-{number}",
                project=project_key,
                type=kind,
                summary=summary,
                description=str(values.pop("description", "")),
                status=project.first_in("new").name,
                priority=str(values.pop("priority", "Medium")),
                created=at,
                updated=at,
                reporter=reporter,
            )
            for name, value in values.items():
                setattr(issue, name, value)
            self.world.jira_issues[issue.key] = issue
            self._by_id[issue.id] = issue
            bisect.insort(self._order[project_key], (to_ms(at), issue.id))
            return issue

    def delete(self, issue: JiraIssue) -> None:
        with self.lock:
            self._unindex(issue)
            del self.world.jira_issues[issue.key]
            del self._by_id[issue.id]

    def comment(self, issue: JiraIssue, author: str, text: str) -> int:
        """Add a comment; returns its index on the issue."""
        with self.lock:
            at = self.touch(issue)
            issue.comments.append((at, author, text))
            return len(issue.comments) - 1

    def release(self, version: JiraVersion, on: date | None = None) -> None:
        with self.lock:
            version.released = True
            version.release_date = on or version.release_date or self.now().date()

    def update_version(self, version: JiraVersion, changes: dict[str, object]) -> bool:
        """Apply a REST ``PUT version`` body (name, description, released, archived, dates); True if it released."""
        with self.lock:
            was_released = version.released
            for name, attribute in (("name", "name"), ("description", "description")):
                if name in changes:
                    setattr(version, attribute, str(changes[name]))
            for name, attribute in (("releaseDate", "release_date"), ("startDate", "start_date")):
                if name in changes:
                    value = changes[name]
                    setattr(version, attribute, date.fromisoformat(str(value)) if value else None)
            if "archived" in changes:
                version.archived = bool(changes["archived"])
            if "released" in changes:
                version.released = bool(changes["released"])
                if version.released and version.release_date is None:
                    version.release_date = self.now().date()
            return version.released and not was_released


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def encode_token(snapshot_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{snapshot_id}:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, int] | None:
    try:
        snapshot_id, offset = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
        return snapshot_id, int(offset)
    except (ValueError, UnicodeDecodeError):
        return None
