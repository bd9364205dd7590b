"""`pmhub check` reaches every source of the sandbox before the first sync: who the credentials are, what they see,
what is missing — printed with the fix, and the exit code says whether anything must be fixed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sandbox.github.core import FINE_GRAINED_WITHOUT_CHECKS
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.world import Scale
from tests.cli.run import pmhub

GITHUB_TOKEN = "PMHUB_SANDBOX_GITHUB_TOKEN"
JIRA_TOKEN = "PMHUB_SANDBOX_JIRA_TOKEN"
POSTHOG_KEY = "PMHUB_SANDBOX_POSTHOG_CHECKOUT_KEY"


def _configure(sandbox: Sandbox, folder: Path, jira_email: str | None = None) -> dict[str, str]:
    config = sandbox.config_toml(f"sqlite:///{folder / 'pmhub.db'}")
    if jira_email is not None:
        config = config.replace(f'email = "{sandbox.jira_login.email}"', f'email = "{jira_email}"')
    (folder / "pmhub.toml").write_text(config, encoding="utf-8")
    return sandbox.environment()


def _lines(output: str, start: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith(start)]


def test_credentials_that_reach_everything_are_reported_per_source_and_exit_0(sandbox: Sandbox, tmp_path: Path) -> None:
    env = _configure(sandbox, tmp_path)

    result = pmhub("check", cwd=tmp_path, env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ok   account: Ada Lovelace (accountId " in out
    assert "on Jira Cloud, time zone Europe/London" in out
    assert "ok   project CHK: browse, transition issues, add comments, administer" in out
    assert "ok   project MOB: browse" in out
    assert "ok   sprints: 1 agile board(s) of CHK" in out
    assert "ok   token: acts as ada; a classic token with scopes: admin:repo_hook, repo" in out
    assert "ok   repo acme/checkout: visible, default branch main" in out
    assert "ok   reads: issues, pull requests, releases, check runs, commit statuses (probed on acme/checkout)" in out
    assert len(_lines(out, "ok   project ")) == 5  # Jira's two, and one per analytics source
    assert "every source gives what a sync needs" in out
    assert not _lines(out, "FIX")
    assert not _lines(out, "warn")
    for secret in env.values():
        assert secret not in out + result.stderr


def test_a_token_without_checks_and_a_user_who_cannot_browse_a_project_are_named_with_the_fix_and_exit_1(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    env = _configure(sandbox, tmp_path, jira_email="barbara@acme.example") | {GITHUB_TOKEN: FINE_GRAINED_WITHOUT_CHECKS}

    result = pmhub("check", cwd=tmp_path, env=env)

    assert result.returncode == 1
    out = result.stdout
    assert "ok   token: acts as grace; a fine-grained token (or an app's): its permissions are probed below" in out
    assert "ok   reads: issues, pull requests, releases, commit statuses (probed on acme/checkout)" in out
    assert (
        "FIX  check runs: the token cannot read the check runs of acme/checkout "
        "(403: Resource not accessible by personal access token)"
    ) in out
    assert 'fix: give the token "Checks: Read-only"' in out
    assert "ok   project CHK: browse" in out
    assert "FIX  project MOB: not found, or Barbara Liskov cannot browse it" in out
    assert "ok   account: Barbara Liskov (accountId " in out
    assert 'fix: check the key in sources.jira.projects, or grant Barbara Liskov "Browse projects" in MOB' in out
    assert len(_lines(out, "FIX")) == 2
    assert "2 problem(s) to fix in 2 source(s)" in result.stderr
    assert FINE_GRAINED_WITHOUT_CHECKS not in out + result.stderr


def test_a_refused_or_missing_credential_names_its_variable_and_nothing_else_is_asked(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    wrong = {GITHUB_TOKEN: "ghp_notAToken0000000000000000000000000000", POSTHOG_KEY: "phx_notAKey"}
    env = _configure(sandbox, tmp_path) | wrong
    del env[JIRA_TOKEN]

    result = pmhub("check", cwd=tmp_path, env=env)

    assert result.returncode == 1
    out = result.stdout
    assert "FIX  project 1000: the credential was refused (401: Incorrect authentication credentials.)" in out
    assert f"fix: check the value of {POSTHOG_KEY}" in out
    assert f"FIX  credentials: ${JIRA_TOKEN} not set" in out
    assert f"fix: export ${JIRA_TOKEN} with the source's credentials" in out
    assert "FIX  token: the credential was refused (401: Bad credentials)" in out
    assert f"fix: check the value of {GITHUB_TOKEN}" in out
    assert not _lines(out, "ok   repo")  # a refused token is not asked about repositories
    assert "ghp_notAToken" not in out + result.stderr
    assert "phx_notAKey" not in out + result.stderr


def test_probes_go_through_the_retry_policy_and_a_site_without_jira_software_is_a_warning(tmp_path: Path) -> None:
    options = SandboxOptions(scale=Scale.named("tiny"), jira_software=False, faults="github:GET /user=503x1")
    with Sandbox(options) as sb:
        env = _configure(sb, tmp_path)
        before = httpx.get(f"{sb.urls['github']}/_sandbox/stats", timeout=10).json()

        result = pmhub("check", cwd=tmp_path, env=env, timeout=120)

        after = httpx.get(f"{sb.urls['github']}/_sandbox/stats", timeout=10).json()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   token: acts as ada" in result.stdout
    # the first /user answered 503, the policy's retry got through
    assert after["faults"].get("503", 0) - before["faults"].get("503", 0) == 1
    assert after["by_route"]["GET /user"] - before["by_route"].get("GET /user", 0) == 2
    assert "warn sprints: jira: " in result.stdout
    assert "has no Jira Software (its agile API answers 404)" in result.stdout
    requests_made = after["total"] - before["total"]
    assert requests_made <= 2 + 2 + 5  # /user twice, a repository each, one read of each kind


@pytest.mark.parametrize("missing", [True, False], ids=["missing", "present"])
def test_offline_only_checks_the_file_and_that_credentials_are_set(
    sandbox: Sandbox, tmp_path: Path, missing: bool
) -> None:
    env = _configure(sandbox, tmp_path) | {GITHUB_TOKEN: "ghp_notAToken0000000000000000000000000000"}
    if missing:
        del env[JIRA_TOKEN]

    result = pmhub("check", "--offline", cwd=tmp_path, env=env)

    assert result.returncode == (1 if missing else 0)
    assert "is valid" in result.stdout
    assert "refused" not in result.stdout  # nothing was asked
    assert (f"${JIRA_TOKEN}" in result.stdout)
    assert ("missing" in result.stdout) == missing
