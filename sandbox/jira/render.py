"""World objects rendered as Jira REST JSON, for one request's view: site URL, API version, user's time zone.

v3 carries descriptions and comment bodies as Atlassian Document Format, v2 as plain text. Datetimes look like
Jira's (``2024-01-05T10:01:52.971+0100``) in the requesting user's zone; agile resources use UTC ISO with ``Z``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from typing import Any

from sandbox.jira.store import Change, CustomFields, JiraStore
from sandbox.world import JiraIssue, JiraProject, JiraSprint, JiraStatus, JiraVersion, Person, Transition

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
_ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
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


@dataclass(frozen=True)
class View:
    """Renders for one request. ``site`` has no trailing slash; ``api`` is "2" or "3"."""

    store: JiraStore
    site: str
    api: str
    zone: tzinfo
    server: bool = False
    memo: dict[tuple[str, object], Any] = field(default_factory=dict, compare=False)  # shared pieces of one reply

    def cached(self, kind: str, key: object, build: Callable[..., Any], *args: Any) -> Any:
        """``build(*args)``, once per reply for each (kind, key)."""
        found = self.memo.get((kind, key))
        if found is None:
            found = self.memo[(kind, key)] = build(*args)
        return found

    @cached_property
    def rest(self) -> str:
        return f"{self.site}/rest/api/{self.api}"

    @property
    def custom(self) -> CustomFields:
        return self.store.custom

    def when(self, moment: datetime | None) -> str | None:
        return jira_datetime(moment, self.zone) if moment else None

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

    def account(self, account_id: str | None) -> Json | None:
        if account_id is None:
            return None
        user: Json = self.cached("user", account_id, self._user_by_account, account_id)
        return user

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
        ]

    # -------------------------------------------------------------------------------------------- issues
    def issue(self, issue: JiraIssue, fields: set[str] | None, changelog: bool = False) -> Json:
        """``fields``: field ids to include; None means all."""
        out: Json = {
            "expand": _ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self.rest}/issue/{issue.id}",
            "key": issue.key,
        }
        if fields is None or fields - {"id", "key"}:
            out["fields"] = self.fields(issue, fields)
        if changelog:
            # why: an expanded changelog holds only the latest 100 histories; the rest needs /issue/{key}/changelog
            # https://jira.atlassian.com/browse/JRACLOUD-67458
            histories = self.histories(issue)
            shown = histories[-EXPANDED_CHANGELOG:]
            out["changelog"] = {
                "startAt": len(histories) - len(shown),
                "maxResults": len(shown),
                "total": len(histories),
                "histories": shown,
            }
        return out

    def fields(self, issue: JiraIssue, wanted: set[str] | None) -> Json:
        project = self.store.world.jira_projects[issue.project]
        producers = self.producers
        if wanted is None:
            out = {name: produce(self, issue, project) for name, produce in producers.items()}
        else:
            out = {name: produce(self, issue, project) for name, produce in producers.items() if name in wanted}
        if out.get("parent", False) is None:
            del out["parent"]
        return out

    @cached_property
    def producers(self) -> dict[str, Producer]:
        return _SYSTEM | {getattr(self.custom, role): f for role, f in _CUSTOM.items()}

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

    def fix_version(self, version_id: int) -> Json:
        version: Json = self.cached("version", version_id, self.version, self.store.world.versions[version_id])
        return version

    def parent(self, issue: JiraIssue) -> Json | None:
        style = self.store.world.jira_projects[issue.project].style
        key = issue.parent_key or (issue.epic_key if style == "team" else None)
        parent = self.store.issue(key) if key else None
        if parent is None:
            return None
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

    def sprints(self, issue: JiraIssue) -> list[Json] | None:
        if issue.sprint_id is None:
            return None
        sprint = self.store.world.sprints[issue.sprint_id]
        return [self.cached("sprint", sprint.id, lambda: {**self.sprint(sprint), "boardId": sprint.board_id})]

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

    def history(self, issue: JiraIssue, index: int, transition: Transition) -> Json:
        move = (issue.project, transition.from_status, transition.to_status)
        return {
            "id": str(issue.id * 100 + index),
            "author": self.account(transition.author),
            "created": self.when(transition.at),
            "items": [self.cached("move", move, self._status_change, *move)],
        }

    def _status_change(self, project_key: str, from_status: str, to_status: str) -> Json:
        project = self.store.world.jira_projects[project_key]
        old, new = project.status(from_status), project.status(to_status)
        return self.change(Change("status", old.id, old.name, new.id, new.name))

    def histories(self, issue: JiraIssue) -> list[Json]:
        return [self.history(issue, i, t) for i, t in enumerate(issue.changelog)]

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
    "issuetype": lambda v, i, p: v.cached("type", i.type, v.issue_type, i.type),
    "status": lambda v, i, p: v.cached("status", (p.key, i.status), v.status, p.status(i.status)),
    "priority": lambda v, i, p: v.cached("priority", i.priority, v.priority, i.priority),
    "project": lambda v, i, p: v.cached("project", p.key, v.project, p),
    "created": lambda v, i, p: v.when(i.created),
    "updated": lambda v, i, p: v.when(i.updated),
    "reporter": lambda v, i, p: v.account(i.reporter),
    "creator": lambda v, i, p: v.account(i.reporter),
    "assignee": lambda v, i, p: v.account(i.assignee),
    "labels": lambda v, i, p: list(i.labels),
    "fixVersions": lambda v, i, p: [v.fix_version(version) for version in i.fix_versions],
    "resolution": lambda v, i, p: v.cached("resolution", i.resolution, v.resolution, i.resolution),
    "resolutiondate": lambda v, i, p: v.when(i.resolved),
    "parent": lambda v, i, p: v.parent(i),
    "subtasks": lambda v, i, p: [],
    "comment": lambda v, i, p: v.comments(i),
}
_CUSTOM: dict[str, Producer] = {  # CustomFields attribute: producer
    "story_points": lambda v, i, p: i.story_points if p.style == "company" else None,
    "story_point_estimate": lambda v, i, p: i.story_points if p.style == "team" else None,
    "sprint": lambda v, i, p: v.sprints(i),
    "epic_link": lambda v, i, p: i.epic_key if p.style == "company" else None,
}


def transition_id(project: JiraProject, status: JiraStatus) -> str:
    """Global transitions "to <status>": ids 11, 21, 31… in workflow order, as Jira numbers them."""
    return str(10 * (project.statuses.index(status) + 1) + 1)
