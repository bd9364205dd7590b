"""The extract-only tools users would otherwise pick, run against the same sandbox as pmhub.

Each peer is pip-installed at a pinned version into its own virtualenv under ``.bench/venvs/`` (once; a stamp file
remembers it). :func:`run_peer` writes the peer's config and catalog (the streams that match what pmhub reads:
GitHub issues, pull requests, releases; Jira issues with changelogs, projects, versions), runs it as a
child process, counts the RECORD messages it prints, and takes its peak RSS and CPU time from ``os.wait4``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.sandbox_proc import SandboxProcess, merged_env

START_DATE = "2000-01-01T00:00:00Z"
# why: the peers' milestone streams send sort=updated, which the sandbox refuses with 422 (GitHub ignores it);
# airbyte-source-github then sleeps an hour on it as if rate-limited, tap-github fails. So peers skip milestones.
GITHUB_STREAMS = ("issues", "pull_requests", "releases")


@dataclass(frozen=True)
class Peer:
    name: str  # also the virtualenv's folder
    package: str  # pinned requirement
    tool: str  # "github" or "jira"
    command: str  # console script in the venv
    kind: str  # "singer" or "airbyte"
    variant: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    entry: str = ""  # "module:function" of the console script, when a prelude must run before it
    prelude: str = ""
    broken: str = ""  # why this pinned version cannot do the workload: recorded instead of run

    def argv(self, script: Path) -> list[str]:
        if not self.prelude:
            return [str(script)]
        module, function = self.entry.split(":")
        code = f"{self.prelude}\nimport sys\nfrom {module} import {function}\nsys.argv[0] = {self.command!r}\n"
        return [str(script.parent / "python"), "-c", f"{code}sys.exit({function}())"]

    @property
    def label(self) -> str:
        return f"{self.name}{f' ({self.variant})' if self.variant else ''}"


# why: tap-github validates every token with a request to the hard-coded https://api.github.com/rate_limit
# (tap_github/authenticator.py, PersonalTokenManager.is_valid_token), which `api_url_base` does not redirect; the
# bench takes the token as valid instead, so the tap makes one request fewer than it would against GitHub. And its
# IssuesStream.post_process reads row["type"], which GitHub sends (null without issue types) and the sandbox omits.
_TAP_GITHUB_PRELUDE = """
import tap_github.authenticator as auth
import tap_github.repository_streams as rs
auth.PersonalTokenManager.is_valid_token = lambda self: True
_post = rs.IssuesStream.post_process
rs.IssuesStream.post_process = lambda self, row, context=None: _post(self, {"type": None, **row}, context)
"""
# why: Stitch's tap-jira asks for expand=transitions and pops issue["transitions"]; the sandbox ignores that
# expansion, so the bench supplies the empty list Jira would send for an issue with no transitions.
_TAP_JIRA_PRELUDE = """
import tap_jira.streams as st
_sub = st.sync_sub_streams
def _with_transitions(page):
    for issue in page:
        issue.setdefault("transitions", [])
    _sub(page)
st.sync_sub_streams = _with_transitions
"""

PEERS = [
    Peer(
        "meltanolabs-tap-github",
        "meltanolabs-tap-github==1.30.1",
        "github",
        "tap-github",
        "singer",
        entry="tap_github.tap:cli",
        prelude=_TAP_GITHUB_PRELUDE,
    ),
    Peer(
        "airbyte-source-github",
        "airbyte-source-github==2.7.1",
        "github",
        "source-github",
        "airbyte",
        "page size 100",
        {"page_size_for_large_streams": 100},
    ),
    Peer("airbyte-source-github", "airbyte-source-github==2.7.1", "github", "source-github", "airbyte", "default"),
    Peer("tap-jira", "tap-jira==2.6.0", "jira", "tap-jira", "singer", entry="tap_jira:main", prelude=_TAP_JIRA_PRELUDE),
    Peer(
        "airbyte-source-jira",
        "airbyte-source-jira==4.0.0",
        "jira",
        "source-jira",
        "airbyte",
        broken="reads issues from the removed /rest/api/3/search: 410 Gone on Jira Cloud (and the sandbox), "
        "retried with backoff for minutes; only projects and versions arrive",
    ),
]


@dataclass(frozen=True)
class PeerRun:
    wall: float
    cpu: float
    peak_rss_mb: float
    records: dict[str, int]
    returncode: int
    stderr_tail: str

    @property
    def items(self) -> int:
        return sum(self.records.values())


def install(peer: Peer, root: Path) -> tuple[Path | None, str]:
    """The peer's console script, installing it first if needed; ``(None, why)`` when it cannot be installed."""
    venv = root / "venvs" / peer.name
    script = venv / "bin" / peer.command
    stamp = venv / f".installed-{peer.package}"
    if stamp.exists() and script.exists():
        return script, ""
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)  # type: ignore[attr-defined]
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", peer.package], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        return None, f"pip install {peer.package} failed: {' '.join(errors)[:300]}"
    if not script.exists():
        return None, f"{peer.package} installs no `{peer.command}` command"
    stamp.touch()
    return script, ""


