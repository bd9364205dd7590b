"""The `pmhub` command line as a user runs it: a real subprocess, real files, exit codes and output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sync.store import Store
from sync.store.inbox import InboxStatus
from sync.store.migrations import BASELINE, head
from tests.cli.run import PMHUB, pmhub
from tests.support.migrations import database_at, execute


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = pmhub("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "check", "store"):
        assert command in result.stdout


def test_init_writes_a_starter_that_check_accepts_once_tokens_are_set(tmp_path: Path) -> None:
    assert pmhub("init", cwd=tmp_path).returncode == 0
    config = tmp_path / "pmhub.toml"
    assert "token_env" in config.read_text()
    assert pmhub("init", cwd=tmp_path).returncode == 1, "init must not overwrite without --force"

    missing = pmhub("check", "--offline", cwd=tmp_path)
    assert missing.returncode == 1
    assert "$JIRA_API_TOKEN" in missing.stdout
    assert "missing" in missing.stdout

    tokens = {"JIRA_API_TOKEN": "jira-secret-value", "GITHUB_TOKEN": "ghp_secret_value"}
    ok = pmhub("check", "--offline", cwd=tmp_path, env=tokens)
    assert ok.returncode == 0, ok.stderr
    assert "is valid" in ok.stdout
    assert "secret" not in ok.stdout + ok.stderr


def test_a_bad_config_exits_2_with_the_key_path(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[store]\nurl = 5\n[serve]\nport = "http"\n')
    result = pmhub("--config", "bad.toml", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.toml: store.url" in result.stderr
    assert "bad.toml: serve.port" in result.stderr


def test_store_info_counts_rows_in_the_configured_store(tmp_path: Path) -> None:
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    result = pmhub("store", "info", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "records" in result.stdout
    assert "cursors" in result.stdout


def test_status_lists_the_webhook_deliveries_that_were_rejected_or_failed_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    store = Store(f"sqlite:///{tmp_path}/s.db")
    outcomes: list[tuple[InboxStatus, str | None]] = [
        ("rejected", "issues: `issue` must be an object, got a string"),
        ("failed", "RetryLaterError: jira still failing"),
        ("applied", None),
    ]
    for n, (status, reason) in enumerate(outcomes):
        store.inbox.put(f"d-{n}", "github", "issues", {}, "{}")
        store.inbox.mark(f"d-{n}", status, reason)
    result = pmhub("status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split("webhooks not applied", 1)[1]
    assert "rejected" in listed
    assert "issues: `issue` must be an object, got a string" in listed
    assert "RetryLaterError: jira still failing" in listed
    assert "applied" not in listed


@pytest.mark.parametrize("url", ["postgresql+psycopg://pmhub:hunter2@127.0.0.1:1/nope"])
def test_a_database_password_never_reaches_the_output(tmp_path: Path, url: str) -> None:
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "{url}"\nretry_seconds = 1\n')
    result = pmhub("store", "info", cwd=tmp_path)
    assert "hunter2" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert "store unreachable" in result.stderr
    assert "still failing" in result.stderr


def test_store_upgrade_brings_an_older_store_to_the_newest_revision_and_info_shows_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    database_at(url, BASELINE)
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "{url}"\n')

    upgraded = pmhub("store", "upgrade", cwd=tmp_path)
    again = pmhub("store", "upgrade", cwd=tmp_path)
    info = pmhub("store", "info", cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from revision {BASELINE} to {head()}" in upgraded.stdout
    assert f"upgraded from revision {BASELINE} to {head()}" in upgraded.stderr, "the upgrade is logged too"
    assert again.returncode == 0, again.stderr
    assert f"is at revision {head()}, the newest this pmhub knows" in again.stdout
    assert again.stderr == ""
    assert f"revision {head()}" in info.stdout


def test_a_store_of_a_newer_pmhub_exits_2_naming_both_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    database_at(url, head())
    execute(url, "UPDATE alembic_version SET version_num = '9999'")
    (tmp_path / "pmhub.toml").write_text(f'[store]\nurl = "{url}"\n')

    result = pmhub("store", "info", cwd=tmp_path)

    assert result.returncode == 2
    assert "revision 9999" in result.stderr
    assert f"its newest is {head()}" in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_webhooks_and_guards_the_page(tmp_path: Path) -> None:
    import hashlib
    import hmac
    import time

    import httpx

    port = _free_port()
    (tmp_path / "pmhub.toml").write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/s.db"\n[serve]\nport = {port}\n'
        '[web]\nbearer_token_env = "WEB_TOKEN"\n[webhooks]\ngithub_secret_env = "GH_SECRET"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHUB_")}
    env.update({"WEB_TOKEN": "page-token", "GH_SECRET": "hook-secret", "COLUMNS": "200"})
    proc = subprocess.Popen(
        [*PMHUB, "serve", "--no-schedules"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"{base}/api/status", timeout=10).status_code == 401
        page = httpx.get(f"{base}/api/status", headers={"Authorization": "Bearer page-token"}, timeout=30)
        assert page.status_code == 200
        body = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
        signature = "sha256=" + hmac.new(b"hook-secret", body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": signature}
        assert httpx.post(f"{base}/webhooks/github", content=body, headers=headers, timeout=10).is_success
        forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64, "X-GitHub-Delivery": "d-2"}
        assert httpx.post(f"{base}/webhooks/github", content=body, headers=forged, timeout=10).status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert f"{base}/" in output
    assert "this machine only" in output
    assert "page-token" not in output
    assert "hook-secret" not in output


def test_webhooks_register_prints_the_plan_without_secrets(tmp_path: Path) -> None:
    (tmp_path / "pmhub.toml").write_text(
        '[serve]\npublic_url = "https://pmhub.example.com"\n'
        '[sources.gh]\nkind = "github"\nrepos = ["acme/checkout"]\n'
        '[sources.j]\nkind = "jira"\nurl = "https://acme.atlassian.net"\ntoken_env = "J"\nprojects = ["CHK"]\n'
    )
    result = pmhub("webhooks", "register", cwd=tmp_path, env={"PMHUB_GITHUB_WEBHOOK_SECRET": "s3cr3t-value"})
    assert result.returncode == 0, result.stderr
    assert "repository acme/checkout → https://pmhub.example.com/webhooks/github" in result.stdout
    assert "https://pmhub.example.com/webhooks/jira" in result.stdout
    assert "dry run" in result.stdout
    assert "s3cr3t-value" not in result.stdout


def test_sync_of_a_jira_site_without_jira_software_exits_0_with_one_line_saying_why_sprints_were_skipped(
    tmp_path: Path,
) -> None:
    from sandbox.runner import Sandbox, SandboxOptions
    from sandbox.world import Scale

    with Sandbox(SandboxOptions(scale=Scale.named("tiny"), jira_software=False)) as sb:
        (tmp_path / "pmhub.toml").write_text(sb.config_toml(f"sqlite:///{tmp_path / 'pmhub.db'}"), encoding="utf-8")
        result = pmhub("sync", "--source", "jira", cwd=tmp_path, env=sb.environment(), timeout=180)
        url = sb.urls["jira"]
    assert result.returncode == 0, result.stdout + result.stderr
    why = f"skipped jira/sprints: jira: {url} has no Jira Software (its agile API answers 404)"
    assert sum(why in line for line in (result.stdout + result.stderr).splitlines()) == 1
    sprints = next(line for line in result.stdout.splitlines() if " sprints " in line)
    assert "skipped" in sprints


def test_serve_host_and_port_options_win_over_the_config(tmp_path: Path) -> None:
    import re
    import selectors
    import socket
    import time

    import httpx

    configured = _free_port()
    (tmp_path / "pmhub.toml").write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/s.db"\n[serve]\nhost = "127.0.0.2"\nport = {configured}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMHUB_")}
    command = [*PMHUB, "serve", "--no-schedules", "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    banner = ""
    try:
        watch = selectors.DefaultSelector()
        watch.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while "status page" not in banner and time.monotonic() < deadline and proc.poll() is None:
            if watch.select(timeout=1):
                banner += proc.stdout.readline()
        bound = re.search(r"status page http://(?P<host>[\d.]+):(?P<port>\d+)/", banner)
        assert bound is not None, banner
        assert bound["host"] == "127.0.0.1"
        assert int(bound["port"]) not in (0, configured)
        assert httpx.get(f"http://127.0.0.1:{bound['port']}/healthz", timeout=10).status_code == 200
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.2", configured)) != 0, "nothing listens where the config says"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
