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

from flows.sync import sync_flow
from hub.settings import Settings

SYNC_DEPLOYMENT = "scheduled-sync"
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


def serve_schedules(cfg: Settings, config: Path | None, extra: list[RunnerDeployment] | None = None) -> None:
    """Block, running the scheduled deployments from this process."""
    serve(sync_deployment(cfg, config), *(extra or []), print_starting_message=True)


def deploy_to_pool(cfg: Settings, config: Path | None, pool: str) -> str:
    """Register the scheduled sync with ``pool`` (a process work pool); returns the deployment's id."""
    flow = sync_flow.from_source(source=str(PROJECT_ROOT), entrypoint="flows/sync.py:sync_flow")
    assert isinstance(flow, Flow)  # sync context: not a coroutine
    deployment_id = flow.deploy(
        name=SYNC_DEPLOYMENT,
        work_pool_name=pool,
        cron=cfg.schedules.sync,
        parameters=_parameters(config),
        tags=["pmhub"],
        build=False,
        push=False,
        print_next_steps=False,
    )
    return str(deployment_id)
