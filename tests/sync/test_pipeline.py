"""The whole pipeline over real HTTP: sandbox → connectors → engine → store → links, as a user runs it."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub.service import status_report
from hub.settings import load_settings
from hub.sources import build_source
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.world import ExpectedLink, Scale
from schema import Link, PullRequest, Release, ReleaseKind, Tool, WorkItem, ids
from schema.readiness import Outcome
from sync.engine import relink, sync_source
from sync.store import Store
from tests.conftest import Synced, sync_into

ROOT = Path(__file__).resolve().parents[2]


def _expected_pair(sb: Sandbox, link: ExpectedLink) -> tuple[str, str]:
    """An ExpectedLink of the world as (from record id, to record id) in the store's id scheme."""
    site = sb.world.site
    if link.from_id.startswith("jira-version:"):
        version = link.from_id.split(":", 1)[1]
        _, repo, number = link.to_key.split(":")
        return ids.jira(site, "version", version), ids.github(repo, "milestone", number)
    issue = sb.world.jira_issues[link.to_key]
    return link.from_id, ids.jira(site, "issue", issue.id)


def test_full_sync_lands_the_whole_world(synced: Synced) -> None:
    world, store = synced.sandbox.world, synced.store
    assert all(r.ok for r in synced.results), [r.error for r in synced.results]
    jira = [r for r in store.records.iter(kind="work_item", tool=Tool.JIRA) if isinstance(r, WorkItem)]
    github = [r for r in store.records.iter(kind="work_item", tool=Tool.GITHUB) if isinstance(r, WorkItem)]
    prs = [r for r in store.records.iter(kind="pull_request") if isinstance(r, PullRequest)]
    releases = [r for r in store.records.iter(kind="release") if isinstance(r, Release)]
    assert len(jira) == len(world.jira_issues)
    assert len(github) == sum(len(r.issues) for r in world.repos.values())
    assert len(prs) == sum(len(r.pulls) for r in world.repos.values())
    versions = [r for r in releases if r.release_kind is ReleaseKind.JIRA_VERSION]
    assert len(versions) == len(world.versions)
    by_key = {i.source.key: i for i in jira}
    for key, issue in list(world.jira_issues.items())[::17]:
        got = by_key[key]
        assert got.title == issue.summary
        assert got.status.original == issue.status
        assert got.story_points == issue.story_points
        assert got.updated == issue.updated.replace(microsecond=got.updated.microsecond)


def test_linking_finds_exactly_the_seeded_links(synced: Synced) -> None:
    expected = {_expected_pair(synced.sandbox, link) for link in synced.sandbox.world.expected_links}
    found = {(r.from_id, r.to_id) for r in synced.store.records.iter(kind="link") if isinstance(r, Link)}
    assert found - expected == set(), "precision: links the world did not seed"
    assert expected - found == set(), "recall: seeded links not found"


def test_every_link_keeps_its_evidence(synced: Synced) -> None:
    links = [r for r in synced.store.records.iter(kind="link") if isinstance(r, Link)]
    assert links
    for link in links:
        assert link.evidence_field in {"title", "head_ref", "body", "remote_link", "description", "name"}
        assert link.evidence_text


