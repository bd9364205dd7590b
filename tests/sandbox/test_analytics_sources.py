"""The pmhub.toml fragment for the analytics stand-ins validates and reads the sandbox with the environment it names."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

from connectors.analytics.config import AnalyticsSourceConfig
from connectors.analytics.source import AnalyticsSource
from sandbox.analytics import create_sandbox
from sandbox.analytics.sources import source_configs, sources_toml
from sandbox.world import build_world
from schema import MetricPoint
from serving import ServedApp

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_generated_sources_validate_and_read_the_sandbox_with_the_named_environment() -> None:
    sandbox = create_sandbox(build_world(now=NOW))
    with (
        ServedApp(sandbox.apps["posthog"]) as posthog,
        ServedApp(sandbox.apps["amplitude"]) as amplitude,
        ServedApp(sandbox.apps["mixpanel"]) as mixpanel,
    ):
        urls = {"posthog": posthog.url, "amplitude": amplitude.url, "mixpanel": mixpanel.url}
        parsed = tomllib.loads(sources_toml(sandbox.data, urls))["sources"]
        expected, env = source_configs(sandbox.data, urls)
        assert parsed == expected
        assert sorted(parsed) == ["amplitude-mobile-app", "mixpanel-checkout", "posthog-checkout"]
        for name, raw in parsed.items():
            config = AnalyticsSourceConfig.model_validate(raw)
            secret = env[config.secret_env] if config.secret_env else None
            source = AnalyticsSource(name, config, env[config.api_key_env], secret, clock=lambda: NOW)
            page = next(iter(source.streams()[0].pages(None)))
            point = page.records[-1].record
            assert isinstance(point, MetricPoint)
            product = next(
                p.product for p in sandbox.data.projects if name.endswith(p.product.lower().replace(" ", "-"))
            )
            day = point.bucket.date()
            assert point.value == sandbox.data.value(product, "app_opened", day, "uniques")
