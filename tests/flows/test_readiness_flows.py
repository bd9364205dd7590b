"""Readiness and digest flows on the session's Prefect harness, over a store synced from the sandbox."""

from __future__ import annotations

import pytest

from flows.report_flows import digest_flow, readiness_flow, reevaluate_changed
from tests.conftest import Synced


@pytest.fixture
def config(synced: Synced, monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in synced.sandbox.environment().items():
        monkeypatch.setenv(key, value)
    return str(synced.config)


def test_the_readiness_flow_answers_the_verdict_of_one_release(prefect_harness: None, config: str) -> None:
    assert readiness_flow(release="CHK 2.4.0", config=config) == "NO-GO"
    assert readiness_flow(release="2.4.0", project="MOB", config=config) == "GO"
    assert readiness_flow(release="CHK 2.3.1", config=config) == "AT RISK"


def test_the_digest_flow_covers_every_upcoming_release(prefect_harness: None, synced: Synced, config: str) -> None:
    unreleased = [v for v in synced.sandbox.world.versions.values() if not v.released]
    assert digest_flow(config=config, notify=False) == len(unreleased)


def test_reevaluation_reports_only_releases_whose_readiness_changed(config: str) -> None:
    reevaluate_changed.fn(config)  # the first evaluation is the baseline
    assert reevaluate_changed.fn(config) == []
