"""Run the whole sandbox: Jira, GitHub and the analytics stand-ins over one seeded world, on 127.0.0.1.

``with Sandbox(SandboxOptions(seed=7)) as sb:`` starts every server on its own port (0 = the OS picks), shares one
fault plan and one webhook sender between them, and exposes their base URLs and the credentials they accept.
``sb.config_toml(store_url)`` is a pmhub.toml pointing at it (sources, products, guardrails, the roadmap the world
seeds, a status page login); ``sb.environment()`` the variables that config names.
``SandboxOptions(tls=TlsFiles(cert, key))`` serves every service over HTTPS with that certificate (for clients that
insist on ``https://``). ``pmhub sandbox`` is this class in the foreground.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from starlette.types import ASGIApp

from sandbox.analytics import create_sandbox as create_analytics
from sandbox.analytics.data import AnalyticsOptions
from sandbox.analytics.sources import source_configs, sources_toml
from sandbox.faults import FaultPlan
from sandbox.github.app import create_app as create_github
from sandbox.github.core import DEFAULT_TOKENS, GitHubOptions
from sandbox.jira.app import create_app as create_jira
from sandbox.jira.options import DEFAULT_API_TOKEN, JiraOptions
from sandbox.webhooks import WebhookSender
from sandbox.world import Scale, World, build_world
from serving import ServedApp

ENV_PREFIX = "PMHUB_SANDBOX_"
WEB_USER = "pm"
WEB_PASSWORD = "sandbox-web-password"  # noqa: S105 - a published sandbox credential, like the tokens


@dataclass(frozen=True)
class TlsFiles:
    """A PEM certificate (chain) and its private key."""

    certfile: Path
    keyfile: Path


@dataclass(frozen=True)
class SandboxOptions:
    seed: int = 7
    scale: Scale = field(default_factory=Scale)
    now: datetime | None = None
    faults: str = ""
    jira_flavour: Literal["cloud", "server"] = "cloud"
    jira_software: bool = True  # False: a Jira site without Jira Software, whose agile API answers 404
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=dict)  # service -> port; missing = 0 (any free port)
    tls: TlsFiles | None = None


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None, world: World | None = None) -> None:
        self.options = options or SandboxOptions()
        self.world = world or build_world(self.options.seed, self.options.scale, self.options.now)
        self.faults = FaultPlan.parse(self.options.faults, seed=self.options.seed)
        self.webhooks = WebhookSender()
        self.jira_login = self.world.people[0]
        self.analytics_options = AnalyticsOptions()
        analytics = create_analytics(self.world, self.analytics_options, self.faults)
        self.apps: dict[str, ASGIApp] = {
            "jira": create_jira(
                self.world,
                JiraOptions(
                    flavour=self.options.jira_flavour,
                    jira_software=self.options.jira_software,
                    faults=self.faults,
                    on_event=self._jira_event,
                    register_webhook=self._jira_webhook,
                ),
            ),
            "github": create_github(self.world, GitHubOptions(webhooks=self.webhooks, faults=self.faults)),
        }
        self.apps.update({str(tool): app for tool, app in analytics.apps.items()})
        self.analytics_data = analytics.data
        tls = self.options.tls
        self.servers = {
            name: ServedApp(
                app,
                host=self.options.host,
                port=self.options.ports.get(name, 0),
                ssl_certfile=tls.certfile if tls else None,
                ssl_keyfile=tls.keyfile if tls else None,
            )
            for name, app in self.apps.items()
        }

    def _jira_event(self, event: str, payload: dict[str, Any]) -> None:
        self.webhooks.send_jira(event, payload)

    def _jira_webhook(self, url: str, secret: str | None) -> None:
        self.webhooks.register("jira", url, secret)

    @property
    def urls(self) -> dict[str, str]:
        return {name: served.url for name, served in self.servers.items()}

    def start(self) -> Sandbox:
        for served in self.servers.values():
            served.start()
        return self

    def stop(self) -> None:
        for served in self.servers.values():
            served.stop()
        self.webhooks.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what clients need -----------------------------------------------------------------------------------

    def credentials(self) -> dict[str, dict[str, str]]:
        a = self.analytics_options
        return {
            "jira": {"email": self.jira_login.email, "api_token": DEFAULT_API_TOKEN},
            "github": {"token": next(iter(DEFAULT_TOKENS))},
            "posthog": {"api_key": a.posthog_api_key},
            "amplitude": {"secret_key": a.amplitude_secret_key},
            "mixpanel": {"username": a.mixpanel_username, "secret": a.mixpanel_secret},
        }

    def environment(self) -> dict[str, str]:
        """The variables the generated config names, with the sandbox's credentials."""
        creds = self.credentials()
        return {
            f"{ENV_PREFIX}JIRA_TOKEN": creds["jira"]["api_token"],
            f"{ENV_PREFIX}GITHUB_TOKEN": creds["github"]["token"],
            **source_configs(self.analytics_data, self.urls, ENV_PREFIX)[1],
            f"{ENV_PREFIX}WEB_PASSWORD": WEB_PASSWORD,
        }

    def ready_info(self) -> dict[str, Any]:
        return {
            "urls": self.urls,
            "credentials": self.credentials(),
            "environment": self.environment(),
            "products": [
                {"name": p.name, "jira_project": p.jira_project, "repo": p.repo} for p in self.world.products
            ],
            "seed": self.options.seed,
        }

    def write_ready_file(self, path: Path) -> None:
        path.write_text(json.dumps(self.ready_info(), indent=2), encoding="utf-8")

    def config_toml(self, store_url: str = "sqlite:///.pmhub/pmhub.db") -> str:
        """A pmhub.toml for this sandbox; tokens come from :meth:`environment`."""
        w = self.world
        projects = ", ".join(f'"{p.jira_project}"' for p in w.products)
        repos = ", ".join(f'"{p.repo}"' for p in w.products)
        lines = [
            "# pmhub.toml for the local sandbox (`pmhub sandbox`). Export the tokens it names first:",
            *(f"#   export {k}={v}" for k, v in self.environment().items()),
            "",
            "[store]",
            f'url = "{store_url}"',
            "",
            "[sources.jira]",
            'kind = "jira"',
            f'url = "{self.urls["jira"]}"',
            f'site = "{w.site}"',
            f'email = "{self.jira_login.email}"',
            f'token_env = "{ENV_PREFIX}JIRA_TOKEN"',
            f"projects = [{projects}]",
            "",
            "[sources.github]",
            'kind = "github"',
            f'base_url = "{self.urls["github"]}"',
            f'token_env = "{ENV_PREFIX}GITHUB_TOKEN"',
            f"repos = [{repos}]",
        ]
        lines += sources_toml(self.analytics_data, self.urls, ENV_PREFIX).splitlines()
        for product in w.products:
            lines += [
                "",
                f'[products."{_slug(product.name)}"]',
                f'jira_project = "{product.jira_project}"',
                f'repo = "{product.repo}"',
            ]
        lines += self._reconcile_toml() + self._guardrails_toml() + self._roadmap_toml() + self._planning_toml()
        lines += ["", "[web]", f'basic_users = {{ {WEB_USER} = "{ENV_PREFIX}WEB_PASSWORD" }}   # the status page login']
        return "\n".join(lines) + "\n"

    def _roadmap_toml(self) -> list[str]:
        """The roadmap items the world seeds (one on track, one at risk, one done, per pair of products)."""
        lines: list[str] = []
        for goal in self.world.roadmap:
            links = ", ".join(f'"{link}"' for link in goal.links)
            lines += [
                "",
                f'[roadmap."{goal.key}"]',
                f'title = "{goal.title}"',
                f'owner = "{goal.owner}"',
                f"target_date = {goal.target_date.isoformat()}",
                f"links = [{links}]",
            ]
        return lines

    def _analytics_of(self) -> dict[str, dict[str, Any]]:
        """Per Jira project, the config of the first analytics source that measures its product."""
        found: dict[str, dict[str, Any]] = {}
        for name, config in source_configs(self.analytics_data, self.urls, ENV_PREFIX)[0].items():
            product = next(p for p in self.world.products if name.endswith(_slug(p.name)))
            found.setdefault(product.jira_project, config)
        return found

    def _planning_toml(self) -> list[str]:
        """The objectives, prioritisation and launch reviews the world seeds (see sandbox.world)."""
        measured = self._analytics_of()
        lines: list[str] = []
        for goal in self.world.objectives:
            source = measured[goal.product.jira_project]
            roadmap = ", ".join(f'"{key}"' for key in goal.roadmap)
            lines += [
                "",
                f'[objectives."{goal.key}"]',
                f'title = "{goal.title}"',
                f'owner = "{goal.owner}"',
                f"roadmap = [{roadmap}]",
                f'kpi = {{ metric = "{goal.metric}", op = "{goal.op}", target = {goal.target:g}, by = {goal.by}, '
                f'tool = "{source["kind"]}", project = "{source["project_id"]}" }}',
            ]
        methods = ", ".join(f'"{_slug(p.name)}" = "{p.score_method}"' for p in self.world.products)
        lines += ["", "[priorities]", 'method = "rice"', f"methods = {{ {methods} }}"]
        lines += ["", "[launch_review]", "before_days = 14", "after_days = 14", "settle_days = 3"]
        for product in self.world.products:
            source = measured[product.jira_project]
            for metric in ("activation_rate", "daily_active_users"):
                lines += [
                    "",
                    "[[launch_review.metrics]]",
                    f'metric = "{metric}"',
                    f'tool = "{source["kind"]}"',
                    f'project = "{source["project_id"]}"',
                    f'applies_to = ["{product.jira_project}"]',
                ]
        return lines

    def _reconcile_toml(self) -> list[str]:
        """Which status each project's workflow calls "back in progress" and "done"."""
        projects = self.world.jira_projects.values()
        return [
            "",
            "[reconcile.reopen_status]",
            *(f'{p.key} = "{p.first_in("indeterminate").name}"' for p in projects),
            '"*" = "In Progress"',
            "",
            "[reconcile.done_status]",
            *(f'{p.key} = "{p.first_in("done").name}"' for p in projects),
            '"*" = "Done"',
        ]

    def _guardrails_toml(self) -> list[str]:
        """Error rate and activation guardrails per product, from the first analytics source that measures it."""
        lines: list[str] = []
        for project, config in self._analytics_of().items():
            scope = "\n".join(
                (
                    f'tool = "{config["kind"]}"',
                    f'project = "{config["project_id"]}"',
                    f'applies_to = ["{project}"]',
                )
            )
            lines += [
                "",
                "[[readiness.guardrails]]",
                'metric = "error_rate"\nop = "<="\nthreshold = 0.02\nlag_days = 1',
                scope,
                "",
                "[[readiness.guardrails]]",
                'metric = "activation_rate"\nop = ">="\nbaseline_pct = 90\ncurrent_days = 3\nlag_days = 2',
                scope,
            ]
        return lines


def _slug(name: str) -> str:
    return "-".join(name.lower().split())
