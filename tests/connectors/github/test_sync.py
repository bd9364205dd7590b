"""The GitHub source driven by the sync engine into a real store: what lands, what a rerun costs, what the census
marks deleted."""

from __future__ import annotations

from pathlib import Path

from schema import ids
from sync.engine import sync_source
from sync.store import Store
from tests.connectors.github.support import Sandbox, source_for


def test_sync_stores_every_stream_and_a_rerun_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'pmhub.db'}")
    source = source_for(sandbox)
    first = sync_source(store, source)
    assert first.ok, [s.error for s in first.streams]
    world = sandbox.world
    assert len(list(store.records.iter(kind="work_item", source="gh"))) == sum(
        len(r.issues) for r in world.repos.values()
    )
    assert len(list(store.records.iter(kind="pull_request", source="gh"))) == sum(
        len(r.pulls) for r in world.repos.values()
    )
    releases = sum(len(r.releases) + len(r.milestones) for r in world.repos.values())
    assert len(list(store.records.iter(kind="release", source="gh"))) == releases

    second = sync_source(store, source)
    assert second.ok
    assert sum(s.inserted + s.updated + s.deleted for s in second.streams) == 0


def test_a_deleted_issue_is_marked_by_the_census_and_disappears_from_the_store(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'pmhub.db'}")
    source = source_for(sandbox, census_interval_minutes=0)
    assert sync_source(store, source).ok
    repo = next(iter(sandbox.world.repos.values()))
    number = min(repo.issues)
    gone = ids.github(repo.full_name, "issue", number)
    assert store.records.get(gone) is not None
    sandbox.admin("DELETE", f"/repos/{repo.full_name}/issues/{number}")

    result = sync_source(store, source, streams=["issues"])

    assert result.ok
    assert [s.deleted for s in result.streams] == [1]
    assert store.records.get(gone) is None
    assert store.records.get(gone, include_deleted=True) is not None
