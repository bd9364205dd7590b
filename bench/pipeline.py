"""Whole-pipeline benchmark: the sandbox's Jira and GitHub synced through the engine into SQLite, linking included.

Each sync runs in a fresh ``python -m bench.pipeline CONFIG STORE`` process that prints one JSON line: wall time,
its own CPU time (the rest of the wall is time waiting on the sandbox), peak RSS, items and requests per stream.
:func:`run_pipeline` drives the scenarios against one sandbox process: a full sync, an incremental after 1% of the
records changed, and a no-change incremental; the sandbox's counters give the requests and rate-limit points.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.sandbox_proc import SandboxProcess, merged_env


@dataclass(frozen=True)
class Measured:
    """One run of one tool on one workload."""

    tool: str
    workload: str
    wall: float
    items: int
    requests: int
    points: int | None
    peak_rss_mb: float
    cpu: float | None = None  # the client's own CPU seconds
    note: str = ""

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall if self.wall else 0.0


def _sync(config: Path) -> dict[str, Any]:
    from hub.settings import load_settings
    from hub.sources import build_source
    from sync.engine import relink, sync_source
    from sync.store import Store

    cfg = load_settings(config)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu0, wall0 = time.process_time(), time.perf_counter()
    store = Store(cfg.store.url)
    streams: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    for name in cfg.sources:
        result = sync_source(store, build_source(name, cfg))
        sources[name] = {"requests": result.stats.requests, "not_modified": result.stats.not_modified,
                         "error": result.error}
        streams += [
            {"stream": f"{name}.{s.stream}", "items": s.items, "pages": s.pages, "seconds": round(s.seconds, 3),
             "changed": s.inserted + s.updated, "error": s.error}
            for s in result.streams
        ]
    link_start = time.perf_counter()
    links = relink(store, cfg.link_rules())
    wall = time.perf_counter() - wall0
    return {
        "wall": wall,
        "cpu": time.process_time() - cpu0,
        "link_seconds": time.perf_counter() - link_start,
        "links": dataclasses.asdict(links),
        "items": sum(s["items"] for s in streams),
        "streams": streams,
        "sources": sources,
        "rss_after_imports_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "process_cpu": sum(os.times()[:2]),
    }


def sync_in_child(config: Path, env: dict[str, str]) -> dict[str, Any]:
    """One sync in a fresh process: its own figures, plus the whole process's (start-up included) as
    ``process_wall`` / ``process_cpu`` — the fair figures beside a peer, whose runs include start-up too."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.pipeline", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.communicate()
    process_wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"pipeline child failed:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return {**result, "process_wall": process_wall}


def change_one_percent(sb: SandboxProcess, jira_issues: int, github_items: int) -> int:
    """Touch 1% of the Jira issues and retitle 1% of the GitHub issues/PRs through the admin API; return how many."""
    session = sb.session()
    products = sb.products
    jira_n, gh_n = max(1, jira_issues // 100), max(1, github_items // 100)
    for i in range(jira_n):
        p = products[i % len(products)]
        key = f"{p['jira_project']}-{1 + i // len(products) * 7}"
        session.post(f"{sb.urls['jira']}/_sandbox/issues/{key}/touch", json={}, timeout=30).raise_for_status()
    for i in range(gh_n):
        p = products[i % len(products)]
        number = 1 + i // len(products) * 11
        session.patch(
            f"{sb.urls['github']}/_sandbox/repos/{p['repo']}/issues/{number}",
            json={"title": f"Changed for the benchmark #{i}"},
            timeout=30,
        ).raise_for_status()
    return jira_n + gh_n


@dataclass(frozen=True)
class PipelineRun:
    scenario: str
    child: dict[str, Any]
    counters: dict[str, Any]
    sandbox_cpu: float

    def measured(self, workload: str) -> Measured:
        c = self.counters
        return Measured(
            tool="pmhub",
            workload=workload,
            wall=self.child["wall"],
            items=self.child["items"],
            requests=c["jira_requests"] + c["github_requests"],
            points=c["github_points"],
            peak_rss_mb=self.child["peak_rss_mb"],
            cpu=self.child["cpu"],
        )


def run_scenario(sb: SandboxProcess, scenario: str, config: Path, env: dict[str, str]) -> PipelineRun:
    sb.reset_counters()
    cpu_before = sb.proc().cpu_seconds
    child = sync_in_child(config, env)
    sandbox_cpu = sb.proc().cpu_seconds - cpu_before
    return PipelineRun(scenario, child, sb.counters(), sandbox_cpu)


def run_pipeline(sb: SandboxProcess, workdir: Path, jira_issues: int, github_items: int) -> list[PipelineRun]:
    """Full sync, then an incremental after 1% changed, then a no-change incremental — each in a fresh process."""
    store = workdir / "pmhub.db"
    store.unlink(missing_ok=True)
    config = workdir / "pmhub.toml"
    config.write_text(sb.config_toml(store), encoding="utf-8")
    env = merged_env(sb.environment, sb.ca_bundle)
    runs = [run_scenario(sb, "full", config, env)]
    change_one_percent(sb, jira_issues, github_items)
    time.sleep(1.0)  # GitHub `since` has second precision: let the changes fall strictly before "now"
    runs.append(run_scenario(sb, "1% changed", config, env))
    runs.append(run_scenario(sb, "no change", config, env))
    return runs


def main(argv: list[str]) -> int:
    config = Path(argv[0])
    print(json.dumps(_sync(config)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m bench.pipeline CONFIG", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
