"""Wiring: from a validated configuration to connector sources and the store."""

from __future__ import annotations

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.analytics.source import AnalyticsSource
from connectors.base import Source
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from hub.settings import Settings, credential_envs, secret
from schema import ConfigError
from sync.store import Store


def open_store(cfg: Settings) -> Store:
    return Store(cfg.store.url, retry_seconds=cfg.store.retry_seconds)


def _token(name: str, env: str) -> str:
    value = secret(env)
    if value is None:
        raise ConfigError(f"source {name!r}: environment variable {env} is not set; export it with the token")
    return value.get_secret_value()


def build_source(name: str, cfg: Settings) -> Source:
    """The connector for ``[sources.<name>]``; does no I/O until a stream is read."""
    try:
        config = cfg.sources[name]
    except KeyError:
        raise ConfigError(f"no source named {name!r} in the configuration") from None
    envs = credential_envs(config)
    if isinstance(config, JiraSourceConfig):
        return JiraSource(name, config, cfg.status_map, _token(name, envs["token_env"]))
    if isinstance(config, GitHubSourceConfig):
        return GitHubSource(name, config, _token(name, envs["token_env"]))
    assert isinstance(config, AnalyticsSourceConfig)
    secret_value = _token(name, config.secret_env) if config.secret_env else None
    return AnalyticsSource(name, config, _token(name, config.api_key_env), secret_value)
