"""Configuration of the web app: webhook secrets (``[webhooks]``) and who may read the page (``[web]``).

Like every pmhub secret, none lives in the file: each ``*_env`` key names the environment variable holding it, read
once when the app is built (:func:`load_secrets`). A receiver without a secret for a tool refuses every delivery of
that tool (401), so an unconfigured app never accepts unsigned writes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("names an environment variable (e.g. PMHUB_GITHUB_WEBHOOK_SECRET), not the secret itself")
    return value


class WebhookSettings(BaseModel):
    """``[webhooks]``: how deliveries are verified and bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    github_secret_env: str | None = Field(
        "PMHUB_GITHUB_WEBHOOK_SECRET", description="Env var with the secret of the GitHub webhooks (HMAC-SHA256)."
    )
    jira_secret_env: str | None = Field(
        "PMHUB_JIRA_WEBHOOK_SECRET", description="Env var with the secret of the Jira webhooks (X-Hub-Signature)."
    )
    jira_url_token_env: str | None = Field(
        None,
        description="Env var with a token expected as ?token= on /webhooks/jira, for Jira sites that cannot sign "
        "(Server/DC before 10). Used only when no Jira secret is set.",
    )
    max_body_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Larger deliveries are refused with 413 (GitHub caps payloads at 25 MB)."
    )
    retry_seconds: float = Field(30.0, gt=0, description="Wait before a failed delivery is applied again.")
    max_attempts: int = Field(5, ge=1, description="Attempts to apply a delivery before it stays failed.")
    debounce_seconds: float = Field(2.0, ge=0, description="Quiet time before affected releases are re-evaluated.")

    @field_validator("github_secret_env", "jira_secret_env", "jira_url_token_env")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _env_name(value)


class WebAuthSettings(BaseModel):
    """``[web]``: who may read the status page and ``/api``. With nothing configured, nobody may."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bearer_token_env: str | None = Field(None, description="Env var with a token accepted as 'Authorization: Bearer'.")
    basic_users: dict[str, str] = Field(
        default_factory=dict, description="User name → env var with that user's password (basic auth, login form)."
    )
    trusted_user_header: str | None = Field(
        None,
        description="Header an authenticating reverse proxy sets to the user name (e.g. X-Forwarded-User). Only "
        "safe when the app is reachable through that proxy alone.",
    )
    session_hours: float = Field(12.0, gt=0, description="Lifetime of a login form session.")

    @field_validator("bearer_token_env")
    @classmethod
    def _bearer(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("basic_users")
    @classmethod
    def _users(cls, value: dict[str, str]) -> dict[str, str]:
        for name, env in value.items():
            if not name or ":" in name:
                raise ValueError(f"user name {name!r} must be non-empty and without ':'")
            _env_name(env)
        return value


@dataclass(frozen=True)
class Secrets:
    """The secrets the configuration names, read from the environment (missing or empty ones are ``None``)."""

    github: SecretStr | None = None
    jira: SecretStr | None = None
    jira_url_token: SecretStr | None = None
    bearer: SecretStr | None = None
    users: dict[str, SecretStr] = field(default_factory=dict)

    @property
    def page_auth_configured(self) -> bool:
        return self.bearer is not None or bool(self.users)


def _read(env: str | None) -> SecretStr | None:
    value = os.environ.get(env) if env else None
    return SecretStr(value) if value else None


def load_secrets(webhooks: WebhookSettings, auth: WebAuthSettings) -> Secrets:
    users = {name: secret for name, env in auth.basic_users.items() if (secret := _read(env)) is not None}
    return Secrets(
        github=_read(webhooks.github_secret_env),
        jira=_read(webhooks.jira_secret_env),
        jira_url_token=_read(webhooks.jira_url_token_env),
        bearer=_read(auth.bearer_token_env),
        users=users,
    )
