"""Configuration of one Jira source (``[sources.<name>]`` with ``kind = "jira"`` in pmhub.toml)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The prioritisation inputs a site may keep in custom fields (RICE, WSJF), by role: the names they are found by
SCORE_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "reach": ("reach",),
    "impact": ("impact",),
    "confidence": ("confidence",),
    "effort": ("effort",),
    "business_value": ("business value", "user-business value", "user business value"),
    "time_criticality": ("time criticality",),
    "risk_reduction": ("risk reduction", "risk reduction/opportunity enablement", "rr/oe", "rr|oe"),
    "job_size": ("job size",),
}


class JiraFieldIds(BaseModel):
    """Custom field ids (``customfield_10016`` …) when discovery by name from ``/field`` is not wanted.

    Sites often carry both story point fields: "Story Points" (company-managed projects) and "Story point
    estimate" (team-managed); an issue's points are read from whichever of the two it has. The prioritisation
    inputs (``reach`` … ``job_size``) are found by the names in :data:`SCORE_FIELD_NAMES`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    story_points: str | None = Field(None, description='The "Story Points" field.')
    story_point_estimate: str | None = Field(None, description='The "Story point estimate" field (team-managed).')
    sprint: str | None = Field(None, description='The "Sprint" field.')
    epic_link: str | None = Field(None, description='The "Epic Link" field (company-managed).')
    reach: str | None = Field(None, description='RICE: the "Reach" field.')
    impact: str | None = Field(None, description='RICE: the "Impact" field.')
    confidence: str | None = Field(None, description='RICE: the "Confidence" field.')
    effort: str | None = Field(None, description='RICE: the "Effort" field.')
    business_value: str | None = Field(None, description='WSJF: the "Business Value" field.')
    time_criticality: str | None = Field(None, description='WSJF: the "Time Criticality" field.')
    risk_reduction: str | None = Field(None, description='WSJF: the "Risk Reduction" field.')
    job_size: str | None = Field(None, description='WSJF: the "Job Size" field.')

    def scores(self) -> dict[str, str]:
        """The prioritisation fields this site has: role → field id."""
        return {role: field_id for role in SCORE_FIELD_NAMES if (field_id := getattr(self, role))}

    def custom(self) -> list[str]:
        ids = (self.story_points, self.story_point_estimate, self.sprint, self.epic_link, *self.scores().values())
        return [f for f in ids if f]


class JiraSourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["jira"] = "jira"
    url: str = Field(
        description="Base URL of the site, e.g. https://acme.atlassian.net or https://jira.example.com/jira"
    )
    email: str | None = Field(None, description="Account e-mail: basic auth with an API token (Cloud). Omit for a PAT.")
    token_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the API token (Cloud) or personal access token.",
    )
    projects: list[str] = Field(min_length=1, description="Project keys to sync.")
    flavour: Literal["auto", "cloud", "server"] = Field("auto", description="auto: decided by /serverInfo.")
    site: str | None = Field(None, description="Site name used in record ids; defaults to the URL's host and path.")
    fields: JiraFieldIds = Field(default_factory=JiraFieldIds)
    overlap_minutes: int = Field(5, ge=0, description="Re-read window before the cursor (JQL is minute-precise).")
    page_size: int = Field(100, ge=1, le=5000, description="Issues per search page (Jira caps it per site).")
    census_page_size: int = Field(5000, ge=1, le=5000, description="Ids per page of the id-only census listing.")
    census_interval_minutes: float = Field(
        60.0, ge=0, description="Least time between two listings of every issue id (finds deletes); 0: every run."
    )
    remote_links: bool = Field(
        False,
        description="Read each synced issue's remote links (e.g. GitHub PR URLs) for linking; Jira has no bulk read, "
        "so this costs one request per issue read.",
    )
    timeout_seconds: float = Field(30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://acme.atlassian.net")
        return value.rstrip("/")

    @field_validator("projects")
    @classmethod
    def _project_keys(cls, value: list[str]) -> list[str]:
        bad = [key for key in value if not key or not key.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"not Jira project keys: {', '.join(map(repr, bad))}")
        return [key.upper() for key in value]

    @property
    def site_name(self) -> str:
        if self.site:
            return self.site.lower()
        parts = urlsplit(self.url)
        return (parts.netloc + parts.path).lower()
