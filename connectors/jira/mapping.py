"""Pure mapping of Jira REST payloads (Cloud v3 and v2, Server/DC v2, webhook ``issue`` objects) to schema records.

No I/O: every function takes a raw ``dict`` plus a :class:`MappingContext` (site, discovered custom field ids, status
rules, epic key → id look-up) and returns records, or raises :class:`schema.BadDataError` naming what did not fit.
Vendor quirks handled here, each pinned by a test:

* descriptions are Atlassian Document Format on v3 and plain text on v2 (and in webhooks);
* datetimes come as ``2024-01-05T10:01:52.971+0100`` (no colon in the offset), changelog bulk fetch sends epoch numbers;
* story points, sprint, epic link and the prioritisation inputs (Reach, Impact, … Job Size) are custom fields whose
  ids differ per site (found by name from ``/field``); an input is kept as the text Jira shows (a number field's
  number, a select list's option value) for ``sync.priorities`` to read;
* the sprint field is a list of objects on Cloud and of ``…Sprint@1a2b[id=1,…,name=…]`` strings on old Server;
* team-managed projects (and current Cloud) link an epic through ``parent``; company-managed Server sites through the
  Epic Link field, which holds the epic's *key* — resolved to its id through ``MappingContext.epic_ids``.

A payload of the wrong shape (not an object, an object where a list belongs, a field of another type) is a
:class:`schema.BadDataError` naming the field, whichever reader meets it first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from connectors import shape
from connectors.jira.config import SCORE_FIELD_NAMES, JiraFieldIds
from schema import (
    BadDataError,
    Release,
    ReleaseKind,
    SourceRef,
    Sprint,
    Status,
    StatusChange,
    StatusRules,
    Tool,
    WorkItem,
    WorkItemType,
    ids,
    jira_status,
)

Raw = Mapping[str, Any]
# JSON objects arrive as ``dict``; runtime checks use it (an ABC ``isinstance`` costs several times more per call)

# https://support.atlassian.com/jira-cloud-administration/docs/what-are-issue-types/
_TYPES = {
    "epic": WorkItemType.EPIC,
    "story": WorkItemType.STORY,
    "task": WorkItemType.TASK,
    "bug": WorkItemType.BUG,
    "sub-task": WorkItemType.SUBTASK,
    "subtask": WorkItemType.SUBTASK,
}

# /rest/api/3/statuses/search reports the category as an upper-case name instead of the statusCategory object
_CATEGORY_NAMES = {"TODO": "new", "IN_PROGRESS": "indeterminate", "DONE": "done"}

_SPRINT_CUSTOM = "com.pyxis.greenhopper.jira:gh-sprint"
_EPIC_LINK_CUSTOM = "com.pyxis.greenhopper.jira:gh-epic-link"

# Jira Server before 8.x renders the Sprint field as the toString() of a GreenHopper object, e.g.
# "com.atlassian.greenhopper.service.sprint.Sprint@14b1c359[id=1,rapidViewId=3,state=ACTIVE,name=Sprint 1,...]"
_SERVER_SPRINT_ID = re.compile(r"\[(?:.*,)?id=(\d+)[,\]]")


@dataclass(frozen=True)
class MappingContext:
    site: str
    rules: StatusRules
    fields: JiraFieldIds = field(default_factory=JiraFieldIds)
    base_url: str | None = None
    epic_ids: Mapping[str, str] = field(default_factory=dict)


_SCORE_ROLES = {name: role for role, names in SCORE_FIELD_NAMES.items() for name in names}


def discover_fields(raw_fields: Iterable[Raw], overrides: JiraFieldIds | None = None) -> JiraFieldIds:
    """Find the story point, sprint, epic link and prioritisation fields by name (or plugin type) in ``/field``;
    ``overrides`` win. A prioritisation input is a custom field: a system field of that name is not one."""
    found: dict[str, str] = {}
    for f in _objects(raw_fields, "/field"):
        name = str(f.get("name", "")).strip().casefold()
        custom = str(_object_or_empty(f.get("schema")).get("custom", ""))
        field_id = f.get("id")
        if not isinstance(field_id, str):
            continue
        if name == "story points":
            found.setdefault("story_points", field_id)
        elif name == "story point estimate":
            found.setdefault("story_point_estimate", field_id)
        elif custom == _SPRINT_CUSTOM or (name == "sprint" and f.get("custom")):
            found.setdefault("sprint", field_id)
        elif custom == _EPIC_LINK_CUSTOM or name == "epic link":
            found.setdefault("epic_link", field_id)
        elif name in _SCORE_ROLES and f.get("custom"):
            found.setdefault(_SCORE_ROLES[name], field_id)
    given = (overrides or JiraFieldIds()).model_dump(exclude_none=True)
    return JiraFieldIds.model_validate(found | given)


def is_cloud(server_info: Raw) -> bool:
    """Cloud or Server/DC from ``/serverInfo``.

    ``deploymentType`` decides when present. The vendor's own example omits it (and says ``versionNumbers``
    ``[5, 0, 0]``), but its ``version`` is a Cloud build: those are numbered 1000 and up (``1001.0.0-SNAPSHOT``)
    while Server/DC releases are single- or double-digit majors (``9.12.0``).
    """
    deployment = _object(server_info, "jira /serverInfo").get("deploymentType")
    if isinstance(deployment, str):
        return deployment.casefold() == "cloud"
    major = str(server_info.get("version", "")).split(".", 1)[0]
    return major.isascii() and major.isdigit() and int(major) >= 1000


def user_time_zone(myself: Raw) -> str:
    zone = _object(myself, "jira /myself").get("timeZone")
    if not isinstance(zone, str) or not zone:
        raise BadDataError("jira /myself has no timeZone; JQL dates could not be rendered in the user's time zone")
    return zone


# --------------------------------------------------------------------------------------------------- primitives


def _object(value: Any, what: str) -> Raw:
    if not isinstance(value, dict):
        raise BadDataError(f"{what}: expected a JSON object, got {shape.kind_of(value)}")
    return value


def _object_or_empty(value: Any) -> Raw:
    """``value`` when it is an object; an optional sub-object of another kind reads as absent."""
    return value if isinstance(value, dict) else {}


def _objects(values: Any, what: str) -> list[Raw]:
    """The objects of a JSON array; an entry of another kind is no object the listing could mean."""
    if not isinstance(values, list):
        raise BadDataError(f"{what}: expected a JSON array, got {shape.kind_of(values)}")
    return [value for value in values if isinstance(value, dict)]


def issue_fields(raw: Any) -> Raw:
    """An issue's ``fields`` object; empty when the payload has none (:func:`map_issue` rejects it, by name)."""
    return _object_or_empty(_object_or_empty(raw).get("fields"))


