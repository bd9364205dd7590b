"""``pmhub check``'s reach: every configured source asked, through its own client and retry policy, what its
credentials reach (the probes live with each tool: ``connectors.<tool>.access``).

A source whose credentials are not set is not asked; its finding names the variables to export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.access import Finding, Level, must_fix
from connectors.analytics import access as analytics_access
from connectors.analytics.source import AnalyticsSource
from connectors.github import access as github_access
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.http import redact_url
from connectors.jira import access as jira_access
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from hub.settings import Settings, SourceConfig, credential_envs, secret
from hub.sources import build_source


@dataclass(frozen=True)
class SourceAccess:
    name: str
    kind: str
    url: str
    findings: list[Finding]

    @property
    def to_fix(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.FIX]


def check_access(cfg: Settings, today: date) -> list[SourceAccess]:
    return [_check(name, cfg, today) for name in cfg.sources]


def _check(name: str, cfg: Settings, today: date) -> SourceAccess:
    config = cfg.sources[name]
    missing = [var for var in credential_envs(config).values() if secret(var) is None]
    if missing:
        names = " and ".join(f"${var}" for var in missing)
        finding = must_fix("credentials", f"{names} not set", f"export {names} with the source's credentials")
        return SourceAccess(name, config.kind, _url(config), [finding])
    source = build_source(name, cfg)
    if isinstance(source, JiraSource):
        findings = jira_access.probe(source.client, name)
    elif isinstance(source, GitHubSource):
        findings = github_access.probe(source.client, name)
    else:
        assert isinstance(source, AnalyticsSource)
        findings = analytics_access.probe(source.client, today)
    return SourceAccess(name, config.kind, _url(config), findings)


def _url(config: SourceConfig) -> str:
    if isinstance(config, JiraSourceConfig):
        return redact_url(config.url)
    if isinstance(config, GitHubSourceConfig):
        return redact_url(config.base_url)
    return redact_url(config.api_root)
