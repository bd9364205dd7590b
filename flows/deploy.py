"""Deployments of pmhub's flows, for the two ways of running them.

- One machine: ``pmhub serve`` calls :func:`serve_schedules`, which serves the deployments from this process with
  their cron schedules (Prefect's embedded server unless ``PREFECT_API_URL`` points elsewhere).
- A team: :func:`deploy_to_pool` registers the same deployments with a Prefect server's work pool; workers
  (``prefect worker start --pool NAME``) on any machine that has pmhub installed run them, against the shared store
  named in pmhub.toml (PostgreSQL).

Deployments carry only the absolute config path as a parameter; everything else is read inside the flow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment

from flows.readiness import digest_flow, readiness_flow
from flows.sync import sync_flow
from hub.settings import Settings

SYNC_DEPLOYMENT = "scheduled-sync"
DIGEST_DEPLOYMENT = "scheduled-digest"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _parameters(config: Path | None) -> dict[str, Any]:
    return {"config": str(config.resolve())} if config is not None else {}


def sync_deployment(cfg: Settings, config: Path | None) -> RunnerDeployment:
    deployment = sync_flow.to_deployment(
        name=SYNC_DEPLOYMENT,
        cron=cfg.schedules.sync,
        parameters=_parameters(config),
        description="Sync every configured source into the store, then link across tools.",
        tags=["pmhub"],
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment


def digest_deployment(cfg: Settings, config: Path | None) -> RunnerDeployment:
    deployment = digest_flow.to_deployment(
        name=DIGEST_DEPLOYMENT,
        cron=cfg.schedules.digest,
        parameters=_parameters(config),
        description="The consolidated status report, delivered to the digest targets.",
        tags=["pmhub"],
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment


def readiness_deployment(config: Path | None) -> RunnerDeployment:
    deployment = readiness_flow.to_deployment(
        name="on-demand",
        parameters=_parameters(config),
        description="Launch readiness of one release: run with parameter release='CHK 2.4.0'.",
        tags=["pmhub"],
    )
    assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
    return deployment


def serve_schedules(cfg: Settings, config: Path | None) -> None:
    """Block, running the scheduled and on-demand deployments from this process."""
    serve(
        sync_deployment(cfg, config),
        digest_deployment(cfg, config),
        readiness_deployment(config),
        print_starting_message=True,
    )


def deploy_to_pool(cfg: Settings, config: Path | None, pool: str) -> list[str]:
    """Register the sync, digest and readiness deployments with ``pool`` (a process work pool); returns their ids."""
    plans: list[tuple[str, str, str | None]] = [
        ("flows/sync.py:sync_flow", SYNC_DEPLOYMENT, cfg.schedules.sync),
        ("flows/readiness.py:digest_flow", DIGEST_DEPLOYMENT, cfg.schedules.digest),
        ("flows/readiness.py:readiness_flow", "on-demand", None),
    ]
    ids = []
    for entrypoint, name, cron in plans:
        flow = Flow.from_source(source=str(PROJECT_ROOT), entrypoint=entrypoint)
        assert isinstance(flow, Flow)  # sync context: not a coroutine
        deployment_id = flow.deploy(
            name=name,
            work_pool_name=pool,
            cron=cron,
            parameters=_parameters(config),
            tags=["pmhub"],
            build=False,
            push=False,
            print_next_steps=False,
        )
        ids.append(str(deployment_id))
    return ids