def parse_datetime(value: Any, what: str) -> datetime:
    """Jira's ``2024-01-05T10:01:52.971+0100`` (also ``+01:00``, ``Z``) or epoch seconds/milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise BadDataError(f"{what} is not an instant a calendar holds: {value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        elif len(text) > 5 and text[-5] in "+-" and text[-4:].isascii() and text[-4:].isdigit():
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    raise BadDataError(f"{what} is not a Jira datetime with an offset: {value!r}")


def _parse_date(value: Any, what: str) -> date | None:
    """``2010-07-06``; ``/project/{key}/versions`` sends epoch milliseconds instead (read as a UTC date)."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_datetime(value, what).date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadDataError(f"{what} is not a date: {value!r}") from None


def adf_to_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format tree; block nodes end lines, ``hardBreak`` breaks them.

    https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
    """
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date", "inlineCard"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or "")
    children = node.get("content") or []
    if kind in ("bulletList", "orderedList", "doc", "blockquote", "panel", "table", "tableRow", "expand"):
        return "\n".join(t for t in (adf_to_text(c) for c in children) if t)
    text = "".join(adf_to_text(c) for c in children)
    if kind == "listItem":
        return f"- {text}"
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return adf_to_text(value)
    return str(value)


def _person(user: Any) -> str | None:
    """The name a PM knows a person by; the account id (Cloud) or login (Server/DC) when none is shown."""
    if not isinstance(user, dict):
        return None
    for attr in ("displayName", "accountId", "name", "key"):
        value = user.get(attr)
        if isinstance(value, str) and value:
            return value
    return None


def _number(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadDataError(f"{what} is not a number: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadDataError(f"{what} is not a number: {value!r}") from None


def sprint_ids(value: Any, field_id: str | None = None) -> list[str]:
    """Native sprint ids from the sprint field: objects (Cloud, DC 8+) or GreenHopper strings (old Server)."""
    if value is None:
        return []
    found: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict) and entry.get("id") is not None:
            found.append(str(entry["id"]))
        elif isinstance(entry, int | str) and str(entry).isascii() and str(entry).isdigit():
            found.append(str(entry))
        elif isinstance(entry, str) and (match := _SERVER_SPRINT_ID.search(entry)):
            found.append(match.group(1))
        else:
            where = f"sprint field {field_id}" if field_id else "sprint field"
            raise BadDataError(f"{where} entry not understood: {str(entry)[:80]!r}")
    return found


def status_category_key(status: Raw) -> str | None:
    """``statusCategory.key`` from an issue's status, or from the ``statuses/search`` upper-case name."""
    category = status.get("statusCategory")
    if isinstance(category, dict):
        key = category.get("key")
        return str(key) if key is not None else None
    if isinstance(category, str):
        return _CATEGORY_NAMES.get(category.upper(), category)
    return None


