"""The ``pmhub-sync`` Prefect flow: a thin wrapper over :mod:`sync.engine`.

One task per source and stream. Streams of one source run one after another (they share its rate limit); different
sources run concurrently. Tasks take names, not clients or records, build what they need inside, and retry only
:class:`RetryLaterError`. Linking runs once every stream has finished, then readiness is re-evaluated (and changed
verdicts delivered). The run summary becomes a markdown artifact.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import allow_failure, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State, TaskRun
from prefect.futures import PrefectFuture
from prefect.tasks import Task

from flows.logs import logs_to_run
from flows.report_flows import reevaluate_changed
from hub.settings import Settings, load_settings
from hub.sources import build_source, open_store
from schema import ConfigError, RetryLaterError, SyncFailedError
from sync.engine import ProgressFn, StreamResult, relink, sync_stream

_progress: list[ProgressFn] = []


def set_progress(callback: ProgressFn | None) -> None:
    """Let the CLI watch pages arrive (tasks run in this process's threads)."""
    _progress.clear()
    if callback is not None:
        _progress.append(callback)


def _report(result: StreamResult, stats: Any) -> None:
    for callback in _progress:
        callback(result, stats)


def _transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    try:
        state.result()
    except RetryLaterError:
        return True
    except Exception:  # anything else is not worth a retry
        return False
    return False


@task(
    name="sync-stream",
    task_run_name="{source}/{stream}",
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_transient,
)
def sync_stream_task(config: str | None, source: str, stream: str, full: bool = False) -> dict[str, Any]:
    cfg = load_settings(config)
    connector = build_source(source, cfg)
    selected = next(s for s in connector.streams() if s.name == stream)
    result = sync_stream(open_store(cfg), connector, selected, full=full, progress=_report)
    if result.error and result.retryable:
        raise RetryLaterError(result.error)
    return asdict(result)


@task(name="link")
def link_task(config: str | None) -> dict[str, int]:
    cfg = load_settings(config)
    return asdict(relink(open_store(cfg), cfg.link_rules()))


def stream_plan(cfg: Settings, source: str | None) -> list[tuple[str, list[str]]]:
    """(source, stream names) to run, in order; ``source`` narrows it to one configured source."""
    if source is not None and source not in cfg.sources:
        known = ", ".join(cfg.sources) or "none configured"
        raise ConfigError(f"no source named {source!r} in the configuration (known: {known})")
    names = [source] if source else list(cfg.sources)
    return [(name, [s.name for s in build_source(name, cfg).streams()]) for name in names]


def summary_markdown(summary: list[dict[str, Any]]) -> str:
    lines = [
        "| source | stream | pages | inserted | updated | unchanged | rejected | deleted | seconds | error |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in summary:
        lines.append(
            f"| {row['source']} | {row['stream']} | {row['pages']} | {row['inserted']} | {row['updated']} "
            f"| {row['unchanged']} | {row['rejected']} | {row['deleted']} | {row['seconds']:.1f} "
            f"| {row['error'] or row['skipped'] or ''} |"
        )
    return "\n".join(lines)


def _outcome(source: str, stream: str, future: PrefectFuture[dict[str, Any]]) -> dict[str, Any]:
    future.wait()
    state = future.state
    if state.is_completed():
        return future.result()
    try:
        future.result()
    except Exception as exc:  # the error becomes the row's message
        message = str(exc) or type(exc).__name__
    else:
        message = f"ended {state.name}"
    return asdict(StreamResult(source=source, stream=stream, error=message))


@flow(name="pmhub-sync", log_prints=True)
def sync_flow(config: str | None = None, source: str | None = None, full: bool = False) -> list[dict[str, Any]]:
    """Sync every configured source (or one), then link across tools."""
    with logs_to_run():
        cfg = load_settings(config)
        submitted: list[tuple[str, str, PrefectFuture[dict[str, Any]]]] = []
        for name, streams in stream_plan(cfg, source):
            previous: PrefectFuture[dict[str, Any]] | None = None
            for stream in streams:
                wait = [allow_failure(previous)] if previous is not None else None
                previous = sync_stream_task.submit(config, name, stream, full, wait_for=wait, return_state=False)
                submitted.append((name, stream, previous))
        linked = link_task.submit(config, wait_for=[allow_failure(f) for _, _, f in submitted], return_state=False)
        links = linked.result()
        summary = [_outcome(name, stream, future) for name, stream, future in submitted]
        changed = reevaluate_changed.submit(config, wait_for=[linked], return_state=False).result()
        create_markdown_artifact(
            summary_markdown(summary)
            + "\n\nLinks: "
            + ", ".join(f"{k} {v}" for k, v in links.items())
            + "\n\nRe-evaluated (readiness, guardrails since launch): "
            + (", ".join(changed) or "nothing changed"),
            key="pmhub-sync-summary",
            description="Pages, records and errors per source and stream",
        )
        if any(row["error"] for row in summary):
            raise SyncFailedError(summary)
        return summary


