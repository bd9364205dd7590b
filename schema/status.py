"""Status categories and the rules that map each tool's own status onto them.

Jira maps by ``statusCategory.key`` (new / indeterminate / done) unless a per-project override names the status;
GitHub maps by ``state``, ``state_reason`` and, for pull requests, ``merged_at``. A value no rule covers raises
:class:`UnmappedStatusError` naming the config key to add — pmhub never guesses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schema.errors import UnmappedStatusError


class StatusCategory(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Status(BaseModel):
    """A normalised category beside the tool's own status name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: StatusCategory
    original: str


# https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-workflow-status-categories/
_JIRA_CATEGORY_KEYS = {
    "new": StatusCategory.TODO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}

DEFAULT_CANCELLED_RESOLUTIONS = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "cancelled", "canceled"}
)


class StatusRules(BaseModel):
    """Configurable parts of status mapping (``[status_map]`` in pmhub.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    jira: dict[str, dict[str, StatusCategory]] = Field(
        default_factory=dict, description="Per Jira project key: status name -> category; '*' applies to all."
    )
    cancelled_resolutions: frozenset[str] = Field(
        default=DEFAULT_CANCELLED_RESOLUTIONS,
        description="Jira resolutions (case-insensitive) that turn a done status into cancelled.",
    )


def _override(overrides: Mapping[str, Mapping[str, StatusCategory]], project: str, name: str) -> StatusCategory | None:
    for scope in (project, "*"):
        table = overrides.get(scope, {})
        for status_name, category in table.items():
            if status_name.casefold() == name.casefold():
                return category
    return None


def jira_status(
    project: str,
    name: str,
    category_key: str | None,
    rules: StatusRules,
    resolution: str | None = None,
) -> Status:
    category = _override(rules.jira, project, name)
    if category is None:
        category = _JIRA_CATEGORY_KEYS.get(category_key or "")
    if category is None:
        raise UnmappedStatusError("jira", f"{name} (statusCategory {category_key})", f"status_map.jira.{project}")
    if category is StatusCategory.DONE and resolution and resolution.casefold() in rules.cancelled_resolutions:
        category = StatusCategory.CANCELLED
    return Status(category=category, original=name)


def github_issue_status(state: str, state_reason: str | None) -> Status:
    """Map an issue's ``state``/``state_reason`` (https://docs.github.com/en/rest/issues/issues)."""
    if state == "open":
        return Status(category=StatusCategory.TODO, original="open")
    if state == "closed":
        if state_reason in (None, "completed"):
            return Status(category=StatusCategory.DONE, original="closed")
        if state_reason in ("not_planned", "duplicate"):
            return Status(category=StatusCategory.CANCELLED, original=f"closed ({state_reason})")
    raise UnmappedStatusError("github", f"{state}/{state_reason}", "status_map.github")


def github_pr_status(state: str, merged_at: datetime | None, draft: bool = False) -> Status:
    """Merged decides: ``merged_at`` set means merged whatever ``state`` says."""
    if merged_at is not None:
        return Status(category=StatusCategory.DONE, original="merged")
    if state == "open":
        return Status(category=StatusCategory.IN_PROGRESS, original="draft" if draft else "open")
    if state == "closed":
        return Status(category=StatusCategory.CANCELLED, original="closed")
    raise UnmappedStatusError("github", f"pull request state {state}", "status_map.github")