def map_status(project: str, status: Raw, rules: StatusRules, resolution: str | None = None) -> Status:
    """Category of a Jira status object; an unmapped one raises :class:`schema.UnmappedStatusError`."""
    name = _object(status, "jira status").get("name")
    if not isinstance(name, str) or not name:
        raise BadDataError(f"status has no name: {dict(status)!r:.120}")
    return jira_status(project, name, status_category_key(status), rules, resolution)


def work_item_type(issuetype: Any) -> WorkItemType:
    """The type of an ``issuetype`` object (anything else is a plain issue)."""
    issuetype = _object_or_empty(issuetype)
    name = str(issuetype.get("name", ""))
    known = _TYPES.get(name.casefold())
    if known is not None:
        return known
    if issuetype.get("subtask") is True:
        return WorkItemType.SUBTASK
    if issuetype.get("hierarchyLevel") == 1:
        return WorkItemType.EPIC
    return WorkItemType.ISSUE


def _browse(ctx: MappingContext, key: str) -> str | None:
    return f"{ctx.base_url}/browse/{key}" if ctx.base_url else None


# ------------------------------------------------------------------------------------------------------ issues

_REQUIRED_ISSUE_FIELDS = ("issuetype", "status", "summary", "created", "updated")


def map_issue(raw: Raw, ctx: MappingContext, remote_urls: Iterable[str] = ()) -> WorkItem:
    """A search/get/webhook ``issue`` object → :class:`WorkItem`."""
    native_id = _object(raw, "jira issue").get("id")
    key = raw.get("key")
    fields = raw.get("fields")
    if not isinstance(native_id, str | int) or not isinstance(key, str) or not isinstance(fields, dict):
        what = "jira issue without id, key and fields (`id`, `key`, `fields`)"
        raise BadDataError(what, native_id=str(native_id)[:40] if native_id else None)
    nid = str(native_id)
    missing = [name for name in _REQUIRED_ISSUE_FIELDS if fields.get(name) in (None, "")]
    if missing:
        raise BadDataError(f"jira issue {key} is missing fields: {', '.join(missing)}", native_id=nid)
    try:
        return _issue(raw, nid, key, fields, ctx, remote_urls)
    except BadDataError as exc:
        raise BadDataError(f"jira issue {key}: {exc}", native_id=nid) from exc


