"""pmhub's logs on the command line: quiet by default, ``-v`` for retries and rate-limit headroom, ``-vv`` for every
request — on stderr, never with a token."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.logs import level_for
from sandbox.runner import Sandbox
from tests.conftest import start_sandbox


def test_each_v_shows_one_level_more() -> None:
    assert [level_for(n) for n in range(4)] == [logging.WARNING, logging.INFO, logging.DEBUG, logging.DEBUG]


@pytest.fixture
def tiny_sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox("tiny")
    yield sb
    sb.stop()


@pytest.mark.slow
def test_sync_is_quiet_by_default_and_shows_retries_with_v(
    prefect_harness: None, tiny_sandbox: Sandbox, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    (tmp_path / "pmhub.toml").write_text(
        tiny_sandbox.config_toml(f"sqlite:///{tmp_path / 'pmhub.db'}"), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMHUB_", "PREFECT_"))}
    env.update(tiny_sandbox.environment())
    env.update({"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_HOME": str(tmp_path), "COLUMNS": "200"})

    def pmhub(*args: str) -> subprocess.CompletedProcess[str]:
        """``pmhub [args] sync --source github`` while one milestones listing answers 503 once."""
        tiny_sandbox.faults.add("github:GET /repos/*/milestones=503x1")
        command = [sys.executable, "-m", "cli", *args, "sync", "--source", "github"]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    quiet = pmhub()
    assert quiet.returncode == 0, quiet.stderr
    assert "pmhub." not in quiet.stderr

    verbose = pmhub("-v")
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO pmhub.connectors.http: retrying in" in verbose.stderr
    [milestones] = [line for line in verbose.stderr.splitlines() if "pmhub.sync.engine: github/milestones:" in line]
    assert milestones.startswith("INFO ")
    assert re.search(r"; requests \d+, retries 1, waited 1\.0 s, rate limit left \d+$", milestones)
    assert "DEBUG" not in verbose.stderr

    debug = pmhub("-vv")
    assert debug.returncode == 0, debug.stderr
    assert "DEBUG pmhub.connectors.http: GET " in debug.stderr
    for output in (quiet, verbose, debug):
        assert env["PMHUB_SANDBOX_GITHUB_TOKEN"] not in output.stdout + output.stderr
