"""``pmhub webhooks register``: the webhook registration of every configured repository and Jira site.

:func:`plan_registrations` builds, without any I/O, one :class:`Registration` per GitHub repository and per Jira
source, pointing at ``serve.public_url`` + ``/webhooks/<tool>`` with the events the receiver handles; ``describe()``
prints it (the secret is named by its environment variable, never shown). :func:`apply_registrations` performs
them through the REST APIs and is idempotent: a hook already pointing at the same URL is updated, not duplicated.

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
from urllib.parse import quote, urlencode

import requests
from pydantic import SecretStr

from connectors.github.config import GitHubSourceConfig
from connectors.jira.config import JiraSourceConfig
from hub.settings import Settings, secret
from hub.web.apply import GITHUB_EVENTS as HANDLED_GITHUB_EVENTS
from hub.web.config import WebhookSettings
from schema import ConfigError

# every event the receiver handles; GitHub sends ``ping`` to a new hook by itself, it is no subscription
GITHUB_EVENTS = tuple(sorted(HANDLED_GITHUB_EVENTS - {"ping"}))
JIRA_EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "jira:version_created",
    "jira:version_updated",
    "jira:version_released",
    "jira:version_unreleased",
    "jira:version_deleted",
    "sprint_created",
    "sprint_updated",
    "sprint_started",
    "sprint_closed",
    "sprint_deleted",
)
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
                    GITHUB_EVENTS,
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
                    JIRA_EVENTS,
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


class _Api:
    """One authenticated ``requests`` session for a source; errors name the call, never the credentials."""

    def __init__(self, session: requests.Session, base: str, timeout: float) -> None:
        self._session = session
        self._base = base
        self._timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self._session.request(method, self._base + path, json=body, timeout=self._timeout)
        if answer.status_code >= 400:
            raise ConfigError(f"{method} {path} answered {answer.status_code}: {answer.text[:200]}")
        return answer.json() if answer.content else None


def _github(plan: Registration, config: GitHubSourceConfig) -> Applied:
    session = requests.Session()
    token = _required(config.token_env, f"source {plan.source}").get_secret_value()
    session.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
    )
    api = _Api(session, config.base_url, config.timeout_seconds)
    owner, repo = plan.scope.split("/", 1)
    path = f"/repos/{quote(owner)}/{quote(repo)}/hooks"
    hook_secret = _required(plan.secret_env, "webhooks.github_secret_env").get_secret_value()
    body = {
        "name": "web",
        "active": True,
        "events": list(plan.events),
        "config": {"url": plan.target_url, "content_type": "json", "secret": hook_secret, "insecure_ssl": "0"},
    }
    existing = next(
        (h for h in api.call("GET", path) or [] if (h.get("config") or {}).get("url") == plan.target_url), None
    )
    if existing is not None:
        api.call("PATCH", f"{path}/{existing['id']}", {k: body[k] for k in ("active", "events", "config")})
        return Applied(plan, "updated", str(existing["id"]))
    created = api.call("POST", path, body)
    return Applied(plan, "created", str(created["id"]))


def _jira(plan: Registration, config: JiraSourceConfig) -> Applied:
    session = requests.Session()
    token = _required(config.token_env, f"source {plan.source}").get_secret_value()
    if config.email:
        session.auth = (config.email, token)
    else:
        session.headers["Authorization"] = f"Bearer {token}"
    api = _Api(session, config.url, config.timeout_seconds)
    url = plan.target_url
    body: dict[str, Any] = {
        "name": HOOK_NAME,
        "events": list(plan.events),
        "filters": {"issue-related-events-section": f"project in ({', '.join(config.projects)})"},
        "excludeBody": False,
    }
    if plan.secret_env:
        body["secret"] = _required(plan.secret_env, "webhooks.jira_secret_env").get_secret_value()
    else:
        url_token = _required(plan.url_token_env, "webhooks.jira_url_token_env").get_secret_value()
        url = f"{url}?{urlencode({'token': url_token})}"
    body["url"] = url
    listed = api.call("GET", "/rest/webhooks/1.0/webhook") or []
    existing = next((h for h in listed if str(h.get("url", "")).split("?", 1)[0] == plan.target_url), None)
    if existing is not None:
        hook_id = str(existing.get("self", "")).rstrip("/").rsplit("/", 1)[-1]
        api.call("PUT", f"/rest/webhooks/1.0/webhook/{hook_id}", body)
        return Applied(plan, "updated", hook_id)
    created = api.call("POST", "/rest/webhooks/1.0/webhook", body) or {}
    return Applied(plan, "created", str(created.get("self", "")).rstrip("/").rsplit("/", 1)[-1])


def apply_registrations(settings: Settings, plans: list[Registration]) -> list[Applied]:
    """Create or update each planned webhook; stops at the first refusal (a :class:`ConfigError` naming it)."""
    done = []
    for plan in plans:
        config = settings.sources[plan.source]
        if isinstance(config, GitHubSourceConfig):
            done.append(_github(plan, config))
        elif isinstance(config, JiraSourceConfig):
            done.append(_jira(plan, config))
    return done