def _issue(raw: Raw, nid: str, key: str, fields: Raw, ctx: MappingContext, remote_urls: Iterable[str]) -> WorkItem:
    project = str(_object_or_empty(fields.get("project")).get("key") or key.rsplit("-", 1)[0])
    issuetype = shape.obj(fields, "issuetype", "fields")
    resolution = shape.optional(shape.string, _object_or_empty(fields.get("resolution")), "name", "fields.resolution")
    parent_id, epic_id = _parents(fields, ctx, key)
    resolved = fields.get("resolutiondate")
    fid = ctx.fields
    return WorkItem(
        id=ids.jira(ctx.site, "issue", nid),
        source=SourceRef(tool=Tool.JIRA, instance=ctx.site, native_id=nid, key=key, url=_browse(ctx, key)),
        updated=parse_datetime(fields["updated"], "`fields.updated`"),
        type=work_item_type(issuetype),
        type_original=str(issuetype.get("name", "")),
        title=shape.text(fields, "summary", "fields"),
        description=_text(fields.get("description")),
        status=map_status(project, shape.obj(fields, "status", "fields"), ctx.rules, resolution),
        parent_id=parent_id,
        epic_id=epic_id,
        assignee=_person(fields.get("assignee")),
        labels=tuple(str(label) for label in shape.array(fields, "labels", "fields")),
        priority=shape.optional(shape.string, _object_or_empty(fields.get("priority")), "name", "fields.priority"),
        story_points=_story_points(fields, fid),
        sprint_ids=tuple(ids.jira(ctx.site, "sprint", s) for s in sprint_ids(fields.get(fid.sprint), fid.sprint))
        if fid.sprint
        else (),
        release_ids=tuple(ids.jira(ctx.site, "version", v) for v in _fix_versions(fields)),
        remote_urls=tuple(remote_urls),
        score_fields=_score_fields(fields, fid),
        created=parse_datetime(fields["created"], "`fields.created`"),
        resolved=parse_datetime(resolved, "`fields.resolutiondate`") if resolved else None,
    )


def _fix_versions(fields: Raw) -> list[str]:
    found = []
    for version in shape.array(fields, "fixVersions", "fields"):
        if not isinstance(version, dict):
            raise BadDataError(f"`fields.fixVersions` must hold version objects, got {shape.kind_of(version)}")
        found.append(shape.ident(version, "id", "fields.fixVersions"))
    return found


def _story_points(fields: Raw, fid: JiraFieldIds) -> float | None:
    for field_id in (fid.story_points, fid.story_point_estimate):
        if field_id and fields.get(field_id) not in (None, ""):
            return _number(fields[field_id], f"story points (`{field_id}`)")
    return None


def _score_fields(fields: Raw, fid: JiraFieldIds) -> dict[str, str]:
    """The prioritisation inputs an issue has, as text: a number (``80``, ``2.5``), a select list's option value
    (``{"value": "High"}`` → ``High``), or a string; empty fields are left out."""
    found = {}
    for role, field_id in fid.scores().items():
        value = fields.get(field_id)
        if isinstance(value, dict):
            value = value.get("value", value.get("name"))
        if isinstance(value, bool) or value in (None, ""):
            continue
        found[role] = f"{value:g}" if isinstance(value, int | float) else str(value)
    return found