def test_a_second_run_changes_nothing_and_github_answers_304(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sync_into(fresh_sandbox, tmp_path, monkeypatch)
    assert all(r.ok for r in first.results)
    before = first.store.db.counts()
    cfg = first.settings
    again = [sync_source(first.store, build_source(name, cfg)) for name in cfg.sources]
    assert all(r.ok for r in again)
    for result in again:
        for stream in result.streams:
            assert stream.inserted == 0, (result.source, stream.stream)
            assert stream.updated == 0, (result.source, stream.stream)
    github = next(r for r in again if r.source == "github")
    assert github.stats.not_modified >= 1
    assert first.store.db.counts()["records"] == before["records"]
    linked = relink(first.store, cfg.link_rules())
    assert linked.current  # nothing linking reads changed, so the links were not recomputed
    assert linked.kept == first.store.db.counts()["links"] > 0


def test_one_bad_token_stops_only_that_source(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = sync_into(fresh_sandbox, tmp_path, monkeypatch)
    monkeypatch.setenv("PMHUB_SANDBOX_GITHUB_TOKEN", "ghp_wrong_token_value")
    cfg = load_settings(synced.config)
    results = {name: sync_source(synced.store, build_source(name, cfg)) for name in cfg.sources}
    assert not results["github"].ok
    assert "PMHUB_SANDBOX_GITHUB_TOKEN" in (results["github"].error or "")
    assert "ghp_wrong_token_value" not in (results["github"].error or "")
    assert results["jira"].ok


def _snapshot(url: str) -> dict[str, dict[str, object]]:
    """Every live record's data, less ``updated``: versions and metrics carry the instant they were observed."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, data FROM records WHERE deleted_at IS NULL")).all()
    engine.dispose()
    snapshot = {}
    for record_id, data in rows:
        fields = json.loads(data)
        fields.pop("updated")
        snapshot[record_id] = fields
    return snapshot


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM records")).scalar() or 0)
    except Exception:  # the table may not exist yet
        return 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_midway_then_rerun_equals_an_uninterrupted_run(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "clean").mkdir()
    clean = sync_into(fresh_sandbox, tmp_path / "clean", monkeypatch)
    expected = _snapshot(clean.settings.store.url)

    crashed_dir = tmp_path / "crashed"
    crashed_dir.mkdir()
    config = crashed_dir / "pmhub.toml"
    url = f"sqlite:///{crashed_dir / 'pmhub.db'}"
    config.write_text(fresh_sandbox.config_toml(url), encoding="utf-8")
    env = {**os.environ, **fresh_sandbox.environment()}
    rng = random.Random(20261125)
    fresh_sandbox.faults.add("*:*=slow:10ms")  # room to land a kill between pages
    kills = 0
    try:
        for threshold in sorted(rng.sample(range(20, len(expected) - 20), 2)):
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.support.sync_once", str(config)], cwd=ROOT, env=env
            )
            deadline = time.monotonic() + 120
            while proc.poll() is None and _count(url) < threshold and time.monotonic() < deadline:
                time.sleep(0.005)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
    finally:
        fresh_sandbox.faults.clear()
    assert kills == 2, "the sync finished before it could be killed"
    assert 0 < _count(url) < len(expected)
    rerun = subprocess.run([sys.executable, "-m", "tests.support.sync_once", str(config)], cwd=ROOT, env=env)
    assert rerun.returncode == 0
    assert _snapshot(url) == expected
    Store(url).close()


def test_a_jira_site_without_jira_software_skips_sprints_with_one_warning_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with Sandbox(SandboxOptions(scale=Scale.named("tiny"), jira_software=False)) as sb:
        with caplog.at_level(logging.WARNING, logger="pmhub.sync"):
            synced = sync_into(sb, tmp_path, monkeypatch)
        assert all(r.ok for r in synced.results), [(s.stream, s.error) for r in synced.results for s in r.streams]
        jira = next(r for r in synced.results if r.source == "jira")
        streams = {s.stream: s for s in jira.streams}
        reason = f"jira: {sb.urls['jira']} has no Jira Software (its agile API answers 404), so it has no boards or "
        assert streams["sprints"].skipped == reason + "sprints to read"
        assert streams["sprints"].error is None
        assert streams["issues"].items == len(sb.world.jira_issues)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
            f"skipped jira/sprints: {streams['sprints'].skipped}"
        ]
        [run] = [r for r in synced.store.runs.recent() if r.stream == "sprints"]
        assert (run.status, run.error) == ("ok", streams["sprints"].skipped)
        assert list(synced.store.records.iter(kind="sprint")) == []

        report = status_report(synced.store, synced.settings, datetime.now(UTC))
        assert {(r.release.project, r.release.name): r.verdict.value for r in report.releases}.items() >= {
            (project, name): verdict for (project, name), verdict in sb.world.verdicts.items()
        }.items()
        freshness = next(c for c in report.releases[0].checks if c.id == "freshness")
        assert freshness.outcome is Outcome.PASSED
        assert ("jira", "sprints", False) in {(f.source, f.stream, f.stale) for f in report.freshness}
