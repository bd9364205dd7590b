"""Running pmhub for a team: ``pmhub serve``, ``pmhub deploy`` and ``pmhub webhooks register``."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.context import config_file, console, err, open_store_or_exit, settings
from schema import ConfigError


def serve(
    schedules: Annotated[
        bool, typer.Option(help="Also run the scheduled deployments (off: web app only, workers run the flows).")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: serve.host).")] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port to bind, 0 for any free one (default: serve.port).")
    ] = None,
) -> None:
    """The webhook receiver and status page on --host:--port (serve.host:serve.port by default), plus the scheduled
    syncs and digest."""
    from rich.markup import escape

    from flows.deploy import serve_schedules
    from hub import service
    from hub.web.app import create_app
    from hub.web.server import WebServer

    cfg = settings()
    store = open_store_or_exit(cfg)

    def reevaluate(release_ids: frozenset[str]) -> None:
        service.reevaluate_ids(store, cfg, release_ids)

    try:
        web_app = create_app(cfg, store, on_change=reevaluate)
    except ConfigError as exc:
        err.print(f"[red]config error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    web = WebServer(web_app, host or cfg.serve.host, cfg.serve.port if port is None else port)
    console.print(web.banner(), highlight=False, markup=False)
    if not schedules:
        web.run()
        return
    web.start()
    try:
        serve_schedules(cfg, config_file())
    finally:
        web.stop()


def deploy(
    pool: Annotated[str, typer.Option("--pool", help="Prefect work pool (process type) to deploy to.")] = "pmhub",
) -> None:
    """Register pmhub's deployments with a Prefect server's work pool (PREFECT_API_URL); workers run them."""
    from flows.deploy import deploy_to_pool

    cfg = settings()
    deploy_to_pool(cfg, config_file(), pool)
    names = "pmhub-sync/scheduled-sync, pmhub-digest/scheduled-digest, pmhub-readiness/on-demand"
    console.print(f"deployed {names} to work pool {pool!r}")
    console.print(f"start a worker with: prefect worker start --pool {pool}")


def webhooks_register(
    apply: Annotated[bool, typer.Option("--apply", help="Create or update the webhooks through the APIs.")] = False,
) -> None:
    """Print (or, with --apply, perform) the webhook registration of every configured repo and Jira site."""
    from hub.web.register import apply_registrations, plan_registrations

    cfg = settings()
    try:
        plans = plan_registrations(cfg)
        for plan in plans:
            console.print(plan.describe(), highlight=False)
        if apply:
            for done in apply_registrations(cfg, plans):
                console.print(f"{done.action} {done.registration.tool} hook {done.hook_id} ({done.registration.scope})")
        else:
            console.print("dry run: --apply registers them")
    except ConfigError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
