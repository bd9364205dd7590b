"""World objects rendered as Jira REST JSON, for one request's view: site URL, API version, user's time zone.

v3 carries descriptions and comment bodies as Atlassian Document Format, v2 as plain text. Datetimes look like
Jira's (``2024-01-05T10:01:52.971+0100``) in the requesting user's zone; agile resources use UTC ISO with ``Z``.

A page of issues repeats a few objects many times, and an issue bean is put together from JSON encoded once
(``orjson.Fragment``). People, statuses, issue types, priorities, projects, resolutions and sprints never change, so
a site keeps their JSON across replies (:class:`Encoded`, one per site URL and API version), and with it, for the
fields that show one of them (:data:`CATALOGUED`), the field's JSON by the issue attribute that picks it. Versions
and parents can change, so they are encoded once per reply. What a view returns is for ``orjson`` to encode
(``sandbox.jira.http.reply``); :func:`plain` turns it into ordinary JSON values.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache, cached_property
from operator import attrgetter
from typing import Any

import orjson

from sandbox.jira.store import SCORE_FIELDS, Change, CustomFields, JiraStore
from sandbox.world import JiraIssue, JiraProject, JiraSprint, JiraStatus, JiraVersion, Person

Json = dict[str, Any]

_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
_TYPES = {  # name: (id, hierarchy level, subtask)
    "Epic": ("10000", 1, False),
    "Story": ("10001", 0, False),
    "Task": ("10002", 0, False),
    "Bug": ("10004", 0, False),
    "Sub-task": ("10003", -1, True),
}
EXPANDED_CHANGELOG = 100
_HISTORY = b'{"id":"%d","author":%b,"created":"%b","items":[%b]}'
_CHANGELOG = b'{"startAt":%d,"maxResults":%d,"total":%d,"histories":[%b]}'
_ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
_HEAD = b'{"expand":"' + _ISSUE_EXPAND.encode() + b'","id":"%d","self":"%b/issue/%d","key":"%b"'
_PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
_RESOLUTIONS = {"Done": "10000", "Won't Do": "10001"}
SYSTEM_FIELDS = (
    "summary",
    "description",
    "issuetype",
    "status",
    "priority",
    "project",
    "created",
    "updated",
    "reporter",
    "creator",
    "assignee",
    "labels",
    "fixVersions",
    "resolution",
    "resolutiondate",
    "parent",
    "subtasks",
    "comment",
)


def jira_datetime(moment: datetime, zone: tzinfo) -> str:
    text = moment.astimezone(zone).isoformat(timespec="milliseconds")  # ...+01:00
    return text[:-3] + text[-2:]


_MINUTES = [f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)]
_SECONDS = [f":{s:02d}." for s in range(60)]
_MILLIS = [f"{ms:03d}" for ms in range(1000)]


class LocalTime:
    """:func:`jira_datetime` for one zone, several times faster: the zone's offset is looked up once per UTC day
    and the text put together from tables. A day on which the offset changes goes the slow way."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._days: dict[int, tuple[int, str, tuple[str, str, str]]] = {}  # ordinal: (offset min, suffix, dates)

    def __call__(self, moment: datetime) -> str:
        if moment.tzinfo is not UTC:
            return jira_datetime(moment, self.zone)
        ordinal = moment.toordinal()
        day = self._days.get(ordinal)
        if day is None:
            day = self._days[ordinal] = self._day(ordinal)
        offset, suffix, dates = day
        if not suffix:
            return jira_datetime(moment, self.zone)
        shift, minutes = divmod(moment.hour * 60 + moment.minute + offset, 24 * 60)
        return (
            f"{dates[shift + 1]}T{_MINUTES[minutes]}{_SECONDS[moment.second]}"
            f"{_MILLIS[moment.microsecond // 1000]}{suffix}"
        )

    def _day(self, ordinal: int) -> tuple[int, str, tuple[str, str, str]]:
        midnight = datetime.combine(date.fromordinal(ordinal), time(), UTC)
        offsets = {(midnight + timedelta(hours=h)).astimezone(self.zone).utcoffset() for h in range(25)}
        dates = tuple(date.fromordinal(ordinal + shift).isoformat() for shift in (-1, 0, 1))
        offset = offsets.pop() if len(offsets) == 1 else None
        if offset is None or offset % timedelta(minutes=1):
            return 0, "", ("", "", "")
        minutes = offset // timedelta(minutes=1)
        suffix = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return minutes, suffix, (dates[0], dates[1], dates[2])


