"""Wiring: from a validated configuration to connector sources, the store, and which source covers what.

:class:`Sources` is the one answer to "which source covers this repository, Jira project or Jira site": webhook
deliveries, reconciliation write-back (:class:`SourcesWriteBack`) and comment delivery (:func:`comment_posters`)
all ask it, so a change about a repository always goes through the source — and the token — configured for it. A
repository, or a Jira site, listed by two sources is a configuration error naming both (their records would share
ids). Sources are built once each, when first needed; building does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.analytics.source import AnalyticsSource
from connectors.base import Source
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from connectors.notify import CommentKind, CommentPoster, GitHubCommenter, JiraCommenter
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


def _claim(claims: dict[str, str], key: str, name: str, what: str, fix: str) -> None:
    other = claims.setdefault(key, name)
    if other != name:
        raise ConfigError(f"sources.{other} and sources.{name} both cover {what} (their records would clash): {fix}")


def _site_of_link(link: str) -> str:
    """``host/path`` of a REST ``self`` link, to compare with a site name (``host`` and an optional context path)."""
    parts = urlsplit(link)
    return (parts.netloc + parts.path).lower()


class Sources:
    """The configured sources, and which one covers a repository, a Jira project or a Jira site."""

    def __init__(self, cfg: Settings) -> None:
        self.settings = cfg
        self._built: dict[str, Source] = {}
        self._repos: dict[str, str] = {}
        self._sites: dict[str, str] = {}
        self._jira: dict[str, JiraSourceConfig] = {}
        for name, config in cfg.sources.items():
            if isinstance(config, GitHubSourceConfig):
                for repo in config.repos:
                    _claim(self._repos, repo.lower(), name, f"repository {repo}", "list it in one of them")
            elif isinstance(config, JiraSourceConfig):
                fix = "keep one source per site and list every project in it"
                _claim(self._sites, config.site_name, name, f"Jira site {config.site_name}", fix)
                self._jira[name] = config

    # ------------------------------------------------------------------------------------------- which source

    def github_name(self, repo: str) -> str | None:
        return self._repos.get(repo.lower())

    def jira_name(self, *, project: str | None = None, site: str | None = None, link: str | None = None) -> str | None:
        """The Jira source of a site (by name, or by a REST ``self`` link on it) and, when given, its project.

        Without a site that a source covers, the project decides alone when exactly one source lists it; a project
        that several sites list needs the site.
        """
        named = self._sites.get(site.lower()) if site else None
        if named is None and link:
            where = _site_of_link(link)
            named = next(
                (
                    name
                    for name, config in self._jira.items()
                    if where.startswith(config.site_name) or where.startswith(_site_of_link(config.url))
                ),
                None,
            )
        if named is not None:
            return named if project is None or project.upper() in self._jira[named].projects else None
        if project is None:
            return None
        listing = [name for name, config in self._jira.items() if project.upper() in config.projects]
        if len(listing) > 1:
            raise ConfigError(
                f"Jira project {project} is listed by sources {', '.join(listing)}: name its site to choose one"
            )
        return listing[0] if listing else None

    # ------------------------------------------------------------------------------------------- the sources

    def source(self, name: str) -> Source:
        """Source ``name``, built once; a :class:`ConfigError` names the variable when its token is not set."""
        if name not in self._built:
            self._built[name] = build_source(name, self.settings)
        return self._built[name]

    def has_token(self, name: str) -> bool:
        """Whether every credential source ``name`` reads is set (without building it)."""
        return all(secret(env) is not None for env in credential_envs(self.settings.sources[name]).values())

    def github(self, repo: str) -> GitHubSource:
        name = self.github_name(repo)
        if name is None:
            raise ConfigError(f"no GitHub source covers {repo}: add it to the repos of a github [sources.<name>]")
        source = self.source(name)
        assert isinstance(source, GitHubSource)
        return source

    def jira(self, *, project: str | None = None, site: str | None = None) -> JiraSource:
        name = self.jira_name(project=project, site=site)
        if name is None:
            where = f"site {site}" if site else f"project {project}"
            raise ConfigError(f"no Jira source covers {where}: add it to a jira [sources.<name>]")
        source = self.source(name)
        assert isinstance(source, JiraSource)
        return source


class SourcesWriteBack:
    """:class:`sync.reconcile.WriteBack` through :class:`Sources`: a Jira change through the source of its site, a
    GitHub change through the source that covers its repository (and so with that source's token)."""

    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def transition_jira(self, site: str, key: str, to_status: str) -> None:
        self._sources.jira(site=site).transition(key, to_status)

    def comment_jira(self, site: str, key: str, text: str) -> None:
        self._sources.jira(site=site).add_comment(key, text)

    def release_jira_version(self, site: str, version_id: str) -> None:
        self._sources.jira(site=site).release_version(version_id)

    def close_github_issue(self, repo: str, number: int) -> None:
        self._sources.github(repo).close_issue(repo, number)

    def comment_github(self, repo: str, number: int, body: str) -> None:
        self._sources.github(repo).add_comment(repo, number, body)


def comment_posters(sources: Sources) -> dict[CommentKind, CommentPoster]:
    """Comment delivery: a Jira key through the source that lists its project, ``owner/repo#n`` through the source
    that covers the repository."""

    def jira(key: str, text: str) -> str:
        return sources.jira(project=key.rsplit("-", 1)[0]).add_comment(key, text)

    def github(repo: str, number: int, body: str) -> Mapping[str, Any]:
        return sources.github(repo).add_comment(repo, number, body)

    return {"jira_comment": JiraCommenter(jira), "github_comment": GitHubCommenter(github)}
