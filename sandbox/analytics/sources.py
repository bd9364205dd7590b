"""pmhub configuration for the analytics stand-ins: ``[sources.*]`` entries and the environment they name.

Each tool serves one product (PostHog the first, Amplitude the second, Mixpanel the first again when there are only
two), with the metrics a PM watches around a launch: daily active users, activation rate, errors and error rate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sandbox.analytics.data import AnalyticsData, AnalyticsProject

METRICS: tuple[dict[str, Any], ...] = (
    {"name": "daily_active_users", "event": "app_opened", "measure": "uniques"},
    {"name": "activation_rate", "event": "activated", "measure": "uniques", "divide_by": "signed_up"},
    {"name": "errors", "event": "error"},
    {"name": "error_rate", "event": "error", "divide_by": "app_opened"},
)


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def source_configs(
    data: AnalyticsData, urls: Mapping[str, str], env_prefix: str = "PMHUB_"
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``({source name: config}, {env var: value})`` for ``urls`` (tool → base URL of its running stand-in)."""
    options, sources, env = data.options, {}, {}
    tools = ("posthog", "amplitude", "mixpanel")
    for index, tool in enumerate(tools):
        project: AnalyticsProject = data.projects[index % len(data.projects)]
        slug = _slug(project.product)
        key_env = f"{env_prefix}{tool.upper()}_{slug.upper().replace('-', '_')}_KEY"
        secret_env = f"{env_prefix}{tool.upper()}_SECRET"
        project_id, key, secret = {
            "posthog": (project.posthog_id, options.posthog_api_key, None),
            "amplitude": (project.amplitude_id, project.amplitude_api_key, options.amplitude_secret_key),
            "mixpanel": (project.mixpanel_id, options.mixpanel_username, options.mixpanel_secret),
        }[tool]
        config: dict[str, Any] = {
            "kind": tool,
            "base_url": urls[tool],
            "project_id": str(project_id),
            "api_key_env": key_env,
            "metrics": [dict(m) for m in METRICS],
        }
        env[key_env] = key
        if secret is not None:
            config["secret_env"], env[secret_env] = secret_env, secret
        sources[f"{tool}-{slug}"] = config
    return sources, env


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def sources_toml(data: AnalyticsData, urls: Mapping[str, str], env_prefix: str = "PMHUB_") -> str:
    """The ``[sources.*]`` tables of :func:`source_configs` as pmhub.toml text."""
    lines: list[str] = []
    for name, config in source_configs(data, urls, env_prefix)[0].items():
        lines += ["", f"[sources.{name}]"]
        lines += [f"{k} = {_toml(v)}" for k, v in config.items() if k != "metrics"]
        for metric in config["metrics"]:
            lines += ["", f"[[sources.{name}.metrics]]", *(f"{k} = {_toml(v)}" for k, v in metric.items())]
    return "\n".join(lines) + "\n"
