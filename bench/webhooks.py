"""Webhook intake under load: N signed GitHub deliveries at concurrency C against the app served by uvicorn.

``python -m bench.webhooks [--quick] [--deliveries N] [--concurrency C]`` starts the app in a child process
(:class:`hub.web.server.WebServer`, a temporary SQLite store), posts ``issues`` deliveries (500 issues edited over
and over, each delivery newer than the last) over C keep-alive HTTP/1.1 connections, then waits until the worker
applied them and checks that every delivery is in the inbox exactly once and applied. It prints one line:
throughput, p50/p99 latency of the answers, how long applying took (targets: ≥ 500 deliveries/s, p99 < 50 ms for
10,000 at concurrency 50), the CPU time per delivery of the app process while receiving and in all (receiving and
applying), the client's CPU time per delivery and the load average before the run (the machine may be shared). The
exit status is 1 only when a delivery was lost, refused or stored twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from sync.store import Store
from sync.store.tables import webhook_inbox

SECRET_ENV = "PMHUB_BENCH_GITHUB_HOOK"
REPO = "bench/webhooks"
ISSUES = 500
TARGET_RATE = 500.0
TARGET_P99_MS = 50.0


def _serve(db: str, port: int) -> None:
    """The child process: the web app on 127.0.0.1:port over the SQLite store at ``db``."""
    from hub.settings import Settings
    from hub.web.app import create_app
    from hub.web.config import WebhookSettings
    from hub.web.server import WebServer

    settings = Settings(sources={"gh": {"kind": "github", "repos": [REPO], "token_env": "PMHUB_BENCH_NO_TOKEN"}})
    hooks = WebhookSettings(github_secret_env=SECRET_ENV, jira_secret_env=None, debounce_seconds=1.0)
    app = create_app(settings, Store(f"sqlite:///{db}"), webhooks=hooks)
    WebServer(app, "127.0.0.1", port).run()


def _template() -> dict[str, Any]:
    """GitHub's own ``issues.edited`` example, moved to the benchmark's repository."""
    shared = Path(os.environ.get("PMHUB_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    path = shared / "fixtures" / "github" / "webhooks" / "issues" / "edited.json"
    payload: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    payload["repository"] = {**payload["repository"], "full_name": REPO}
    return payload


def _deliveries(count: int, secret: str) -> list[tuple[str, bytes, str]]:
    from sandbox.webhooks import hmac_sha256

    template = _template()
    issue = template["issue"]
    assert isinstance(issue, dict)
    out = []
    for i in range(count):
        updated = f"2030-01-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        body = json.dumps(
            template | {"issue": issue | {"number": i % ISSUES + 1, "title": f"Edit {i}", "updated_at": updated}}
        ).encode()
        out.append((str(uuid.uuid4()), body, hmac_sha256(secret, body)))
    return out


@dataclass(frozen=True)
class Sent:
    seconds: float
    latencies_ms: list[float]
    failures: int


def _request(host: str, delivery: str, body: bytes, signature: str) -> bytes:
    head = (
        f"POST /webhooks/github HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: issues\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer (Content-Length framed) and return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    await reader.readexactly(length)
    return int(lines[0].split(" ", 2)[1])


async def _send(host: str, port: int, deliveries: list[tuple[str, bytes, str]], concurrency: int) -> Sent:
    """``concurrency`` keep-alive HTTP/1.1 connections, each posting one delivery after the other."""
    # why plain asyncio streams: at 50 connections an httpx client spends more CPU per request (4 ms, mostly
    # scanning its pool) than the server does, and on 2 cores the client's CPU is taken from the server
    requests = [_request(f"{host}:{port}", *delivery) for delivery in deliveries]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while not queue.empty():
                request = queue.get_nowait()
                started = time.perf_counter()
                writer.write(request)
                status = await _answer(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += status != 202
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Sent(time.perf_counter() - started, latencies, failures)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(url: str, child: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError("the app process exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"the app at {url} did not answer within {timeout:.0f} s")


def _inbox(store: Store) -> tuple[int, int, int]:
    """(rows, distinct delivery ids, applied rows)."""
    stmt = select(
        func.count(),
        func.count(func.distinct(webhook_inbox.c.delivery_id)),
        func.sum((webhook_inbox.c.status == "applied").cast(webhook_inbox.c.attempts.type)),
    )
    with store.db.engine.connect() as conn:
        rows, distinct, applied = conn.execute(stmt).one()
    return int(rows), int(distinct), int(applied or 0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0.0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # why: utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (man 5 proc)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run(count: int, concurrency: int) -> bool:
    """Print the one-line result; False only when a delivery was lost, refused or stored twice (the latency and
    throughput targets depend on the machine and are reported, not enforced)."""
    secret = uuid.uuid4().hex
    deliveries = _deliveries(count, secret)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pmhub-bench-webhooks-") as tmp:
        db = str(Path(tmp) / "pmhub.db")
        port = _free_port()
        env = os.environ | {SECRET_ENV: secret}
        child = subprocess.Popen([sys.executable, "-m", "bench.webhooks", "--serve", db, str(port)], env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, child)
            app_cpu, client_cpu = _cpu_seconds(child.pid), time.process_time()
            sent = asyncio.run(_send("127.0.0.1", port, deliveries, concurrency))
            receiving_cpu = _cpu_seconds(child.pid) - app_cpu
            client_cpu = time.process_time() - client_cpu
            store = Store(f"sqlite:///{db}")
            started = time.perf_counter()
            while _inbox(store)[2] < count and time.perf_counter() - started < 300:
                time.sleep(0.2)
            applied_after = sent.seconds + time.perf_counter() - started
            total_cpu = _cpu_seconds(child.pid) - app_cpu
            rows, distinct, applied = _inbox(store)
            store.close()
        finally:
            child.terminate()
            child.wait(timeout=30)
    rate = count / sent.seconds
    p50, p99 = _percentile(sent.latencies_ms, 50), _percentile(sent.latencies_ms, 99)
    exact = rows == distinct == applied == count and sent.failures == 0
    met = exact and rate >= TARGET_RATE and p99 < TARGET_P99_MS
    print(
        f"webhooks: {count} deliveries at concurrency {concurrency}: {rate:.0f}/s, p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms; inbox {rows} rows / {distinct} ids / {applied} applied "
        f"({'each exactly once' if exact else 'MISMATCH'}), all applied {applied_after:.1f} s after the first; "
        f"app CPU {receiving_cpu / count * 1000:.2f} ms/delivery receiving, {total_cpu / count * 1000:.2f} in all; "
        f"client CPU {client_cpu / count * 1000:.2f} ms/delivery; load average before {load:.2f}; "
        f"targets (>= {TARGET_RATE:.0f}/s, p99 < {TARGET_P99_MS:.0f} ms) {'met' if met else 'MISSED'}"
    )
    return exact


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 deliveries instead of 10,000.")
    parser.add_argument("--deliveries", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]))
        return 0
    count = args.deliveries or (1_000 if args.quick else 10_000)
    return 0 if run(count, args.concurrency) else 1


if __name__ == "__main__":
    sys.exit(main())
