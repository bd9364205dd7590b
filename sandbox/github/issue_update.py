"""The body of REST ``PATCH /repos/{o}/{r}/issues/{n}`` ("Update an issue"), read and checked, and applied.

Fields: ``title``, ``body`` (null clears it), ``state`` (open | closed) with ``state_reason`` (used only when the
state changes; closing defaults to ``completed``), ``labels`` (names or ``{"name"}`` objects; replaces the set),
``milestone`` (a number or null), ``assignees`` / ``assignee`` (the sandbox keeps one assignee per issue) and
``type`` (an issue type name of the organisation, or null). A pull request can be edited through it too, except for
its assignee and type. A value GitHub would refuse is a 422 ``Validation Failed`` naming the field.
https://docs.github.com/en/rest/issues/issues#update-an-issue
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.github.core import ApiError, invalid
from sandbox.github.render import ISSUE_TYPES, Item
from sandbox.github.store import KEEP, GitHubStore, Keep, RepoState
from sandbox.world import GitHubIssue, PullRequest

_REASONS = ("completed", "not_planned", "duplicate", "reopened")


@dataclass(frozen=True)
class IssueUpdate:
    title: str | None = None  # None: unchanged
    body: str | None = None
    labels: list[str] | None = None
    state: str | None = None
    state_reason: str | None = None
    milestone: int | Keep | None = KEEP
    assignee: str | Keep | None = KEEP
    issue_type: str | Keep | None = KEEP

    @classmethod
    def read(cls, payload: dict[str, Any], state: RepoState, item: Item, logins: set[str]) -> IssueUpdate:
        is_issue = isinstance(item, GitHubIssue)
        return cls(
            title=_title(payload),
            body=_body(payload),
            labels=_labels(payload),
            state=_choice(payload, "state", ("open", "closed")),
            state_reason=_choice(payload, "state_reason", _REASONS),
            milestone=_milestone(payload, state),
            assignee=_assignee(payload, logins, is_issue),
            issue_type=_issue_type(payload, is_issue),
        )

    def edits(self, item: Item) -> bool:
        """True if a field other than the state would change."""
        return (
            (self.title is not None and self.title != item.title)
            or (self.body is not None and self.body != item.body)
            or (self.labels is not None and self.labels != item.labels)
            or (self.milestone is not KEEP and self.milestone != item.milestone)
            or (self.assignee is not KEEP and self.assignee != getattr(item, "assignee", None))
            or (self.issue_type is not KEEP and self.issue_type != getattr(item, "issue_type", None))
        )

    def apply(self, store: GitHubStore, state: RepoState, item: Item) -> list[str]:
        """Change the item; returns the webhook actions the change causes, in order."""
        closing = self.state == "closed" and item.state == "open"
        reopening = self.state == "open" and item.state == "closed"
        if reopening and isinstance(item, PullRequest) and item.merged_at:
            error = {"resource": "Issue", "field": "state", "code": "custom"}
            raise ApiError(422, "Validation Failed", errors=[error])
        actions = []
        if self.edits(item):
            retitled = self.title not in (None, item.title) or self.body not in (None, item.body)
            actions += ["edited"] if retitled else []
            store.edit(
                state,
                item,
                self.title,
                self.body,
                self.labels,
                milestone=self.milestone,
                assignee=self.assignee,
                issue_type=self.issue_type,
            )
        if closing:
            store.close(state, item, self.state_reason if self.state_reason not in (None, "reopened") else "completed")
            actions.append("closed")
        elif reopening:
            store.reopen(state, item)
            actions.append("reopened")
        return actions


def _title(payload: dict[str, Any]) -> str | None:
    value = payload.get("title")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise invalid("title", str(value))
    return str(value)


def _body(payload: dict[str, Any]) -> str | None:
    if "body" not in payload:
        return None
    value = payload["body"]
    if value is not None and not isinstance(value, str):
        raise invalid("body", str(value))
    return value or ""


def _labels(payload: dict[str, Any]) -> list[str] | None:
    value = payload.get("labels")
    if value is None:
        return None
    names = [x.get("name") if isinstance(x, dict) else x for x in value] if isinstance(value, list) else [None]
    return list(dict.fromkeys(_label_name(n, value) for n in names))


def _label_name(name: object, value: object) -> str:
    if not isinstance(name, str) or not name:
        raise invalid("labels", str(value))
    return name


def _choice(payload: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = payload.get(name)
    if value is not None and value not in allowed:
        raise invalid(name, str(value))
    return value


def _milestone(payload: dict[str, Any], state: RepoState) -> int | Keep | None:
    if "milestone" not in payload:
        return KEEP
    value = payload["milestone"]
    if value is None:
        return None
    number = int(value) if isinstance(value, int | str) and str(value).isdigit() else None
    if number is None or number not in state.repo.milestones:
        raise invalid("milestone", str(value))
    return number


def _assignee(payload: dict[str, Any], logins: set[str], is_issue: bool) -> str | Keep | None:
    if "assignees" in payload:
        value = payload["assignees"]
        if not isinstance(value, list) or len(value) > 1:
            raise invalid("assignees", str(value))  # the sandbox keeps one assignee per issue
        wanted = value[0] if value else None
    elif "assignee" in payload:
        wanted = payload["assignee"]
    else:
        return KEEP
    if not is_issue or (wanted is not None and wanted not in logins):
        raise invalid("assignees", str(wanted))
    return str(wanted) if wanted is not None else None


def _issue_type(payload: dict[str, Any], is_issue: bool) -> str | Keep | None:
    if "type" not in payload:
        return KEEP
    value = payload["type"]
    if value is not None and (not is_issue or value not in ISSUE_TYPES):
        raise invalid("type", str(value))
    return None if value is None else str(value)
