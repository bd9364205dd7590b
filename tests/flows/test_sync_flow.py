"""The pmhub-sync flow: its logic through plain functions, and one real run on Prefect's test harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.sync_flow import stream_plan, summary_markdown, sync_flow, sync_stream_task
from hub.settings import load_settings
from sandbox.runner import Sandbox
from schema import ConfigError, SyncFailedError
from sync.store import Store


def _config(sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "pmhub.toml"
    config.write_text(sb.config_toml(f"sqlite:///{tmp_path / 'pmhub.db'}"), encoding="utf-8")
    for key, value in sb.environment().items():
        monkeypatch.setenv(key, value)
    return config


def test_stream_plan_lists_every_source_and_stream_without_io(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_settings(_config(sandbox, tmp_path, monkeypatch))
    plan = dict(stream_plan(cfg, None))
    assert set(plan) == set(cfg.sources)
    assert plan["jira"] == ["issues", "status_changes", "versions", "sprints"]
    assert plan["github"] == ["issues", "pull_requests", "milestones", "releases", "checks"]
    assert dict(stream_plan(cfg, "github")) == {"github": plan["github"]}


def test_an_unknown_source_name_lists_the_known_ones(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_settings(_config(sandbox, tmp_path, monkeypatch))
    with pytest.raises(ConfigError, match=r"no source named 'gitlab'.*jira, github"):
        stream_plan(cfg, "gitlab")


def test_the_task_logic_syncs_one_stream_when_called_directly(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(sandbox, tmp_path, monkeypatch)
    row = sync_stream_task.fn(str(config), "github", "milestones")
    assert row["error"] is None
    assert row["inserted"] == sum(len(r.milestones) for r in sandbox.world.repos.values())
    again = sync_stream_task.fn(str(config), "github", "milestones")
    assert again["inserted"] == 0


def test_summary_markdown_has_a_row_per_stream_and_names_errors_and_skips() -> None:
    rows = [
        {"source": "jira", "stream": "issues", "pages": 3, "inserted": 240, "updated": 0, "unchanged": 0,
         "rejected": 1, "deleted": 0, "seconds": 1.25, "error": None, "skipped": None},
        {"source": "github", "stream": "issues", "pages": 0, "inserted": 0, "updated": 0, "unchanged": 0,
         "rejected": 0, "deleted": 0, "seconds": 0.1, "error": "401 Bad credentials (GITHUB_TOKEN)", "skipped": None},
        {"source": "jira", "stream": "sprints", "pages": 0, "inserted": 0, "updated": 0, "unchanged": 0,
         "rejected": 0, "deleted": 0, "seconds": 0.0, "error": None, "skipped": "no Jira Software"},
    ]
    table = summary_markdown(rows).splitlines()
    assert len(table) == 5
    assert "| jira | issues | 3 | 240 |" in table[2]
    assert table[2].endswith("| 1.2 |  |")
    assert table[3].endswith("| 401 Bad credentials (GITHUB_TOKEN) |")
    assert table[4].endswith("| no Jira Software |")


@pytest.mark.slow
def test_the_real_flow_syncs_links_and_reports_a_failing_source(
    prefect_harness: None, fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(fresh_sandbox, tmp_path, monkeypatch)
    summary = sync_flow(config=str(config), source=None, full=False)
    assert {row["source"] for row in summary} == set(load_settings(config).sources)
    assert all(row["error"] is None for row in summary)
    store = Store(f"sqlite:///{tmp_path / 'pmhub.db'}")
    assert store.db.counts()["links"] > 0

    monkeypatch.setenv("PMHUB_SANDBOX_GITHUB_TOKEN", "wrong")
    with pytest.raises(SyncFailedError) as caught:
        sync_flow(config=str(config), source=None, full=False)
    failed = {row["source"] for row in caught.value.summary if row["error"]}
    assert failed == {"github"}
    assert "PMHUB_SANDBOX_GITHUB_TOKEN" in str([row["error"] for row in caught.value.summary])
