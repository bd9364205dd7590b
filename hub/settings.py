"""pmhub.toml: the one configuration file, validated as a whole.

The file is found by ``--config``, else ``PMHUB_CONFIG``, else ``./pmhub.toml``. Any value can be overridden from
the environment with ``PMHUB_`` and ``__`` between levels (``PMHUB_STORE__URL=postgresql+psycopg://…``).

Secrets never live in the file: a source names the environment variable that holds its token
(``token_env = "GITHUB_TOKEN"``) and :func:`secret` reads it as a ``SecretStr`` when needed. A bad file fails with
one line per problem — file, key path, what is expected — and never echoes a value that could be a secret.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.github.config import GitHubSourceConfig
from connectors.jira.config import JiraSourceConfig
from connectors.notify_config import NotifyTarget
from hub.web.config import WebAuthSettings, WebhookSettings
from schema import ConfigError, MetricTarget, StatusRules
from sync.launches import LaunchReviewConfig
from sync.linking import DEFAULT_KEY_PATTERN, LinkRules
from sync.objectives import ObjectiveConfig
from sync.priorities import PrioritiesConfig
from sync.readiness import ReadinessConfig
from sync.reconcile.rules import ReconcileConfig
from sync.roadmap import RoadmapConfig
from sync.store.database import RETRY_SECONDS

if TYPE_CHECKING:
    from sync.status import StatusConfig

DEFAULT_CONFIG = Path("pmhub.toml")
DEFAULT_STORE_URL = "sqlite:///.pmhub/pmhub.db"

SourceConfig = Annotated[
    JiraSourceConfig | GitHubSourceConfig | AnalyticsSourceConfig,
    Field(discriminator="kind"),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    url: str = Field(DEFAULT_STORE_URL, description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://…")
    retry_seconds: float = Field(
        RETRY_SECONDS, ge=0, description="How long a store that is restarting or unreachable is retried."
    )


class ScheduleSettings(_Section):
    sync: str = Field("*/15 * * * *", description="Cron for the scheduled sync of every source.")
    digest: str = Field("0 8 * * 1-5", description="Cron for the status digest sent to stakeholders.")
    timezone: str = "UTC"


class RoadmapItemSettings(_Section):
    """One configured roadmap item (``[roadmap.<id>]``)."""

    title: str
    owner: str | None = None
    start_date: date | None = Field(None, description="When its work starts (default: from its linked work).")
    target_date: date | None = None
    links: list[str] = Field(default_factory=list, description="Jira keys/versions, 'owner/repo#n', milestones.")
    metrics: list[MetricTarget] = Field(default_factory=list)


class ProductSettings(_Section):
    """One product: the Jira project and the GitHub repo that carry its work (scopes release matching)."""

    jira_project: str | None = None
    repo: str | None = Field(None, description="GitHub 'owner/name'.")


class LinkingSettings(_Section):
    key_pattern: str = Field(DEFAULT_KEY_PATTERN, description="Regular expression of a Jira issue key.")
    match_milestones_to_versions: bool = True

    @field_validator("key_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class ServeSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    public_url: str | None = Field(None, description="Where Jira/GitHub reach the webhook receiver.")


class Settings(BaseSettings):
    # why: env_prefix applies to the alias too (roadmap_items is read from PMHUB_ROADMAP__…, never from ROADMAP__…):
    # https://docs.pydantic.dev/latest/concepts/pydantic_settings/#environment-variable-names
    model_config = SettingsConfigDict(
        env_prefix="PMHUB_", env_prefix_target="all", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    store: StoreSettings = StoreSettings()
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    status_map: StatusRules = StatusRules()
    schedules: ScheduleSettings = ScheduleSettings()
    notify: dict[str, NotifyTarget] = Field(default_factory=dict)
    # the file's [roadmap.<id>] tables: the items configured by hand (roadmap_rules derives the others)
    roadmap_items: dict[str, RoadmapItemSettings] = Field(default_factory=dict, validation_alias="roadmap")
    products: dict[str, ProductSettings] = Field(default_factory=dict)
    linking: LinkingSettings = LinkingSettings()
    readiness: ReadinessConfig = ReadinessConfig()
    reconcile: ReconcileConfig = ReconcileConfig()
    roadmap_rules: RoadmapConfig = RoadmapConfig()
    serve: ServeSettings = ServeSettings()
    webhooks: WebhookSettings = WebhookSettings()
    web: WebAuthSettings = WebAuthSettings()
    objectives: dict[str, ObjectiveConfig] = Field(default_factory=dict)
    priorities: PrioritiesConfig = PrioritiesConfig()
    launch_review: LaunchReviewConfig = LaunchReviewConfig()

    @model_validator(mode="after")
    def _known_products(self) -> Settings:
        """A product ``[priorities] methods`` names is a ``[products.<name>]``, or a Jira project or repository."""
        known = set(self.products)
        for source in self.sources.values():
            known.update(getattr(source, "projects", ()) or getattr(source, "repos", ()))
        unknown = sorted(set(self.priorities.methods) - known)
        if unknown:
            raise ValueError(
                f"priorities.methods names no product: {', '.join(unknown)}; use a [products.<name>] name, a Jira "
                f"project key or a repository ({', '.join(sorted(known)) or 'none configured'})"
            )
        return self

    def link_rules(self) -> LinkRules:
        pairs = tuple(
            (p.jira_project, p.repo) for p in self.products.values() if p.jira_project is not None and p.repo
        )
        return LinkRules(
            key_pattern=self.linking.key_pattern,
            match_milestones_to_versions=self.linking.match_milestones_to_versions,
            products=pairs,
        )

    def status_config(self) -> StatusConfig:
        """What the status report judges by, from this configuration."""
        from sync.status import StatusConfig  # the status report's modules load only when one is made

        return StatusConfig(
            readiness=self.readiness,
            reconcile=self.reconcile,
            roadmap_items=self.roadmap_items,
            roadmap_rules=self.roadmap_rules,
            objectives=self.objectives,
            priorities=self.priorities,
            products=self.products,
            launch_review=self.launch_review,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first so PMHUB_* overrides the file; the file arrives as init kwargs from load_settings.
        return (env_settings, init_settings)


def config_path(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get("PMHUB_CONFIG") or DEFAULT_CONFIG)


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    kind = error["type"]
    if kind == "extra_forbidden":
        hint = "unknown key; remove it or check its spelling"
        if any(word in loc.lower() for word in ("token", "secret", "password", "key")):
            hint += " (secrets belong in the environment: name the variable with a *_env key)"
        return f"{loc}: {hint}"
    if kind == "missing":
        return f"{loc}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{loc}: {message}" if loc else message


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate pmhub.toml; a missing file gives the defaults (embedded SQLite store, no sources)."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    elif path is not None or os.environ.get("PMHUB_CONFIG"):
        raise ConfigError(f"{file}: no such file; create one with `pmhub init --config {file}`")
    try:
        return Settings(**data)
    except ValidationError as exc:
        problems = [f"{file}: {_describe(e)}" for e in exc.errors(include_input=False, include_url=False)]
        raise ConfigError("\n".join(problems)) from None


def credential_envs(source: BaseModel) -> dict[str, str]:
    """The environment variables a source reads its secrets from: ``{field: VAR_NAME}``."""
    return {
        name: value
        for name, value in source.model_dump().items()
        if name.endswith("_env") and isinstance(value, str)
    }


def secret(env_name: str | None) -> SecretStr | None:
    if not env_name:
        return None
    value = os.environ.get(env_name)
    return SecretStr(value) if value else None


__all__ = [
    "DEFAULT_STORE_URL",
    "LinkingSettings",
    "ProductSettings",
    "RoadmapItemSettings",
    "ScheduleSettings",
    "ServeSettings",
    "Settings",
    "SourceConfig",
    "StoreSettings",
    "config_path",
    "credential_envs",
    "load_settings",
    "secret",
]