@cache
def local_time(zone: tzinfo) -> LocalTime:
    return LocalTime(zone)


def plain(value: Any) -> Any:
    """A view's output as ordinary JSON values (its embedded fragments decoded)."""
    return orjson.loads(orjson.dumps(value))


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def adf(text: str) -> Json:
    paragraphs = [p for p in text.split("\n\n") if p] or [""]
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}] if p else []} for p in paragraphs],
    }


def adf_text(document: Any) -> str:
    """The plain text of an ADF document (or a v2 string body)."""
    if isinstance(document, str):
        return document
    if not isinstance(document, dict):
        return ""
    if document.get("type") == "text":
        return str(document.get("text", ""))
    parts = [adf_text(child) for child in document.get("content", [])]
    return ("\n\n" if document.get("type") == "doc" else "").join(parts)


def _version_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass
class Encoded:
    """JSON encoded once and embedded wherever it recurs, by (kind, key): as a fragment or as bytes."""

    fragments: dict[tuple[str, object], orjson.Fragment] = field(default_factory=dict)
    raw: dict[tuple[str, object], bytes] = field(default_factory=dict)
    tables: dict[str, dict[Hashable, bytes]] = field(default_factory=dict)

    def fragment(self, kind: str, key: object, build: Callable[..., Any], *args: Any) -> orjson.Fragment:
        """``build(*args)`` encoded, once per (kind, key)."""
        found = self.fragments.get((kind, key))
        if found is None:
            found = self.fragments[(kind, key)] = orjson.Fragment(self.encoded(kind, key, build, *args))
        return found

    def encoded(self, kind: str, key: object, build: Callable[..., Any], *args: Any) -> bytes:
        found = self.raw.get((kind, key))
        if found is None:
            found = self.raw[(kind, key)] = orjson.dumps(build(*args))
        return found

    def table(self, name: str) -> dict[Hashable, bytes]:
        """JSON by what picks it: a catalogued field's ``"id":value`` (see :data:`CATALOGUED`), or a named piece."""
        return self.tables.setdefault(name, {})