def trust_ca(venv: Path, ca: Path) -> None:
    """Append ``ca`` to the certifi bundle inside ``venv``.

    # why: clients that call ``Session.send`` directly (the Airbyte CDK, the Meltano SDK) never read
    # REQUESTS_CA_BUNDLE, so the sandbox's CA has to be in the bundle requests falls back to.
    """
    pem = ca.read_text(encoding="ascii")
    for bundle in venv.glob("lib/python3*/site-packages/certifi/cacert.pem"):
        text = bundle.read_text(encoding="ascii", errors="replace")
        if pem not in text:
            bundle.write_text(text.rstrip("\n") + "\n" + pem, encoding="ascii")


def _run(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> PeerRun:
    """Run ``cmd``, counting RECORD messages per stream from its stdout (other lines go to ``log``).

    Peak RSS and CPU time come from ``wait4``; a run past ``timeout`` seconds is killed (returncode -9).
    """
    records: Counter[str] = Counter()
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=out, text=True)
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line) if line.startswith("{") and '"RECORD"' in line else None
            if message is None or message.get("type") != "RECORD":
                out.write(line)
                continue
            records[message["stream"] if "stream" in message else message["record"]["stream"]] += 1
        _, status, usage = os.wait4(proc.pid, 0)
        watchdog.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    return PeerRun(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        records=dict(records),
        returncode=proc.returncode,
        stderr_tail=tail,
    )


def _select_singer(catalog: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    for entry in catalog["streams"]:
        selected = entry["tap_stream_id"] in wanted
        for meta in entry.get("metadata", []):
            if meta.get("breadcrumb") == []:
                meta["metadata"]["selected"] = selected
    return catalog


def _configured_airbyte(catalog: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    return {
        "streams": [
            {"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
            for s in catalog["streams"]
            if s["name"] in wanted
        ]
    }


def _discover(cmd: list[str], env: dict[str, str], kind: str) -> dict[str, Any]:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if kind == "singer":
        if not out.stdout.startswith("{"):
            raise RuntimeError(f"{cmd[0]} --discover failed: {out.stderr[-1500:]}")
        catalog: dict[str, Any] = json.loads(out.stdout)
        return catalog
    for line in out.stdout.splitlines():
        if line.startswith("{") and '"CATALOG"' in line:
            found: dict[str, Any] = json.loads(line)["catalog"]
            return found
    raise RuntimeError(f"{cmd[0]} discover printed no catalog: {out.stdout[-500:]} {out.stderr[-1500:]}")


def _configs(peer: Peer, sb: SandboxProcess) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The peer's config for this sandbox and the streams to read."""
    repos = [p["repo"] for p in sb.products]
    projects = [p["jira_project"] for p in sb.products]
    gh_token = sb.credentials["github"]["token"]
    jira = sb.credentials["jira"]
    jira_host = sb.urls["jira"].split("://", 1)[1]
    builders: dict[str, Callable[[], tuple[dict[str, Any], tuple[str, ...]]]] = {
        "meltanolabs-tap-github": lambda: (
            {
                "auth_token": gh_token,
                "repositories": repos,
                "api_url_base": sb.urls["github"],
                "start_date": START_DATE,
            },
            GITHUB_STREAMS,
        ),
        "airbyte-source-github": lambda: (
            {
                "credentials": {"option_title": "PAT Credentials", "personal_access_token": gh_token},
                "repositories": repos,
                "api_url": sb.urls["github"],
                "start_date": START_DATE,
                **peer.extra,
            },
            GITHUB_STREAMS,
        ),
        "tap-jira": lambda: (
            {
                "base_url": jira_host,
                "username": jira["email"],
                "password": jira["api_token"],
                "start_date": START_DATE,
                "user_agent": "pmhub-bench",
            },
            ("issues", "changelogs", "projects", "versions"),
        ),
        "airbyte-source-jira": lambda: (
            {
                "domain": jira_host,
                "email": jira["email"],
                "api_token": jira["api_token"],
                "projects": projects,
                "start_date": START_DATE,
                "expand_issue_changelog": True,
            },
            ("issues", "projects", "project_versions"),
        ),
    }
    return builders[peer.name]()


def prepare(peer: Peer, script: Path, sb: SandboxProcess, workdir: Path) -> list[str]:
    """Write config and catalog for ``peer`` into ``workdir``; return the command line of one read."""
    config, wanted = _configs(peer, sb)
    slug = peer.label.replace(" ", "-").replace("(", "").replace(")", "")
    config_path = workdir / f"{slug}.config.json"
    catalog_path = workdir / f"{slug}.catalog.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    env = merged_env({}, sb.ca_bundle)
    if sb.ca_bundle is not None:
        trust_ca(script.parent.parent, sb.ca_bundle)
    argv = peer.argv(script)
    if peer.kind == "singer":
        catalog = _discover([*argv, "--config", str(config_path), "--discover"], env, "singer")
        catalog_path.write_text(json.dumps(_select_singer(catalog, wanted)), encoding="utf-8")
        # why: Stitch's taps (tap-jira) read the selection from --properties and ignore --catalog
        flag = "--properties" if peer.name == "tap-jira" else "--catalog"
        return [*argv, "--config", str(config_path), flag, str(catalog_path)]
    catalog = _discover([*argv, "discover", "--config", str(config_path)], env, "airbyte")
    catalog_path.write_text(json.dumps(_configured_airbyte(catalog, wanted)), encoding="utf-8")
    return [*argv, "read", "--config", str(config_path), "--catalog", str(catalog_path)]


def run_peer(cmd: list[str], sb: SandboxProcess, log: Path, timeout: float) -> PeerRun:
    return _run(cmd, merged_env({}, sb.ca_bundle), log, timeout)
