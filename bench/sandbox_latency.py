"""Sandbox page latency: how fast the sandbox serves a 100-item page, and how much memory it holds, at scale.

The sandbox runs in its own process (:class:`bench.sandbox_proc.SandboxProcess`); this process is the client. It
walks Jira ``GET /rest/api/3/search/jql`` (100 issues a page, the fields pmhub asks for, with changelogs) and GitHub
``GET /repos/{o}/{r}/issues`` (``per_page=100``, sorted by update, following ``Link``) over one keep-alive session
each, and reports the median and 95th percentile per page and the sandbox's resident and peak memory.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from bench.sandbox_proc import ProcStats, SandboxProcess

JIRA_FIELDS = "summary,status,issuetype,priority,assignee,reporter,labels,fixVersions,parent,created,updated,resolution"


@dataclass(frozen=True)
class Latency:
    endpoint: str
    pages: int
    median_ms: float
    p95_ms: float
    items: int
    server_cpu_ms: float = 0.0  # the sandbox process's CPU time per page: what the page costs it, whatever the load


@dataclass(frozen=True)
class LatencyResult:
    latencies: list[Latency]
    sandbox: ProcStats
    startup_seconds: float


def _summary(endpoint: str, seconds: list[float], items: int) -> Latency:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Latency(endpoint, len(ordered), statistics.median(ordered) * 1000, p95 * 1000, items)


def jira_pages(sb: SandboxProcess, pages: int, changelog: bool) -> Latency:
    creds = sb.credentials["jira"]
    session = requests.Session()
    session.auth = (creds["email"], creds["api_token"])
    params: dict[str, str | int] = {"maxResults": 100, "fields": JIRA_FIELDS}
    if changelog:
        params["expand"] = "changelog"
    seconds: list[float] = []
    items = 0
    projects = [p["jira_project"] for p in sb.products]
    for project in projects:
        params.pop("nextPageToken", None)
        params["jql"] = f"project = {project} ORDER BY updated ASC"
        while len(seconds) < pages * (projects.index(project) + 1) // len(projects):
            t0 = time.perf_counter()
            reply = session.get(f"{sb.urls['jira']}/rest/api/3/search/jql", params=params, timeout=60)
            seconds.append(time.perf_counter() - t0)
            reply.raise_for_status()
            body = reply.json()
            items += len(body["issues"])
            if body.get("isLast", True):
                break
            params["nextPageToken"] = body["nextPageToken"]
    name = "Jira search/jql, 100 issues" + (" + changelog" if changelog else "")
    return _summary(name, seconds, items)


def github_pages(sb: SandboxProcess, pages: int) -> Latency:
    session = requests.Session()
    session.headers["Authorization"] = f"token {sb.credentials['github']['token']}"
    seconds: list[float] = []
    items = 0
    repos = [p["repo"] for p in sb.products]
    for index, repo in enumerate(repos):
        url: str | None = (
            f"{sb.urls['github']}/repos/{repo}/issues?state=all&sort=updated&direction=asc&per_page=100"
        )
        while url and len(seconds) < pages * (index + 1) // len(repos):
            t0 = time.perf_counter()
            reply = session.get(url, timeout=60)
            seconds.append(time.perf_counter() - t0)
            reply.raise_for_status()
            items += len(reply.json())
            url = reply.links.get("next", {}).get("url")
    return _summary("GitHub /issues, 100 items", seconds, items)


def _with_server_cpu(sb: SandboxProcess, walk: Callable[[], Latency]) -> Latency:
    before = sb.proc().cpu_seconds
    latency = walk()
    return dataclasses.replace(latency, server_cpu_ms=(sb.proc().cpu_seconds - before) * 1000 / latency.pages)


def settle(sb: SandboxProcess, quiet_seconds: float = 0.5, timeout: float = 120.0) -> None:
    """Wait until the sandbox process is idle: its start-up work in the background (the GitHub sandbox renders
    every issue body ahead of the first request) would otherwise be charged to the first pages timed."""
    deadline = time.monotonic() + timeout
    last = sb.proc().cpu_seconds
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        now = sb.proc().cpu_seconds
        if now - last < quiet_seconds * 0.05:
            return
        last = now


def measure_latency(sb: SandboxProcess, pages: int, startup_seconds: float) -> LatencyResult:
    """Once the sandbox is idle, warm each endpoint with a few pages, then time ``pages`` pages of each."""
    settle(sb)
    jira_pages(sb, 8, changelog=True)
    github_pages(sb, 8)
    sb.reset_counters()
    latencies = [
        _with_server_cpu(sb, lambda: jira_pages(sb, pages, changelog=False)),
        _with_server_cpu(sb, lambda: jira_pages(sb, pages, changelog=True)),
        _with_server_cpu(sb, lambda: github_pages(sb, pages)),
    ]
    return LatencyResult(latencies, sb.proc(), startup_seconds)
