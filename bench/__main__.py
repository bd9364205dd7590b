"""``python -m bench [--quick] [--peers/--no-peers]``: every benchmark, printed and written to docs/benchmarks.md.

1. sandbox page latency at scale (:mod:`bench.sandbox_latency`);
2. the whole pipeline through the engine: full sync, 1% changed, no change (:mod:`bench.pipeline`), and the 10x
   data in the full run;
3. pmhub beside the extract-only peers on the same sandbox data, runs alternating A B A B (:mod:`bench.peers`);
4. webhooks and 5. readiness + HTML, when ``bench/webhooks.py`` / ``bench/readiness_bench.py`` exist (run as they are,
   their own output quoted).

The sandbox always runs in its own process; every client run is a fresh process whose peak RSS is its own.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.peers import PEERS, Peer, PeerRun, install, prepare, run_peer
from bench.pipeline import Measured, PipelineRun, run_pipeline, run_scenario
from bench.sandbox_latency import LatencyResult, measure_latency
from bench.sandbox_proc import SandboxProcess, SandboxSpec, merged_env
from sandbox.world import Scale

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / ".bench"
DOC = ROOT / "docs" / "benchmarks.md"
PACKAGES = ["fastapi", "uvicorn", "starlette", "SQLAlchemy", "pydantic", "requests", "PyGithub", "jira", "prefect"]


@dataclass(frozen=True)
class Plan:
    name: str
    latency_scale: Scale
    latency_pages: int
    pipelines: list[tuple[str, Scale, int]]  # label, scale, GitHub releases
    peer_scale: Scale
    peer_releases: int
    repeats: int
    peer_timeout: float
    extra_args: list[str]


FULL = Plan(
    name="full",
    latency_scale=Scale.named("large"),
    latency_pages=200,
    pipelines=[
        ("5k GitHub issues + 2k PRs + 50 releases, 5k Jira issues", Scale.named("medium"), 50),
        ("10x: 50k GitHub issues + 20k PRs + 500 releases, 50k Jira issues",
         Scale(jira_issues=50_000, github_issues=50_000, pull_requests=20_000, products=2), 500),
    ],
    peer_scale=Scale.named("medium"),
    peer_releases=50,
    repeats=2,
    peer_timeout=900,
    extra_args=[],
)
QUICK = Plan(
    name="quick",
    latency_scale=Scale(jira_issues=20_000, github_issues=5_000, pull_requests=2_000, products=4),
    latency_pages=100,
    pipelines=[("1k GitHub issues + 400 PRs + 50 releases, 1k Jira issues",
                Scale(jira_issues=1_000, github_issues=1_000, pull_requests=400, products=2), 50)],
    peer_scale=Scale(jira_issues=1_000, github_issues=1_000, pull_requests=400, products=2),
    peer_releases=50,
    repeats=1,
    peer_timeout=300,
    extra_args=["--quick"],
)


def _scale_text(scale: Scale) -> str:
    return (f"{scale.jira_issues:,} Jira issues, {scale.github_issues:,} GitHub issues, "
            f"{scale.pull_requests:,} PRs, {scale.products} products")


# ---------------------------------------------------------------------------------------------------- tables


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _measured_rows(rows: list[Measured], baseline: dict[str, float]) -> list[list[str]]:
    out = []
    for m in rows:
        ratio = baseline.get(m.workload)
        out.append([
            m.workload, m.tool, _num(m.wall, 2), f"{m.items:,}", _num(m.items_per_s, 0), f"{m.requests:,}",
            "–" if m.points is None else f"{m.points:,}", _num(m.peak_rss_mb, 0), _num(m.cpu, 2),
            _num(None if m.cpu is None else max(0.0, m.wall - m.cpu), 2),
            "–" if not ratio or not m.wall else f"{m.wall / ratio:.2f}×", m.note,
        ])
    return out


MEASURED_HEADER = ["workload", "tool", "wall s", "items", "items/s", "requests", "rate-limit points",
                   "peak RSS MB", "own CPU s", "waiting s", "wall vs pmhub", "note"]


# ---------------------------------------------------------------------------------------------------- sections


def latency_section(plan: Plan) -> str:
    t0 = time.perf_counter()
    with SandboxProcess(SandboxSpec(scale=plan.latency_scale)) as sb:
        result: LatencyResult = measure_latency(sb, plan.latency_pages, time.perf_counter() - t0)
    rows = [[lat.endpoint, str(lat.pages), f"{lat.items:,}", _num(lat.median_ms), _num(lat.p95_ms),
             _num(lat.server_cpu_ms), "yes" if lat.median_ms <= 10 else "no"] for lat in result.latencies]
    s = result.sandbox
    return "\n".join([
        f"## 1. Sandbox page latency ({_scale_text(plan.latency_scale)})",
        "",
        "Client and sandbox in separate processes, one keep-alive session per API, pages walked in order after a "
        "warm-up. *Sandbox CPU/page* is the sandbox process's CPU time divided by pages: the cost of a page "
        "independent of the machine's load.",
        "",
        _table(["endpoint", "pages", "items", "median ms", "p95 ms", "sandbox CPU/page ms", "≤ 10 ms median"], rows),
        "",
        f"Sandbox process: {s.rss_mb:,.0f} MB resident, {s.peak_rss_mb:,.0f} MB peak (target < 1,024 MB: "
        f"{'met' if s.peak_rss_mb < 1024 else 'missed'}); world built and served in {result.startup_seconds:.1f} s.",
    ])


def _pipeline_rows(label: str, runs: list[PipelineRun]) -> tuple[list[Measured], list[str]]:
    measured = [dataclasses.replace(r.measured(f"{r.scenario}"), tool="pmhub (jira+github, linked)")
                for r in runs]
    detail = [f"**{label}**", ""]
    for r in runs:
        c = r.counters
        streams = ", ".join(f"{s['stream']} {s['items']:,}/{s['seconds']:.2f}s" for s in r.child["streams"])
        detail.append(
            f"- *{r.scenario}*: Jira {c['jira_requests']:,} requests, GitHub {c['github_requests']:,} "
            f"({r.child['sources'].get('github', {}).get('not_modified', 0)} answered 304), "
            f"{c['github_points']:,} rate-limit points; linking {r.child['link_seconds']:.2f} s "
            f"({r.child['links']}); sandbox CPU {r.sandbox_cpu:.2f} s; RSS after imports "
            f"{r.child['rss_after_imports_mb']:.0f} MB; whole process {r.child['process_wall']:.2f} s. "
            f"Streams (items/seconds): {streams}."
        )
        if r.scenario == "no change":
            routes = {**{f"jira {k}": v for k, v in c["jira_routes"].items()},
                      **{f"github {k}": v for k, v in c["github_routes"].items()}}
            detail.append("  Requests by route: " + ", ".join(f"`{k}` {v}" for k, v in sorted(routes.items())) + ".")
    return measured, detail


def pipeline_section(plan: Plan) -> str:
    parts = ["## 2. Whole pipeline: Jira + GitHub → engine → SQLite, linking included", "",
             "Each sync is a fresh process (`python -m bench.pipeline`); *own CPU* is that process's CPU time, "
             "*waiting* = wall − own CPU (time on HTTP round-trips and the sandbox). No-change target: one request "
             "per stream, GitHub answered 304, under 2 s.", ""]
    for label, scale, releases in plan.pipelines:
        work = BENCH_DIR / "pipeline"
        work.mkdir(parents=True, exist_ok=True)
        with SandboxProcess(SandboxSpec(scale=scale, releases=releases)) as sb:
            runs = run_pipeline(sb, work, scale.jira_issues, scale.github_issues + scale.pull_requests)
        measured, detail = _pipeline_rows(label, runs)
        measured = [dataclasses.replace(m, workload=f"{label}: {m.workload}") for m in measured]
        parts += [_table(MEASURED_HEADER, _measured_rows(measured, {})), "", *detail, ""]
    return "\n".join(parts)


def _peer_measured(peer: Peer, workload: str, runs: list[PeerRun], counters: list[dict[str, int]]) -> Measured:
    ok = [r for r in runs if r.returncode == 0]
    use = ok or runs
    note = "" if ok else f"failed (exit {runs[0].returncode}): {runs[0].stderr_tail.strip().splitlines()[-1][:160]}"
    return Measured(
        tool=peer.label, workload=workload, wall=statistics.median(r.wall for r in use),
        items=int(statistics.median(r.items for r in use)),
        requests=int(statistics.median(c["requests"] for c in counters)),
        points=int(statistics.median(c["points"] for c in counters)) if peer.tool == "github" else None,
        peak_rss_mb=statistics.median(r.peak_rss_mb for r in use), cpu=statistics.median(r.cpu for r in use),
        note=note or ", ".join(f"{k} {v:,}" for k, v in sorted(use[0].records.items())),
    )


def _pmhub_tool_run(sb: SandboxProcess, tool: str, work: Path) -> tuple[PipelineRun, dict[str, int]]:
    store = work / f"pmhub-{tool}.db"
    store.unlink(missing_ok=True)
    config = work / f"pmhub-{tool}.toml"
    config.write_text(sb.config_toml(store, sources=(tool,)), encoding="utf-8")
    run = run_scenario(sb, "full", config, merged_env(sb.environment, sb.ca_bundle))
    return run, {"requests": run.counters[f"{tool}_requests"], "points": run.counters["github_points"]}


def peers_section(plan: Plan) -> str:
    work = BENCH_DIR / "peers"
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Measured] = []
    failures: list[str] = []
    for tool, workload, tls in (("github", "full GitHub sync", False), ("jira", "full Jira sync", True)):
        spec = SandboxSpec(scale=plan.peer_scale, releases=plan.peer_releases if tool == "github" else 0,
                           tls_dir=BENCH_DIR / "tls" if tls else None)
        peers = [p for p in PEERS if p.tool == tool]
        with SandboxProcess(spec) as sb:
            commands: dict[str, list[str]] = {}
            for peer in peers:
                script, why = (None, peer.broken) if peer.broken else install(peer, BENCH_DIR)
                if script is None:
                    failures.append(f"| {workload} | {peer.label} | not run: {why} |")
                    continue
                try:
                    commands[peer.label] = prepare(peer, script, sb, work)
                except RuntimeError as exc:
                    failures.append(f"| {workload} | {peer.label} | not run: {str(exc)[:300]} |")
            pmhub_runs: list[PipelineRun] = []
            pmhub_counts: list[dict[str, int]] = []
            peer_runs: dict[str, list[PeerRun]] = {label: [] for label in commands}
            peer_counts: dict[str, list[dict[str, int]]] = {label: [] for label in commands}
            for _ in range(plan.repeats):  # A B A B: pmhub, then each peer, again
                run, counted = _pmhub_tool_run(sb, tool, work)
                pmhub_runs.append(run)
                pmhub_counts.append(counted)
                for label, cmd in commands.items():
                    sb.reset_counters()
                    peer_runs[label].append(run_peer(cmd, sb, work / f"{label.replace(' ', '_')}.log",
                                                     plan.peer_timeout))
                    c = sb.counters()
                    peer_counts[label].append({"requests": c[f"{tool}_requests"], "points": c["github_points"]})
        pm = Measured(
            tool=f"pmhub ({tool} source, normalised + stored)", workload=workload,
            wall=statistics.median(r.child["process_wall"] for r in pmhub_runs),
            items=int(statistics.median(r.child["items"] for r in pmhub_runs)),
            requests=int(statistics.median(c["requests"] for c in pmhub_counts)),
            points=int(statistics.median(c["points"] for c in pmhub_counts)) if tool == "github" else None,
            peak_rss_mb=statistics.median(r.child["peak_rss_mb"] for r in pmhub_runs),
            cpu=statistics.median(r.child["process_cpu"] for r in pmhub_runs),
            note=f"sync alone {statistics.median(r.child['wall'] for r in pmhub_runs):.2f} s; "
            + ", ".join(f"{s['stream']} {s['items']:,}" for s in pmhub_runs[0].child["streams"]),
        )
        rows.append(pm)
        by_label = {p.label: p for p in peers}
        rows += [_peer_measured(by_label[label], workload, peer_runs[label], peer_counts[label])
                 for label in commands]
    baseline = {m.workload: m.wall for m in rows if m.tool.startswith("pmhub")}
    parts = [
        f"## 3. pmhub beside the peers ({_scale_text(plan.peer_scale)}; {plan.peer_releases} GitHub releases)",
        "",
        f"Same sandbox data for every tool; {plan.repeats} alternating round(s) (pmhub, then each peer), medians. "
        "pmhub's time includes normalising and writing to SQLite (and its streams the peers do not have: "
        "milestones, checks, status changes, sprints); the peers only print records. Wall and CPU are whole "
        "processes, start-up included, for every tool. Requests and rate-limit points "
        "are counted by the sandbox. Jira runs over HTTPS (the Jira peers insist on it), GitHub over HTTP.",
        "",
        _table(MEASURED_HEADER, _measured_rows(rows, baseline)),
    ]
    if failures:
        parts += ["", "| workload | tool | why |", "|---|---|---|", *failures]
    return "\n".join(parts)


def _external(module: str, args: list[str], title: str) -> str:
    if not (ROOT / "bench" / f"{module.split('.')[-1]}.py").exists():
        return f"## {title}\n\nnot measured: `{module}` does not exist yet."
    log = BENCH_DIR / f"{module}.out"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace").strip()[-3000:]
    outcome = "" if code == 0 else f" (exit {code})"
    return (f"## {title}\n\n`python -m {module} {' '.join(args)}`{outcome}: {wall:.1f} s, peak RSS of that process "
            f"{usage.ru_maxrss / 1024:.0f} MB\n\n```\n{text}\n```")


def machine_section(plan: Plan, started: dt.datetime, load: tuple[float, float, float]) -> str:
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    now_load = os.getloadavg()
    return "\n".join([
        "# Benchmarks",
        "",
        f"Generated by `python -m bench{' --quick' if plan.name == 'quick' else ''}` (`make bench"
        f"{'-quick' if plan.name == 'quick' else ''}`) on {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {os.cpu_count()} CPUs ({cpu}), {total_kb / 1024 / 1024:.1f} GiB memory, {platform.platform()}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        "- Peers (pinned, each in its own virtualenv under `.bench/venvs/`): "
        + ", ".join(sorted({p.package for p in PEERS})),
        f"- Load average (1/5/15 min) at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, at end "
        f"{now_load[0]:.2f}/{now_load[1]:.2f}/{now_load[2]:.2f}: wall times and latencies are only as quiet as "
        "the machine was; CPU times are not affected by other processes.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller data, one round; peers only with --peers.")
    parser.add_argument("--peers", action=argparse.BooleanOptionalAction, default=None,
                        help="Run the peers (default: yes for the full run, no for --quick).")
    parser.add_argument("--only", choices=["latency", "pipeline", "peers", "others"], action="append",
                        help="Run only these sections (repeatable).")
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    with_peers = args.peers if args.peers is not None else not args.quick
    started, load = dt.datetime.now(dt.UTC), os.getloadavg()
    sections: list[tuple[str, Callable[[], str]]] = [
        ("latency", lambda: latency_section(plan)),
        ("pipeline", lambda: pipeline_section(plan)),
        ("peers", lambda: peers_section(plan) if with_peers
         else "## 3. pmhub beside the peers\n\nnot measured in this run (`--peers` to include them)."),
        ("others", lambda: _external("bench.webhooks", plan.extra_args, "4. Webhooks: signed deliveries")),
        ("others", lambda: _external("bench.readiness_bench", [], "5. Readiness + report for a 10,000-item release")),
    ]
    body = []
    for name, build in sections:
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        text = build()
        print(text + f"\n\n_({name}: {time.perf_counter() - t0:.0f} s)_\n", flush=True)
        body.append(text)
    doc = "\n\n".join([machine_section(plan, started, load), *body]) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(doc, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
