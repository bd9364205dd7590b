"""Suite-wide fixtures: the sandbox over real HTTP, and a store synced from it through the real connectors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.settings import Settings, load_settings
from hub.sources import build_source
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.world import Scale
from sync.engine import SourceResult, relink, sync_source
from sync.store import Store


@dataclass
class Synced:
    sandbox: Sandbox
    settings: Settings
    store: Store
    results: list[SourceResult]
    config: Path


def start_sandbox(scale: str = "small", **options: object) -> Sandbox:
    return Sandbox(SandboxOptions(scale=Scale.named(scale), **options)).start()  # type: ignore[arg-type]


def sync_into(sb: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> Synced:
    """Write a config for ``sb``, sync every source into a fresh SQLite store with the engine, link."""
    config = workdir / "pmhub.toml"
    config.write_text(sb.config_toml(f"sqlite:///{workdir / 'pmhub.db'}"), encoding="utf-8")
    for key, value in sb.environment().items():
        if monkeypatch is not None:
            monkeypatch.setenv(key, value)
        else:
            os.environ[key] = value
    cfg = load_settings(config)
    store = Store(cfg.store.url)
    results = [sync_source(store, build_source(name, cfg)) for name in cfg.sources]
    relink(store, cfg.link_rules())
    return Synced(sb, cfg, store, results, config)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One shared small sandbox. Tests that change the world must use ``fresh_sandbox`` instead."""
    sb = start_sandbox()
    yield sb
    sb.stop()


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox("tiny")
    yield sb
    sb.stop()


@pytest.fixture(scope="session")
def synced(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Synced:
    """The shared sandbox synced once into a SQLite store (read-only for tests)."""
    return sync_into(sandbox, tmp_path_factory.mktemp("synced"))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect API for the whole session: flows run for real, started once."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield
