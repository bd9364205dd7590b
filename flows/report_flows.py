"""Readiness and digest flows: thin wrappers over :mod:`hub.service`, each leaving a Prefect markdown artifact.

- ``pmhub-readiness`` (on demand, parameter ``release``): evaluate one release, deliver the verdict when asked.
- ``pmhub-digest`` (scheduled by ``schedules.digest``): the consolidated status report, delivered to the targets
  subscribed to ``digest``.
- :func:`reevaluate_changed` runs after every sync: each upcoming release is evaluated again, and a release whose
  verdict or checks changed since its last report is delivered to the ``readiness`` targets.
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
        report = service.status_report(store, cfg, datetime.now(UTC))
        create_markdown_artifact(render_status(report, "md"), key="pmhub-status", description="Consolidated status")
        if notify:
            message = service.status_message_for(report, cfg)
            service.notify(store, cfg, message, event="digest", subject_id="pmhub:status")
        return len(report.releases)


@task(name="reevaluate-readiness")
def reevaluate_changed(config: str | None) -> list[str]:
    """Evaluate every upcoming release; deliver those whose verdict or checks changed. Returns their names."""
    cfg = load_settings(config)
    store = open_store(cfg)
    return service.reevaluate(store, cfg, upcoming_releases(store), datetime.now(UTC))
