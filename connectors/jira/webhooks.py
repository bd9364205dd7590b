"""Jira webhook deliveries: the events pmhub registers for, and what one delivery changes.

:data:`EVENTS` is the one list: registration subscribes the site's admin webhook to exactly these, and the
receiver keeps any other event as ignored. :func:`subject` reads which project (and, through the ``self`` link of
its object, which site) a delivery is about, so the caller can find the source that covers it; :func:`change`
turns it into a :class:`~connectors.base.Change` for that source through the polling mapping, so the two paths
write the same rows and the newer ``updated`` wins whichever arrives last.

- ``jira:issue_created|updated``: the issue (and the status transition its changelog carries). An issue without
  its core fields (some Cloud deliveries) is fetched whole, and so is the issue of a ``comment_*`` delivery, which
  carries only a few of its fields: one read per delivery through :class:`JiraSite`. ``jira:issue_deleted`` marks
  it deleted.
- ``jira:version_*`` and ``sprint_*``: the version or sprint (``*_deleted`` and a merged version: marked deleted);
  a version's project comes from :meth:`JiraSite.version_project`.
- pmhub's own writes: a comment carrying :data:`~connectors.base.COMMENT_MARKER` is ignored; a delivery whose
  ``user`` (a comment's author) is the account of the source's token is applied as pmhub's own change. Version
  and sprint deliveries name nobody (``attributed`` is false).
- A payload that lacks what its event needs raises :class:`schema.BadDataError` naming the field.

The only I/O is behind :class:`JiraSite`: :class:`~connectors.jira.source.JiraSource` reads through its client,
under the retry policy; :class:`ConfigOnly` stands in for a source whose token is not set.
https://developer.atlassian.com/cloud/jira/platform/webhooks/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from connectors import shape
from connectors.base import Change, Mapped, is_pmhub_comment
from connectors.jira import mapping
from connectors.jira.client import JiraAccount
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import ISSUES, SPRINTS, STATUS_CHANGES, VERSIONS
from schema import ConfigError, StatusRules, ids

Json = dict[str, Any]

EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "jira:version_created",
    "jira:version_updated",
    "jira:version_released",
    "jira:version_unreleased",
    "jira:version_merged",
    "jira:version_deleted",
    "sprint_created",
    "sprint_updated",
    "sprint_started",
    "sprint_closed",
    "sprint_deleted",
)
_ISSUE_EVENTS = ("jira:issue_", "comment_")
_CORE_FIELDS = ("issuetype", "status", "summary", "created", "updated")


def handles(event: str) -> bool:
    return event in EVENTS


class JiraSite(Protocol):
    """What translating a delivery may need from the site it came from."""

    @property
    def config(self) -> JiraSourceConfig: ...

    def context(self, raw_issues: Sequence[Json]) -> mapping.MappingContext:
        """The mapping context (custom field ids, epic keys) for these issues."""
        ...

    def fetch_issue(self, issue_id: str) -> Json | None:
        """The whole issue, or ``None`` when the site no longer shows it."""
        ...

    def version_project(self, version: Mapping[str, Any]) -> str | None: ...

    def account(self) -> JiraAccount | None:
        """The account of the source's token (``None``: unknown, so nothing counts as pmhub's own)."""
        ...


@dataclass(frozen=True)
class ConfigOnly:
    """The :class:`JiraSite` of a source whose token is not set: configured field ids only, no reads."""

    config: JiraSourceConfig
    rules: StatusRules

    def context(self, raw_issues: Sequence[Json]) -> mapping.MappingContext:
        site, fields, url = self.config.site_name, self.config.fields, self.config.url
        return mapping.MappingContext(site=site, rules=self.rules, fields=fields, base_url=url)

    def fetch_issue(self, issue_id: str) -> Json | None:
        raise ConfigError(
            f"jira site {self.config.site_name}: this delivery lacks the issue's fields and fetching issue "
            f"{issue_id} needs the token in {self.config.token_env}, which is not set"
        )

    def version_project(self, version: Mapping[str, Any]) -> str | None:
        return self.config.projects[0] if len(self.config.projects) == 1 else None

    def account(self) -> JiraAccount | None:
        return None


@dataclass(frozen=True)
class Subject:
    """Which project a delivery is about (when it names one) and the ``self`` link of its object (names the site)."""

    project: str | None
    link: str | None


def subject(event: str, payload: Json) -> Subject:
    if event.startswith(_ISSUE_EVENTS):
        issue = shape.obj(payload, "issue")
        shape.ident(issue, "id", "issue")
        key = shape.optional(shape.text, issue, "key", "issue")
        fields = shape.optional(shape.obj, issue, "fields", "issue") or {}
        project = (shape.optional(shape.obj, fields, "project", "issue.fields") or {}).get("key")
        if not isinstance(project, str) or not project:
            project = key.rsplit("-", 1)[0] if key and "-" in key else None
        return Subject(project, _link(issue))
    raw = shape.obj(payload, _kind(event))
    shape.ident(raw, "id", _kind(event))
    return Subject(None, _link(raw))


def change(event: str, payload: Json, site: JiraSite, now: datetime) -> Change:
    """What one delivery changes in the store of the source ``site`` belongs to; ``now`` stamps versions and
    sprints, which carry no change time."""
    if event.startswith(_ISSUE_EVENTS):
        return _issue_change(event, payload, site)
    kind = _kind(event)
    raw = shape.obj(payload, kind)
    native_id = shape.ident(raw, "id", kind)
    record_id = ids.jira(site.config.site_name, kind, native_id)
    if event.endswith(("_deleted", "_merged")):  # a merged version is gone; its issues move to the other one
        return Change(deleted=[record_id], attributed=False)
    if kind == "sprint":
        sprint = mapping.map_sprint(raw, site.config.site_name, now)
        return Change({SPRINTS: [Mapped(sprint, raw)]}, attributed=False)
    project = site.version_project(raw)
    if project is None:
        return Change(ignored=f"version {native_id}: its project is not known to the source of {site.config.site_name}")
    version = mapping.map_version(raw, site.config.site_name, project, now)
    return Change({VERSIONS: [Mapped(version, raw)]}, attributed=False)


def _issue_change(event: str, payload: Json, site: JiraSite) -> Change:
    issue = shape.obj(payload, "issue")
    issue_id = shape.ident(issue, "id", "issue")
    # a Server/DC comment arrives as jira:issue_updated with the comment beside the issue
    if event.startswith("comment_"):
        comment: Json | None = shape.obj(payload, "comment")
    else:
        comment = shape.optional(shape.obj, payload, "comment")
    if comment is not None and is_pmhub_comment(comment.get("body")):
        return Change(ignored="pmhub's own comment (it carries the pmhub marker)")
    actor = payload.get("user") or (comment or {}).get("updateAuthor") or (comment or {}).get("author")
    account = site.account() if actor is not None else None
    own = None
    if account is not None and account.acted(actor):
        own = f"made by {account.value}, the account of the token of {site.config.site_name}: pmhub's own change"
    if event == "jira:issue_deleted":
        return Change(deleted=[ids.jira(site.config.site_name, "issue", issue_id)], own=own)
    raw = issue if _complete(issue) else site.fetch_issue(issue_id)
    upserts: dict[str, list[Mapped]] = {}
    if raw is not None:
        upserts[ISSUES] = [Mapped(mapping.map_issue(raw, site.context([raw])), raw)]
    if event == "jira:issue_updated":
        transitions = mapping.webhook_status_changes(payload, site.config.site_name)
        upserts[STATUS_CHANGES] = [Mapped(t, payload) for t in transitions]
    return Change(upserts, own=own, attributed=actor is not None)


def _complete(issue: Json) -> bool:
    fields = issue.get("fields")
    return isinstance(fields, dict) and all(fields.get(name) not in (None, "") for name in _CORE_FIELDS)


def _kind(event: str) -> str:
    return "version" if event.startswith("jira:version_") else "sprint"


def _link(raw: Json) -> str | None:
    link = raw.get("self")
    return link if isinstance(link, str) else None
