"""Scale-out as a team runs it: a standalone Prefect server, a process work pool, a worker, the store on PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.settings import load_settings
from sandbox.runner import Sandbox
from sync.store import Store
from tests.support.postgres import create_schema, drop_schema, postgres_admin

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def postgres_store_url() -> Iterator[str]:
    with postgres_admin() as admin:
        schema, url = create_schema(admin)
        try:
            yield url
        finally:
            drop_schema(admin, schema)


def _wait(what: str, check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_a_worker_on_a_standalone_server_fills_the_postgres_store(
    fresh_sandbox: Sandbox, tmp_path: Path, postgres_store_url: str
) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        **fresh_sandbox.environment(),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
    }
    config = tmp_path / "pmhub.toml"
    config.write_text(fresh_sandbox.config_toml(postgres_store_url), encoding="utf-8")
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        out = (logs / f"{name}.log").open("wb")
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))

    def run(*args: str) -> None:
        subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)

    try:
        start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port))
        _wait("the Prefect server", lambda: _healthy(api), 120)
        run(str(BIN / "prefect"), "work-pool", "create", "pmhub-ci", "--type", "process")
        run(str(BIN / "pmhub"), "--config", str(config), "deploy", "--pool", "pmhub-ci")
        start("worker", str(BIN / "prefect"), "worker", "start", "--pool", "pmhub-ci", "--limit", "1")
        run(str(BIN / "prefect"), "deployment", "run", "pmhub-sync/scheduled-sync")

        def finished() -> bool:
            runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 10}, timeout=5).json()
            states = {r["state"]["type"] for r in runs if r.get("state")}
            assert not states & {"FAILED", "CRASHED"}, (logs / "worker.log").read_text()[-4000:]
            return "COMPLETED" in states

        _wait("the flow run to complete", finished, 240)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    store = Store(postgres_store_url)
    counts = store.db.counts()
    assert counts["records"] > len(fresh_sandbox.world.jira_issues)
    assert counts["links"] > 0
    assert {source for source, _ in store.runs.last_successes()} == set(load_settings(config).sources)
    store.close()