def _parents(fields: Raw, ctx: MappingContext, key: str) -> tuple[str | None, str | None]:
    """(parent_id, epic_id): ``parent`` is the epic when it is one (team-managed, current Cloud), else the
    sub-task's parent; company-managed sites name the epic by key in the Epic Link field, resolved through
    ``ctx.epic_ids`` (an epic this source cannot see leaves ``epic_id`` empty)."""
    parent_id = epic_id = None
    parent = fields.get("parent")
    if isinstance(parent, dict) and parent.get("id") is not None:
        pid = ids.jira(ctx.site, "issue", shape.ident(parent, "id", "fields.parent"))
        if work_item_type(issue_fields(parent).get("issuetype")) is WorkItemType.EPIC:
            epic_id = pid
        else:
            parent_id = pid
    if epic_id is None and ctx.fields.epic_link:
        epic_key = fields.get(ctx.fields.epic_link)
        if isinstance(epic_key, str) and epic_key:
            native = ctx.epic_ids.get(epic_key)
            epic_id = ids.jira(ctx.site, "issue", native) if native is not None else None
    return parent_id, epic_id


def epic_link_keys(raw_issues: Iterable[Raw], fields: JiraFieldIds) -> set[str]:
    """Epic keys named by the Epic Link field of ``raw_issues`` (to resolve to ids before mapping)."""
    if not fields.epic_link:
        return set()
    found = set()
    for issue in raw_issues:
        value = issue_fields(issue).get(fields.epic_link)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def remote_link_urls(raw_links: Iterable[Raw]) -> list[str]:
    """URLs of ``/issue/{key}/remotelink`` entries (e.g. GitHub pull requests)."""
    objects = (_object_or_empty(link.get("object")) for link in _objects(raw_links, "jira remote links"))
    return [url for found in objects if isinstance(url := found.get("url"), str) and url]


# --------------------------------------------------------------------------------------------------- changelogs


def changelog_histories(payload: Raw) -> list[Raw]:
    """Histories from any changelog shape: ``issue.changelog``, ``/issue/{key}/changelog`` (``values``),
    ``/changelog/list`` and the search ``expand=changelog`` block (``histories``)."""
    answer = _object(payload, "jira changelog")
    histories = answer.get("histories", answer.get("values"))
    if not isinstance(histories, list):
        raise BadDataError("jira changelog without `histories` or `values` arrays")
    return histories


def search_histories(issue: Raw) -> list[Any]:
    """The histories of a search issue's ``changelog`` block (``expand=changelog``); none without one."""
    histories = _object_or_empty(issue.get("changelog")).get("histories")
    return histories if isinstance(histories, list) else []


def changelog_truncated(issue: Raw) -> bool:
    """True when the search page carried only part of an issue's changelog (Cloud keeps the newest 40 or 100)."""
    changelog = _object_or_empty(issue).get("changelog")
    if not isinstance(changelog, dict):
        return False
    histories = changelog.get("histories")
    total = changelog.get("total")
    return isinstance(total, int) and total > (len(histories) if isinstance(histories, list) else 0)


def map_histories(site: str, issue_id: str, histories: Iterable[Raw]) -> list[StatusChange]:
    """Status transitions of one issue; histories changing other fields give nothing."""
    item_id = ids.jira(site, "issue", issue_id)
    changes = []
    for history in histories:
        history = _object(history, f"jira changelog of issue {issue_id}: an entry of `histories` (or `values`)")
        history_id = history.get("id")
        # fieldId is "status" where present; older Server deliveries only name the field ("status" / "Status")
        status_items = [
            item
            for item in shape.array(history, "items", "changelog history")
            if isinstance(item, dict) and "status" in (item.get("fieldId"), str(item.get("field", "")).casefold())
        ]
        if not status_items:
            continue
        if history_id is None:
            raise BadDataError(f"jira changelog history of issue {issue_id} has no id", native_id=issue_id)
        at = parse_datetime(history.get("created"), f"changelog {history_id} created")
        for index, item in enumerate(status_items):
            native = f"{history_id}" if index == 0 else f"{history_id}.{index}"
            to_status = shape.text(item, "toString", f"changelog {history_id} items")
            from_status = shape.optional(shape.string, item, "fromString", f"changelog {history_id} items")
            changes.append(
                StatusChange(
                    id=ids.jira(site, "status_change", native),
                    source=SourceRef(tool=Tool.JIRA, instance=site, native_id=native),
                    updated=at,
                    item_id=item_id,
                    author=_person(history.get("author")),
                    from_status=from_status or None,
                    to_status=to_status,
                )
            )
    return changes


