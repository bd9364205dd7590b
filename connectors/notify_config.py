"""``[notify.<name>]`` in pmhub.toml: one delivery target of :mod:`connectors.notify`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

NotifyEvent = Literal["readiness", "digest"]
Audience = Literal["team", "leadership"]


class NotifyTarget(BaseModel):
    """Where reports go: an apprise URL (Slack, Teams, mailto …) read from the environment, or a comment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["apprise", "jira_comment", "github_comment"] = "apprise"
    url_env: str | None = Field(None, description="Env var holding the apprise URL (it embeds secrets).")
    target: str | None = Field(None, description="Jira issue key or 'owner/repo#number' for comment targets.")
    format: Literal["summary", "full"] = "summary"
    events: tuple[NotifyEvent, ...] = ("readiness", "digest")
    audience: Audience = Field(
        "team", description="The digest's depth: team (the whole status) or leadership (one screen)."
    )
