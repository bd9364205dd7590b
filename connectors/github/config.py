"""Configuration of one GitHub source (``[sources.<name>]`` with ``kind = "github"`` in pmhub.toml).

The token itself never lives here: ``token_env`` names the environment variable that holds it, and every message
about a refused credential quotes that name, not the value.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ReleaseRefs(BaseModel):
    """Which refs the ``checks`` stream reads check runs and commit statuses for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_branch: bool = Field(default=True, description="The head of the repository's default branch.")
    releases: bool = Field(
        default=True,
        description="Release refs: the tag and target branch (the candidate) of every draft and pre-release, and "
        "the tags of the newest published releases.",
    )
    published: int = Field(
        default=2,
        ge=0,
        description="How many of the newest published releases keep their tag's checks read; an older tag keeps "
        "the checks last read while its release exists.",
    )
    extra: tuple[str, ...] = Field(default=(), description="More branches or tags, e.g. 'release/2.4'.")


class GitHubSourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["github"] = "github"
    base_url: str = Field(
        default="https://api.github.com",
        description="REST API root; GitHub Enterprise Server uses https://<host>/api/v3.",
    )
    token_env: str = Field(default="GITHUB_TOKEN", description="Name of the environment variable holding the token.")
    repos: tuple[str, ...] = Field(min_length=1, description="Repositories as 'owner/name'.")
    release_refs: ReleaseRefs = Field(default_factory=ReleaseRefs)
    per_page: int = Field(default=100, ge=1, le=100)
    max_rate_limit_wait_seconds: float = Field(
        default=900.0,
        ge=0,
        description="Longest wait for a rate limit to reset; beyond it the run stops and the next one resumes.",
    )
    census_interval_minutes: float = Field(
        default=60.0,
        ge=0,
        description="Least time between two listings of every issue and PR number (deletes, transfers); 0: every run.",
    )
    timeout_seconds: int = Field(default=30, ge=1, description="Per request, connect and read.")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("base_url must start with https:// (or http:// for a local sandbox)")
        return value.rstrip("/")

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError("token_env is the NAME of an environment variable (e.g. GITHUB_TOKEN), not the token")
        return value

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [repo for repo in value if not _REPO.match(repo)]
        if bad:
            raise ValueError(f"repos must be 'owner/name': {', '.join(bad)}")
        lowered = [repo.lower() for repo in value]
        if len(set(lowered)) != len(lowered):
            raise ValueError("repos lists the same repository twice")
        return value
