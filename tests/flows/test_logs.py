"""pmhub's own log lines land in the Prefect run logs of the flow (and task) that wrote them, and only there."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

from flows.logs import logs_to_run
from flows.sync_flow import sync_flow
from sandbox.runner import Sandbox
from tests.conftest import start_sandbox


@pytest.fixture
def flaky_sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox("tiny", faults="github:GET /repos/*/milestones=503x1")
    yield sb
    sb.stop()


@pytest.mark.slow
def test_retries_and_stream_summaries_show_in_the_run_logs_without_a_token(
    prefect_harness: None, flaky_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pmhub.toml"
    config.write_text(flaky_sandbox.config_toml(f"sqlite:///{tmp_path / 'pmhub.db'}"), encoding="utf-8")
    for key, value in flaky_sandbox.environment().items():
        monkeypatch.setenv(key, value)
    state = sync_flow(config=str(config), source="github", return_state=True)
    assert state.is_completed()
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    ours = [log for log in logs if log.name.startswith("pmhub.")]
    retries = [log for log in ours if log.message.startswith("retrying in")]
    assert len(retries) == 1
    assert retries[0].task_run_id is not None, "a task's retry belongs to that task's run"
    summaries = {log.message.split(":")[0] for log in ours if log.name == "pmhub.sync.engine"}
    assert summaries == {f"github/{s}" for s in ("issues", "pull_requests", "milestones", "releases", "checks")}
    assert all(log.level >= logging.INFO for log in ours)
    token = flaky_sandbox.environment()["PMHUB_SANDBOX_GITHUB_TOKEN"]
    assert not any(token in log.message for log in logs)


def test_outside_a_flow_the_run_handler_is_gone_and_the_level_restored() -> None:
    root = logging.getLogger("pmhub")
    before = (list(root.handlers), root.level)
    with logs_to_run():
        assert any(isinstance(h, APILogHandler) for h in root.handlers)
        assert root.getEffectiveLevel() <= logging.INFO
    assert (list(root.handlers), root.level) == before