def webhook_status_changes(payload: Raw, site: str) -> list[StatusChange]:
    """Status changes of a ``jira:issue_updated`` delivery: its ``changelog`` has no time of its own, the
    delivery's ``timestamp`` (epoch ms) is when it happened and ``user`` who did it."""
    issue = _object_or_empty(_object(payload, "jira delivery").get("issue"))
    changelog = payload.get("changelog")
    if not isinstance(changelog, dict) or issue.get("id") is None:
        return []
    at = parse_datetime(payload.get("timestamp"), "the delivery's `timestamp`")
    history = {**changelog, "created": at.isoformat(), "author": payload.get("user")}
    return map_histories(site, shape.ident(issue, "id", "issue"), [history])


def bulk_changelogs(payload: Raw) -> dict[str, list[Raw]]:
    """``POST /changelog/bulkfetch`` answer → histories per issue id."""
    result: dict[str, list[Raw]] = {}
    for entry in shape.array(_object(payload, "jira changelog bulk fetch"), "issueChangeLogs"):
        entry = _object(entry, "jira changelog bulk fetch: `issueChangeLogs` entry")
        issue_id = shape.ident(entry, "issueId", "issueChangeLogs")
        result.setdefault(issue_id, []).extend(shape.array(entry, "changeHistories", "issueChangeLogs"))
    return result


# --------------------------------------------------------------------------------------------- versions, sprints


def map_version(raw: Raw, site: str, project: str, observed: datetime) -> Release:
    """A project version → :class:`Release`. Versions carry no ``updated``: ``observed`` (when it was read) is used."""
    native = _object(raw, "jira version").get("id")
    name = raw.get("name")
    if native is None or not isinstance(name, str):
        raise BadDataError("jira version without id and name", native_id=str(native) if native else None)
    nid = str(native)
    self_url = raw.get("self")
    # "self" is the REST resource; people open the version's page under the site root.
    page = f"{self_url.split('/rest/', 1)[0]}/projects/{project}/versions/{nid}" if isinstance(self_url, str) else None
    return Release(
        id=ids.jira(site, "version", nid),
        source=SourceRef(tool=Tool.JIRA, instance=site, native_id=nid, url=page),
        updated=observed,
        release_kind=ReleaseKind.JIRA_VERSION,
        name=name,
        project=project,
        description=str(raw.get("description") or ""),
        released=bool(raw.get("released", False)),
        archived=bool(raw.get("archived", False)),
        start_date=_parse_date(raw.get("startDate"), f"version {nid} startDate"),
        release_date=_parse_date(raw.get("releaseDate"), f"version {nid} releaseDate"),
    )


def map_sprint(raw: Raw, site: str, observed: datetime) -> Sprint:
    """An agile sprint → :class:`Sprint` (``updated`` is ``observed``: the agile API has no change time)."""
    native = _object(raw, "jira sprint").get("id")
    name = raw.get("name")
    state = raw.get("state")
    if native is None or not isinstance(name, str) or not isinstance(state, str):
        raise BadDataError("jira sprint without id, name and state", native_id=str(native) if native else None)
    nid = str(native)

    def when(attr: str) -> datetime | None:
        value = raw.get(attr)
        return parse_datetime(value, f"sprint {nid} {attr}") if value else None

    board = raw.get("originBoardId")
    return Sprint(
        id=ids.jira(site, "sprint", nid),
        source=SourceRef(tool=Tool.JIRA, instance=site, native_id=nid, url=shape.optional(shape.string, raw, "self")),
        updated=observed,
        name=name,
        state=state.lower(),
        board_id=str(board) if board is not None else None,
        goal=str(raw.get("goal") or ""),
        start=when("startDate"),
        end=when("endDate"),
        completed=when("completeDate"),
    )
