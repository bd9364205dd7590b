"""Readiness and digest flows: thin wrappers over :mod:`hub.service`, each leaving a Prefect markdown artifact.

- ``pmhub-readiness`` (on demand, parameter ``release``): evaluate one release, deliver the verdict when asked.
- ``pmhub-digest`` (scheduled by ``schedules.digest``): the consolidated status report, delivered to the targets
  subscribed to ``digest`` at their audience's depth (the team the whole report, leadership one screen); a
  guardrail broken since a recent launch goes to the ``readiness`` targets first, once.
- :func:`reevaluate_changed` runs after every sync: each upcoming release is evaluated again, and a release whose
  verdict or checks changed since its last report is delivered to the ``readiness`` targets; so is each recent
  launch with a guardrail newly broken since it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.logs import logs_to_run
from hub import service
from hub.settings import load_settings
from hub.sources import open_store
from reports import render_readiness, render_status
from sync.launches import reviews_from_store
from sync.overview import upcoming_releases


def _artifact_key(text: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


@flow(name="pmhub-readiness")
def readiness_flow(
    release: str, project: str | None = None, config: str | None = None, notify: bool = False
) -> str:
    """Evaluate ``release`` ('2.4.0' with ``project``, or 'CHK 2.4.0'); returns the verdict."""
    with logs_to_run():
        cfg = load_settings(config)
        store = open_store(cfg)
        target = service.resolve_release(store, release, project)
        report = service.readiness(store, cfg, target, datetime.now(UTC))
        create_markdown_artifact(
            render_readiness(report, "md"),
            key=_artifact_key(f"readiness-{target.project}-{target.name}"),
            description=f"Launch readiness of {target.project} {target.name}",
        )
        if notify:
            message = service.readiness_message_for(report, cfg)
            service.notify(store, cfg, message, event="readiness", subject_id=target.id)
        return report.verdict.value


@flow(name="pmhub-digest")
def digest_flow(config: str | None = None, notify: bool = True) -> int:
    """The consolidated status report; returns how many releases it covers."""
    with logs_to_run():
        cfg = load_settings(config)
        store = open_store(cfg)
        now = datetime.now(UTC)
        report = service.status_report(store, cfg, now)
        create_markdown_artifact(render_status(report, "md"), key="pmhub-status", description="Consolidated status")
        if notify:
            service.launch_alerts(store, cfg, report.launches, now)
            service.digest(store, cfg, report)
        return len(report.releases)


@task(name="reevaluate-readiness")
def reevaluate_changed(config: str | None) -> list[str]:
    """Evaluate every upcoming release and judge the recent launches' guardrails again; deliver what changed.
    Returns the releases whose readiness changed and the launches with a guardrail newly broken."""
    cfg = load_settings(config)
    store = open_store(cfg)
    now = datetime.now(UTC)
    changed = service.reevaluate(store, cfg, upcoming_releases(store), now)
    launches = reviews_from_store(store, cfg.launch_review, cfg.readiness.guardrails, now).launches
    return changed + service.launch_alerts(store, cfg, launches, now)