@dataclass(frozen=True)
class View:
    """Renders for one request. ``site`` has no trailing slash; ``api`` is "2" or "3"."""

    store: JiraStore
    site: str
    api: str
    zone: tzinfo
    server: bool = False
    lasting: Encoded = field(default_factory=Encoded, compare=False)  # what never changes, kept by the site
    reply: Encoded = field(default_factory=Encoded, compare=False)  # what may change, once per reply

    @cached_property
    def rest(self) -> str:
        return f"{self.site}/rest/api/{self.api}"

    @property
    def custom(self) -> CustomFields:
        return self.store.custom

    @cached_property
    def local(self) -> LocalTime:
        return local_time(self.zone)

    def when(self, moment: datetime | None) -> str | None:
        return self.local(moment) if moment else None

    def text(self, text: str) -> Any:
        return adf(text) if self.api == "3" else text

    # -------------------------------------------------------------------------------------------- people
    def user(self, person: Person, zone_name: str | None = None) -> Json:
        avatar = f"https://avatar-management.example/initials/{person.login[:2].upper()}.png"
        out: Json = {
            "self": f"{self.rest}/user?accountId={person.account_id}",
            "accountId": person.account_id,
            "emailAddress": person.email,
            "avatarUrls": {size: f"{avatar}?size={size[:2]}" for size in ("48x48", "24x24", "16x16", "32x32")},
            "displayName": person.display_name,
            "active": True,
            "accountType": "atlassian",
        }
        if self.server:
            out |= {"name": person.login, "key": f"JIRAUSER{person.github_id}"}
            out.pop("accountType")
        if zone_name:
            out["timeZone"] = zone_name
        return out

    def account(self, account_id: str | None) -> orjson.Fragment | None:
        if account_id is None:
            return None
        return self.lasting.fragment("user", account_id, self._user_by_account, account_id)

    # -------------------------------------------------------------------------------------------- catalogue
    def _user_by_account(self, account_id: str) -> Json:
        return self.user(self.store.person(account_id))

    def category(self, key: str) -> Json:
        category_id, name, colour = _CATEGORIES[key]
        return {
            "self": f"{self.rest}/statuscategory/{category_id}",
            "id": category_id,
            "key": key,
            "colorName": colour,
            "name": name,
        }

    def status(self, status: JiraStatus) -> Json:
        return {
            "self": f"{self.rest}/status/{status.id}",
            "description": "",
            "iconUrl": f"{self.site}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category(status.category),
        }

    def issue_type(self, name: str) -> Json:
        type_id, level, subtask = _TYPES[name]
        return {
            "self": f"{self.rest}/issuetype/{type_id}",
            "id": type_id,
            "description": "",
            "iconUrl": f"{self.site}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": subtask,
            "hierarchyLevel": level,
        }

    def project(self, project: JiraProject, full: bool = False) -> Json:
        avatar = f"{self.site}/secure/projectavatar?pid={project.id}"
        out: Json = {
            "self": f"{self.rest}/project/{project.id}",
            "id": str(project.id),
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": project.style == "team",
            "avatarUrls": {size: f"{avatar}&size={size[:2]}" for size in ("48x48", "24x24", "16x16", "32x32")},
        }
        if full:
            out |= {
                "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                "style": "next-gen" if project.style == "team" else "classic",
                "isPrivate": False,
                "properties": {},
                "description": f"{project.name} product work",
                "lead": self.account(project.lead),
                "issueTypes": [self.issue_type(name) for name in _TYPES],
            }
        return out

    def version(self, version: JiraVersion) -> Json:
        project = self.store.world.jira_projects[version.project]
        out: Json = {
            "self": f"{self.rest}/version/{version.id}",
            "id": str(version.id),
            "description": version.description,
            "name": version.name,
            "archived": version.archived,
            "released": version.released,
            "projectId": project.id,
        }
        if version.start_date:
            out["startDate"] = _version_date(version.start_date)
            out["userStartDate"] = f"{version.start_date:%d/%b/%y}"
        if version.release_date:
            out["releaseDate"] = _version_date(version.release_date)
            out["userReleaseDate"] = f"{version.release_date:%d/%b/%y}"
            if not version.released:
                out["overdue"] = version.release_date < self.store.world.now.date()
        return out

    def sprint(self, sprint: JiraSprint) -> Json:
        out: Json = {
            "id": sprint.id,
            "self": f"{self.site}/rest/agile/1.0/sprint/{sprint.id}",
            "state": sprint.state,
            "name": sprint.name,
            "originBoardId": sprint.board_id,
            "goal": sprint.goal,
        }
        for name, moment in (("startDate", sprint.start), ("endDate", sprint.end), ("completeDate", sprint.complete)):
            if moment:
                out[name] = iso_utc(moment)
        return out

    def field_catalogue(self) -> list[Json]:
        def system(field_id: str, name: str, schema_type: str, **extra: Any) -> Json:
            return {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": False,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [field_id],
                "schema": {"type": schema_type, "system": field_id, **extra},
            }

        def custom(field_id: str, name: str, plugin: str, schema_type: str, **extra: Any) -> Json:
            number = int(field_id.removeprefix("customfield_"))
            return {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": True,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f"cf[{number}]", name],
                "schema": {"type": schema_type, "custom": plugin, "customId": number, **extra},
            }

        c = self.custom
        names = {"issuetype": "Issue Type", "fixVersions": "Fix versions", "resolutiondate": "Resolved"}
        types = {"created": "datetime", "updated": "datetime", "resolutiondate": "datetime", "labels": "array"}
        types |= {
            "fixVersions": "array",
            "subtasks": "array",
            "reporter": "user",
            "assignee": "user",
            "creator": "user",
        }
        fields = [system(f, names.get(f, f.capitalize()), types.get(f, "string")) for f in SYSTEM_FIELDS]
        return [
            *fields,
            custom(c.story_points, "Story Points", "com.atlassian.jira.plugin.system.customfieldtypes:float", "number"),
            custom(
                c.story_point_estimate,
                "Story point estimate",
                "com.pyxis.greenhopper.jira:jsw-story-points",
                "number",
            ),
            custom(c.sprint, "Sprint", "com.pyxis.greenhopper.jira:gh-sprint", "array", items="json"),
            custom(c.epic_link, "Epic Link", "com.pyxis.greenhopper.jira:gh-epic-link", "any"),
            *(
                custom(c.scores[role], name, "com.atlassian.jira.plugin.system.customfieldtypes:float", "number")
                for role, name in SCORE_FIELDS.items()
            ),
        ]

    # -------------------------------------------------------------------------------------------- issues
    def issue(self, issue: JiraIssue, fields: set[str] | None, changelog: bool = False) -> orjson.Fragment:
        """``fields``: field ids to include; None means all."""
        return self.issues([issue], fields, changelog)[0]

    def issues(
        self, issues: Iterable[JiraIssue], fields: set[str] | None, changelog: bool = False, transitions: bool = False
    ) -> list[orjson.Fragment]:
        """Issue beans with ``fields`` (field ids; None means all), optionally expanded."""
        plan = self._plan(fields)
        projects = self.store.world.jira_projects
        rest = self.rest.encode()
        out = []
        for issue in issues:
            parts = [_HEAD % (issue.id, rest, issue.id, issue.key.encode())]
            if plan is not None:
                project, values = projects[issue.project], []
                for key, catalogue, produce in plan:
                    if catalogue is None:
                        values.append(key + orjson.dumps(produce(self, issue, project)))
                        continue
                    pick, table = catalogue
                    known = pick(issue)
                    json = table.get(known)
                    if json is None:
                        json = table[known] = _field(key, produce(self, issue, project))
                    if json:
                        values.append(json)
                parts += (b',"fields":{', b",".join(values), b"}")
            if transitions:
                state = (issue.project, issue.status)
                parts += (b',"transitions":', self.lasting.encoded("transitions", state, self.transitions, issue))
            if changelog:
                parts += (b',"changelog":', self.expanded_changelog(issue))
            parts.append(b"}")
            out.append(orjson.Fragment(b"".join(parts)))
        return out

    def _plan(self, wanted: set[str] | None) -> list[tuple[bytes, Catalogue | None, Producer]] | None:
        """Per wanted field in Jira's order: its key's JSON, for a catalogued field what picks its JSON and the table
        of it (the site's, or this reply's), and its producer; None when no ``fields`` object is wanted at all."""
        if wanted is not None and not wanted - {"id", "key"}:
            return None
        plan: list[tuple[bytes, Catalogue | None, Producer]] = []
        for name, produce in self.producers.items():
            if wanted is None or name in wanted:
                catalogue: Catalogue | None = None
                if name in self.catalogued:
                    catalogue = (self.catalogued[name], self.lasting.table(name))
                elif name in PER_REPLY_CATALOGUED:
                    catalogue = (PER_REPLY_CATALOGUED[name], self.reply.table(name))
                plan.append((_key(name), catalogue, produce))
        return plan

    def expanded_changelog(self, issue: JiraIssue) -> bytes:
        # why: an expanded changelog holds only the latest 100 histories; the rest needs /issue/{key}/changelog
        # https://jira.atlassian.com/browse/JRACLOUD-67458
        total = len(issue.changelog)
        first = max(0, total - EXPANDED_CHANGELOG)
        return _CHANGELOG % (first, total - first, total, b",".join(self._histories(issue, first)))

    @cached_property
    def producers(self) -> dict[str, Producer]:
        scores = {field_id: _score(role) for role, field_id in self.custom.scores.items()}
        return _SYSTEM | {getattr(self.custom, role): f for role, f in _CUSTOM.items()} | scores

    @cached_property
    def catalogued(self) -> dict[str, Pick]:
        return CATALOGUED | {getattr(self.custom, role): pick for role, pick in _CATALOGUED_CUSTOM.items()}

    def priority(self, name: str) -> Json:
        return {
            "self": f"{self.rest}/priority/{_PRIORITIES[name]}",
            "iconUrl": f"{self.site}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": _PRIORITIES[name],
        }

    def resolution(self, name: str | None) -> Json | None:
        if name is None:
            return None
        return {
            "self": f"{self.rest}/resolution/{_RESOLUTIONS[name]}",
            "id": _RESOLUTIONS[name],
            "description": "",
            "name": name,
        }

    def fix_version(self, version_id: int) -> orjson.Fragment:
        return self.reply.fragment("version", version_id, self.version, self.store.world.versions[version_id])

    def parent(self, issue: JiraIssue, project: JiraProject) -> orjson.Fragment | None:
        key = issue.parent_key or (issue.epic_key if project.style == "team" else None)
        if key is None:
            return None
        parent = self.store.issue(key)
        return None if parent is None else self.reply.fragment("parent", key, self._parent, parent)

    def _parent(self, parent: JiraIssue) -> Json:
        project = self.store.world.jira_projects[parent.project]
        return {
            "id": str(parent.id),
            "key": parent.key,
            "self": f"{self.rest}/issue/{parent.id}",
            "fields": {
                "summary": parent.summary,
                "status": self.status(project.status(parent.status)),
                "issuetype": self.issue_type(parent.type),
            },
        }

    def sprints(self, issue: JiraIssue) -> list[orjson.Fragment] | None:
        if issue.sprint_id is None:
            return None
        return [self.lasting.fragment("sprint", issue.sprint_id, self._issue_sprint, issue.sprint_id)]

    def _issue_sprint(self, sprint_id: int) -> Json:
        sprint = self.store.world.sprints[sprint_id]
        return {**self.sprint(sprint), "boardId": sprint.board_id}

    def comment(self, issue: JiraIssue, index: int) -> Json:
        at, author, text = issue.comments[index]
        comment_id = issue.id * 1000 + index
        return {
            "self": f"{self.rest}/issue/{issue.id}/comment/{comment_id}",
            "id": str(comment_id),
            "author": self.account(author),
            "body": self.text(text),
            "updateAuthor": self.account(author),
            "created": self.when(at),
            "updated": self.when(at),
            "jsdPublic": True,
        }

    def comments(self, issue: JiraIssue) -> Json:
        values = [self.comment(issue, i) for i in range(len(issue.comments))]
        return {"comments": values, "maxResults": len(values), "total": len(values), "startAt": 0}

    def _histories(self, issue: JiraIssue, first: int) -> list[bytes]:
        """The issue's histories from ``first`` on, as JSON."""
        authors, moves, local = self.lasting.table("author"), self.lasting.table("move"), self.local
        out = []
        for index in range(first, len(issue.changelog)):
            change = issue.changelog[index]
            author = authors.get(change.author)
            if author is None:
                author = authors[change.author] = orjson.dumps(self._user_by_account(change.author))
            move = (issue.project, change.from_status, change.to_status)
            items = moves.get(move)
            if items is None:
                items = moves[move] = orjson.dumps(self._status_change(*move))
            out.append(_HISTORY % (issue.id * 100 + index, author, local(change.at).encode(), items))
        return out

    def _status_change(self, project_key: str, from_status: str, to_status: str) -> Json:
        project = self.store.world.jira_projects[project_key]
        old, new = project.status(from_status), project.status(to_status)
        return self.change(Change("status", old.id, old.name, new.id, new.name))

    def histories(self, issue: JiraIssue) -> list[orjson.Fragment]:
        return [orjson.Fragment(history) for history in self._histories(issue, 0)]

    @staticmethod
    def change(change: Change) -> Json:
        system = change.field in ("status", "resolution", "summary", "description", "labels", "priority", "assignee")
        name = {"story_points": "Story Points", "fix_versions": "Fix Version"}.get(change.field, change.field)
        from_id, to_id = change.from_id, change.to_id
        if change.field == "resolution":
            from_id, to_id = _RESOLUTIONS.get(change.from_string or ""), _RESOLUTIONS.get(change.to_string or "")
        return {
            "field": name,
            "fieldtype": "jira" if system else "custom",
            "fieldId": change.field,
            "from": from_id,
            "fromString": change.from_string,
            "to": to_id,
            "toString": change.to_string,
        }

    def transitions(self, issue: JiraIssue) -> list[Json]:
        project = self.store.world.jira_projects[issue.project]
        return [
            {
                "id": transition_id(project, status),
                "name": status.name,
                "to": self.status(status),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for status in project.statuses
            if status.name != issue.status
        ]

    def remote_links(self, issue: JiraIssue) -> list[Json]:
        return [
            {
                "id": issue.id * 100 + i,
                "self": f"{self.rest}/issue/{issue.key}/remotelink/{issue.id * 100 + i}",
                "globalId": f"system=github&id={url}",
                "application": {"type": "com.github", "name": "GitHub"},
                "relationship": "mentioned in",
                "object": {
                    "url": url,
                    "title": url.removeprefix("https://github.com/"),
                    "icon": {"url16x16": "https://github.com/favicon.ico", "title": "GitHub"},
                },
            }
            for i, url in enumerate(issue.remote_links)
        ]


Producer = Callable[[View, JiraIssue, JiraProject], Any]
_SYSTEM: dict[str, Producer] = {
    "summary": lambda v, i, p: i.summary,
    "description": lambda v, i, p: v.text(i.description) if i.description else None,
    "issuetype": lambda v, i, p: v.issue_type(i.type),
    "status": lambda v, i, p: v.status(p.status(i.status)),
    "priority": lambda v, i, p: v.priority(i.priority),
    "project": lambda v, i, p: v.project(p),
    "created": lambda v, i, p: v.local(i.created),
    "updated": lambda v, i, p: v.local(i.updated),
    "reporter": lambda v, i, p: v.account(i.reporter),
    "creator": lambda v, i, p: v.account(i.reporter),
    "assignee": lambda v, i, p: v.account(i.assignee),
    "labels": lambda v, i, p: list(i.labels),
    "fixVersions": lambda v, i, p: [v.fix_version(version) for version in i.fix_versions],
    "resolution": lambda v, i, p: v.resolution(i.resolution),
    "resolutiondate": lambda v, i, p: v.when(i.resolved),
    "parent": lambda v, i, p: v.parent(i, p),
    "subtasks": lambda v, i, p: [],
    "comment": lambda v, i, p: v.comments(i),
}
_CUSTOM: dict[str, Producer] = {  # CustomFields attribute: producer
    "story_points": lambda v, i, p: i.story_points if p.style == "company" else None,
    "story_point_estimate": lambda v, i, p: i.story_points if p.style == "team" else None,
    "sprint": lambda v, i, p: v.sprints(i),
    "epic_link": lambda v, i, p: i.epic_key if p.style == "company" else None,
}


def _score(role: str) -> Producer:
    """The producer of a prioritisation field: the issue's input, or null."""
    return lambda v, i, p: i.scores.get(role)


Pick = Callable[[JiraIssue], Hashable]
Catalogue = tuple[Pick, dict[Hashable, bytes]]
# Fields that show one of the site's fixed objects (or a value of the issue that few issues differ in): their JSON
# follows from the picked attributes, so a site keeps it by them.
CATALOGUED: dict[str, Pick] = {
    "issuetype": attrgetter("type"),
    "status": attrgetter("project", "status"),
    "priority": attrgetter("priority"),
    "project": attrgetter("project"),
    "reporter": attrgetter("reporter"),
    "creator": attrgetter("reporter"),
    "assignee": attrgetter("assignee"),
    "resolution": attrgetter("resolution"),
}
_CATALOGUED_CUSTOM: dict[str, Pick] = {  # CustomFields attribute: pick (the project decides which fields apply)
    "story_points": attrgetter("project", "story_points"),
    "story_point_estimate": attrgetter("project", "story_points"),
    "sprint": attrgetter("sprint_id"),
    "epic_link": attrgetter("project", "epic_key"),
}
# Fields that show versions or a parent issue, which change on their own: picked the same way, kept for one reply.
PER_REPLY_CATALOGUED: dict[str, Pick] = {
    "fixVersions": lambda i: tuple(i.fix_versions),
    "parent": attrgetter("project", "parent_key", "epic_key"),
}
_PARENT = b'"parent":'


@cache
def _key(field_id: str) -> bytes:
    return orjson.dumps(field_id) + b":"


def _field(key: bytes, value: Any) -> bytes:
    """A field's ``"id":value`` JSON; nothing for an issue without a parent, which has no parent field."""
    return b"" if value is None and key == _PARENT else key + orjson.dumps(value)


def transition_id(project: JiraProject, status: JiraStatus) -> str:
    """Global transitions "to <status>": ids 11, 21, 31… in workflow order, as Jira numbers them."""
    return str(10 * (project.statuses.index(status) + 1) + 1)
