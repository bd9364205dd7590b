"""Configuration of the web app: webhook secrets (``[webhooks]``), who may read the page and how hard guessing is
(``[web]``, ``[web.throttle]``), and which proxies are believed about the client's address and scheme.

Like every pmhub secret, none lives in the file: each ``*_env`` key names the environment variable holding it, read
once when the app is built (:func:`load_secrets`). A receiver without a secret for a tool refuses every delivery of
that tool (401), so an unconfigured app never accepts unsigned writes.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from schema import ConfigError

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


SESSION_KEY_MIN_CHARS = 32


class ThrottleSettings(BaseModel):
    """``[web.throttle]``: failed logins (form, basic, bearer) make the next attempts from that address wait.

    The defaults let a person mistype a few times without noticing, and hold a guesser at one address to about a
    hundred guesses a day instead of hundreds a second."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_failures: int = Field(5, ge=1, description="Failures for one user name from one address before it waits.")
    address_failures: int = Field(
        20, ge=1, description="Failures from one address, whatever the user name, before the address waits."
    )
    first_wait_seconds: int = Field(1, ge=1, description="The first wait; each further failure doubles it.")
    max_wait_seconds: int = Field(900, ge=1, description="The longest wait.")
    forget_seconds: int = Field(900, ge=1, description="Failures are forgotten this long after the last one's wait.")

    @model_validator(mode="after")
    def _ordered(self) -> ThrottleSettings:
        if self.max_wait_seconds < self.first_wait_seconds:
            raise ValueError("max_wait_seconds must be at least first_wait_seconds")
        return self


def _trusted_address(value: str) -> str:
    if value != "*":
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an IP address or network; list the proxies' addresses, e.g. "
                '["127.0.0.1", "10.0.0.0/8"], or "*" when the proxy is the only way in'
            ) from None
    return value


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
    session_key_env: str | None = Field(
        None,
        description=f"Env var with the key that signs session cookies (at least {SESSION_KEY_MIN_CHARS} characters), "
        "so logins survive a restart and are shared by replicas. Without it each process draws its own.",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Addresses (or networks) of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed; from anyone else they are ignored.",
    )
    hsts_include_subdomains: bool = Field(False, description="Add includeSubDomains to Strict-Transport-Security.")
    throttle: ThrottleSettings = ThrottleSettings()

    @field_validator("bearer_token_env", "session_key_env")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        return [_trusted_address(address.strip()) for address in value]

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
    session_key: SecretStr | None = None

    @property
    def page_auth_configured(self) -> bool:
        return self.bearer is not None or bool(self.users)


def _read(env: str | None) -> SecretStr | None:
    value = os.environ.get(env) if env else None
    return SecretStr(value) if value else None


def _session_key(env: str | None) -> SecretStr | None:
    """The shared session key, when one is configured; a configured key that is missing or short is an error, since
    falling back to a key of this process alone would log users out whenever another replica answers."""
    if env is None:
        return None
    key = _read(env)
    if key is None or len(key.get_secret_value()) < SESSION_KEY_MIN_CHARS:
        state = "is not set" if key is None else f"holds fewer than {SESSION_KEY_MIN_CHARS} characters"
        raise ConfigError(
            f"[web] session_key_env: ${env} {state}; export it with the same random value on every replica, "
            "e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return key


def load_secrets(webhooks: WebhookSettings, auth: WebAuthSettings) -> Secrets:
    """The secrets the settings name; :class:`~schema.ConfigError` when a configured session key is unusable."""
    users = {name: secret for name, env in auth.basic_users.items() if (secret := _read(env)) is not None}
    return Secrets(
        github=_read(webhooks.github_secret_env),
        jira=_read(webhooks.jira_secret_env),
        jira_url_token=_read(webhooks.jira_url_token_env),
        bearer=_read(auth.bearer_token_env),
        users=users,
        session_key=_session_key(auth.session_key_env),
    )
