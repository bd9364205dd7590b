"""Deployments of pmhub's flows, for the two ways of running them.

- One machine: ``pmhub serve`` calls :func:`serve_schedules`, which serves the deployments from this process with
  their cron schedules (Prefect's embedded server unless ``PREFECT_API_URL`` points elsewhere).
- A team: :func:`deploy_to_pool` registers the same deployments with a Prefect server's work pool; workers
  (``prefect worker start --pool NAME``) on any machine that has pmhub installed run them, against the shared store
  named in pmhub.toml (PostgreSQL).

Deployments carry only the absolute config path as a parameter; everything else is read inside the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from prefect import Flow, serve
from prefect.deployments.runner import RunnerDeployment

from flows.report_flows import digest_flow, readiness_flow
from flows.sync_flow import sync_flow
from hub.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Plan:
    flow: Flow[..., Any]
    entrypoint: str  # where a worker finds the flow in the project
    name: str
    schedule: Literal["sync", "digest"] | None  # which [schedules] cron runs it; None: on demand only
    description: str


PLANS = (
    Plan(sync_flow, "flows/sync_flow.py:sync_flow", "scheduled-sync", "sync", "Sync, link, re-evaluate readiness."),
    Plan(digest_flow, "flows/report_flows.py:digest_flow", "scheduled-digest", "digest", "The digest to its targets."),
    Plan(
        readiness_flow,
        "flows/report_flows.py:readiness_flow",
        "on-demand",
        None,
        "Launch readiness of one release: run with parameter release='CHK 2.4.0'.",
    ),
)


def _cron(cfg: Settings, plan: Plan) -> str | None:
    return getattr(cfg.schedules, plan.schedule) if plan.schedule else None


def _parameters(config: Path | None) -> dict[str, Any]:
    return {"config": str(config.resolve())} if config is not None else {}


def serve_schedules(cfg: Settings, config: Path | None) -> None:
    """Block, running the scheduled and on-demand deployments from this process."""
    deployments = []
    for plan in PLANS:
        deployment = plan.flow.to_deployment(
            name=plan.name,
            cron=_cron(cfg, plan),
            parameters=_parameters(config),
            description=plan.description,
            tags=["pmhub"],
        )
        assert isinstance(deployment, RunnerDeployment)  # sync context: not a coroutine
        deployments.append(deployment)
    serve(*deployments, print_starting_message=True)


def deploy_to_pool(cfg: Settings, config: Path | None, pool: str) -> list[str]:
    """Register every deployment with ``pool`` (a process work pool); workers load the flows from the project."""
    ids = []
    for plan in PLANS:
        flow = Flow.from_source(source=str(PROJECT_ROOT), entrypoint=plan.entrypoint)
        assert isinstance(flow, Flow)  # sync context: not a coroutine
        deployment_id = flow.deploy(
            name=plan.name,
            work_pool_name=pool,
            cron=_cron(cfg, plan),
            parameters=_parameters(config),
            description=plan.description,
            tags=["pmhub"],
            build=False,
            push=False,
            print_next_steps=False,
        )
        ids.append(str(deployment_id))
    return ids
