"""``pmhub webhooks register``: the webhook registration of every configured repository and Jira site.

:func:`plan_registrations` builds, without any I/O, one :class:`Registration` per GitHub repository and per Jira
source, pointing at ``serve.public_url`` + ``/webhooks/<tool>`` with the events the connector's webhooks module
lists (:data:`connectors.github.webhooks.EVENTS`, :data:`connectors.jira.webhooks.EVENTS`); ``describe()`` prints
it (the secret is named by its environment variable, never shown). :func:`apply_registrations` performs them
through each source's client, under its retry policy, and is idempotent: a hook already pointing at the same URL
(found among all of the repository's hooks, every page read) is updated, not duplicated.

- GitHub: ``POST /repos/{owner}/{repo}/hooks`` (or ``PATCH …/hooks/{id}``), content type JSON, the secret from
  ``[webhooks] github_secret_env`` (https://docs.github.com/en/rest/repos/webhooks#create-a-repository-webhook).
  The token needs admin rights on the repository (``admin:repo_hook`` or fine-grained "Webhooks: write").
- Jira: ``POST /rest/webhooks/1.0/webhook`` (or ``PUT …/webhook/{id}``), an admin webhook filtered to the source's
  projects, signed with the secret from ``[webhooks] jira_secret_env``; without one, the URL carries the token from
  ``jira_url_token_env`` (https://developer.atlassian.com/cloud/jira/platform/webhooks/#registering-a-webhook-using-the-jira-rest-api--for-connect-and-oauth-apps-).
  The account needs the Jira administrator permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import SecretStr

from connectors.github import webhooks as github_webhooks
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.jira import webhooks as jira_webhooks
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from hub.settings import Settings, secret
from hub.sources import Sources
from hub.web.config import WebhookSettings
from schema import ConfigError

HOOK_NAME = "pmhub"


@dataclass(frozen=True)
class Registration:
    tool: Literal["github", "jira"]
    source: str
    scope: str  # 'owner/repo', or the Jira projects
    api: str  # the base URL of the tool's API
    target_url: str  # where deliveries go (a Jira URL token is added only when applying)
    events: tuple[str, ...]
    secret_env: str | None
    url_token_env: str | None = None

    def describe(self) -> str:
        signing = f"signed with ${self.secret_env}" if self.secret_env else f"URL token from ${self.url_token_env}"
        where = f"repository {self.scope}" if self.tool == "github" else f"Jira {self.api} (projects {self.scope})"
        return f"{self.tool}: {where} → {self.target_url}; {len(self.events)} events; {signing}"


@dataclass(frozen=True)
class Applied:
    registration: Registration
    action: Literal["created", "updated"]
    hook_id: str


def _public(settings: Settings) -> str:
    public = settings.serve.public_url
    if not public:
        raise ConfigError("serve.public_url is not set: the URL where GitHub and Jira reach this pmhub")
    if not public.startswith(("https://", "http://")):
        raise ConfigError(f"serve.public_url must be an http(s) URL, not {public!r}")
    return public.rstrip("/")


def plan_registrations(settings: Settings, webhooks: WebhookSettings | None = None) -> list[Registration]:
    webhooks = webhooks or getattr(settings, "webhooks", None) or WebhookSettings()
    public = _public(settings)
    plans: list[Registration] = []
    for name, config in settings.sources.items():
        if isinstance(config, GitHubSourceConfig):
            if not webhooks.github_secret_env:
                raise ConfigError("webhooks.github_secret_env is not set: GitHub deliveries must be signed")
            plans += [
                Registration(
                    "github",
                    name,
                    repo,
                    config.base_url,
                    f"{public}/webhooks/github",
                    github_webhooks.EVENTS,
                    webhooks.github_secret_env,
                )
                for repo in config.repos
            ]
        elif isinstance(config, JiraSourceConfig):
            if not webhooks.jira_secret_env and not webhooks.jira_url_token_env:
                raise ConfigError("set webhooks.jira_secret_env (or jira_url_token_env for sites that cannot sign)")
            plans.append(
                Registration(
                    "jira",
                    name,
                    ", ".join(config.projects),
                    config.url,
                    f"{public}/webhooks/jira",
                    jira_webhooks.EVENTS,
                    webhooks.jira_secret_env,
                    None if webhooks.jira_secret_env else webhooks.jira_url_token_env,
                )
            )
    return plans


def _required(env: str | None, what: str) -> SecretStr:
    value = secret(env)
    if value is None:
        raise ConfigError(f"{what}: environment variable {env} is not set")
    return value


def _github(plan: Registration, source: GitHubSource) -> Applied:
    hook_secret = _required(plan.secret_env, "webhooks.github_secret_env").get_secret_value()
    body: dict[str, Any] = {
        "name": "web",
        "active": True,
        "events": list(plan.events),
        "config": {"url": plan.target_url, "content_type": "json", "secret": hook_secret, "insecure_ssl": "0"},
    }
    hooks = source.client.hooks(plan.scope)
    existing = next((h for h in hooks if (h.get("config") or {}).get("url") == plan.target_url), None)
    if existing is not None:
        changes = {k: body[k] for k in ("active", "events", "config")}
        source.client.save_hook(plan.scope, changes, int(existing["id"]))
        return Applied(plan, "updated", str(existing["id"]))
    created = source.client.save_hook(plan.scope, body)
    return Applied(plan, "created", str(created["id"]))


def _hook_id(hook: dict[str, Any]) -> str:
    """A Jira admin webhook's id: the last segment of its ``self`` link."""
    return str(hook.get("self", "")).rstrip("/").rsplit("/", 1)[-1]


def _jira(plan: Registration, source: JiraSource) -> Applied:
    url = plan.target_url
    body: dict[str, Any] = {
        "name": HOOK_NAME,
        "events": list(plan.events),
        "filters": {"issue-related-events-section": f"project in ({', '.join(source.config.projects)})"},
        "excludeBody": False,
    }
    if plan.secret_env:
        body["secret"] = _required(plan.secret_env, "webhooks.jira_secret_env").get_secret_value()
    else:
        url_token = _required(plan.url_token_env, "webhooks.jira_url_token_env").get_secret_value()
        url = f"{url}?{urlencode({'token': url_token})}"
    body["url"] = url
    listed = source.client.webhooks()
    existing = next((h for h in listed if str(h.get("url", "")).split("?", 1)[0] == plan.target_url), None)
    if existing is not None:
        source.client.save_webhook(body, _hook_id(existing))
        return Applied(plan, "updated", _hook_id(existing))
    return Applied(plan, "created", _hook_id(source.client.save_webhook(body)))


def apply_registrations(settings: Settings, plans: list[Registration]) -> list[Applied]:
    """Create or update each planned webhook; stops at the first refusal (a :class:`ConfigError` naming it)."""
    sources = Sources(settings)
    done = []
    for plan in plans:
        source = sources.source(plan.source)
        if isinstance(source, GitHubSource):
            done.append(_github(plan, source))
        elif isinstance(source, JiraSource):
            done.append(_jira(plan, source))
    return done
