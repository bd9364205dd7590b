"""Jira webhook payloads for changes made through the sandbox, handed to the ``on_event`` hook.

Shapes follow Jira Cloud deliveries (``../shared/fixtures/jira/webhooks/cloud``): ``timestamp`` (epoch ms),
``webhookEvent``, ``issue_event_type_name``, ``user``, the issue as REST v2 renders it, and ``changelog``.
https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.jira.jql import to_ms
from sandbox.jira.options import JiraOptions
from sandbox.jira.render import View, plain
from sandbox.jira.store import Change, JiraStore
from sandbox.world import JiraIssue, JiraVersion, Person

Json = dict[str, Any]


@dataclass(frozen=True)
class Events:
    store: JiraStore
    options: JiraOptions
    site: str

    def _view(self, actor: Person) -> View:
        zone = ZoneInfo(self.options.time_zones.get(actor.login, "UTC"))
        return View(self.store, self.site, "2", zone, server=self.options.flavour == "server")

    def _emit(self, event: str, body: Json) -> None:
        if self.options.on_event is not None:
            self.options.on_event(event, {"timestamp": to_ms(self.store.clock()), "webhookEvent": event, **body})

    def _issue_event(self, event: str, type_name: str | None, issue: JiraIssue, actor: Person) -> Json:
        view = self._view(actor)
        body: Json = {"user": view.user(actor, self.options.time_zones.get(actor.login, "UTC"))}
        if type_name:
            body["issue_event_type_name"] = type_name
        body["issue"] = plain(view.issue(issue, None))
        return body

    def issue_created(self, issue: JiraIssue, actor: Person) -> None:
        body = self._issue_event("jira:issue_created", "issue_created", issue, actor)
        self._emit("jira:issue_created", body | {"changelog": {"id": str(issue.id * 100), "items": []}})

    def issue_updated(self, issue: JiraIssue, actor: Person, changes: list[Change]) -> None:
        fields = {c.field for c in changes}
        type_name = (
            "issue_resolved"
            if "resolution" in fields
            else ("issue_assigned" if fields == {"assignee"} else "issue_generic")
        )
        body = self._issue_event("jira:issue_updated", type_name, issue, actor)
        changelog = {"id": str(issue.id * 100 + len(issue.changelog)), "items": [View.change(c) for c in changes]}
        self._emit("jira:issue_updated", body | {"changelog": changelog})

    def issue_deleted(self, issue: JiraIssue, actor: Person) -> None:
        self._emit("jira:issue_deleted", self._issue_event("jira:issue_deleted", None, issue, actor))

    def comment_created(self, issue: JiraIssue, index: int, actor: Person) -> None:
        view = self._view(actor)
        summary = view.issue(issue, {"summary", "status", "issuetype", "priority", "project", "assignee"})
        self._emit("comment_created", plain({"comment": view.comment(issue, index), "issue": summary}))

    def version_released(self, version: JiraVersion, actor: Person) -> None:
        self._emit("jira:version_released", {"version": self._view(actor).version(version)})

    def version_updated(self, version: JiraVersion, actor: Person) -> None:
        self._emit("jira:version_updated", {"version": self._view(actor).version(version)})
