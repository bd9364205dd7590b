"""The ``pmhub`` command line: one typer app, each command a thin call into sync/, reports/ or flows/."""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.settings import Settings, config_path, credential_envs, load_settings, secret
from schema import ConfigError, RetryLaterError

if TYPE_CHECKING:
    from connectors.notify import DeliveryResult
    from sync.store import Store

app = typer.Typer(
    name="pmhub",
    help="Integration hub for product managers: Jira, GitHub and analytics in one schema; launch readiness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
store_app = typer.Typer(help="Inspect the store.", no_args_is_help=True)
app.add_typer(store_app, name="store")

console = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="pmhub.toml to use (default: $PMHUB_CONFIG or ./pmhub.toml)."),
]


class JiraFlavour(StrEnum):
    CLOUD = "cloud"
    SERVER = "server"


class _State:
    config: Path | None = None


@app.callback()
def main(config: ConfigOption = None) -> None:
    _State.config = config


def settings() -> Settings:
    """Load the configuration or exit 2 with one line per problem."""
    try:
        return load_settings(_State.config)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            err.print(f"[red]config error[/red] {line}", highlight=False, markup=True)
        raise typer.Exit(2) from None


@app.command()
def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter pmhub.toml."""
    path = config_path(_State.config)
    if path.exists() and not force:
        err.print(f"{path} exists; use --force to overwrite it")
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(resources.files("hub").joinpath("starter.toml").read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"wrote {path}; edit it, export the tokens it names, then run `pmhub check`")


@app.command()
def check() -> None:
    """Validate the configuration and report, per source, whether its credentials are present."""
    cfg = settings()
    console.print(f"config: {config_path(_State.config)} is valid; store: {_redact_url(cfg.store.url)}")
    table = Table("source", "kind", "credential", "present")
    missing = 0
    for name, source in cfg.sources.items():
        envs = credential_envs(source)
        if not envs:
            table.add_row(name, source.kind, "(none needed)", "yes")
        for var in envs.values():
            present = secret(var) is not None
            missing += not present
            table.add_row(name, source.kind, f"${var}", "yes" if present else "[red]missing[/red]")
    console.print(table)
    if missing:
        err.print(f"{missing} credential(s) missing: export the variables marked missing")
        raise typer.Exit(1)


@store_app.command("info")
def store_info() -> None:
    """The schema revision, tables and row counts."""
    cfg = settings()
    store = open_store_or_exit(cfg)
    console.print(f"revision {store.schema.revision} (the newest this pmhub knows)")
    table = Table("table", "rows", title=store.url)
    for name, rows in store.db.counts().items():
        table.add_row(name, str(rows))
    console.print(table)


@store_app.command("upgrade")
def store_upgrade() -> None:
    """Bring the store's schema to the newest revision now (opening a store does it too)."""
    store = open_store_or_exit(settings())
    console.print(store.schema.describe(store.url), highlight=False, soft_wrap=True)


def _redact_url(url: str) -> str:
    """Hide a password in a database URL (postgresql+psycopg://user:***@host/db)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def sync(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this configured source.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore saved cursors and read everything again.")] = False,
) -> None:
    """Sync sources into the store through the Prefect flow, with live progress and a summary."""
    from flows.sync_flow import SyncFailedError, set_progress, sync_flow
    from hub.progress import SyncProgress

    cfg = settings()
    if not cfg.sources:
        err.print("no sources configured: add [sources.<name>] tables to pmhub.toml (see `pmhub init`)")
        raise typer.Exit(2)
    view = SyncProgress(console)
    set_progress(view.update)
    failed = False
    try:
        with view:
            summary = sync_flow(config=_config_arg(), source=source, full=full)
    except SyncFailedError as exc:
        summary, failed = exc.summary, True
    except ConfigError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        set_progress(None)
    console.print(view.summary_table(summary))
    if failed:
        for row in summary:
            if row["error"]:
                err.print(f"[red]failed[/red] {row['source']}/{row['stream']}: {row['error']}", highlight=False)
        raise typer.Exit(1)


def _config_arg() -> str | None:
    """The config path for flows and subprocesses: absolute, so workers elsewhere find the same file."""
    path = config_path(_State.config)
    return str(path.resolve()) if path.exists() else None


@app.command()
def status(
    stale_after: Annotated[int, typer.Option(help="Minutes after which a source counts as stale.")] = 60,
) -> None:
    """Consolidated status: per upcoming release scope, blockers, PRs and CI; per source freshness."""
    from datetime import UTC, datetime

    from sync.status import freshness, release_statuses

    cfg = settings()
    store = open_store_or_exit(cfg)
    now = datetime.now(UTC)
    releases = Table(
        "project", "release", "due", "items done", "points done", "blockers", "PRs open/merged", "CI",
        title="upcoming releases",
    )
    for st in release_statuses(store):
        rel = st.release
        overdue = rel.release_date is not None and rel.release_date < now.date()
        releases.add_row(
            rel.project,
            rel.name,
            f"[red]{rel.release_date} (overdue)[/red]" if overdue else str(rel.release_date or "-"),
            f"{st.items_done}/{st.items_total}",
            f"{st.points_done:g}/{st.points_total:g}",
            ", ".join(b.source.key or b.id for b in st.blockers[:4]) + (" …" if len(st.blockers) > 4 else "")
            if st.blockers
            else "none",
            f"{st.prs_open}/{st.prs_merged}",
            {"green": "[green]green[/green]", "red": "[red]red[/red]"}.get(st.ci, st.ci),
        )
    console.print(releases)
    fresh = Table("source", "stream", "last good sync", "age", title="data freshness")
    stale = 0
    for row in freshness(store, now):
        is_stale = row.age_minutes > stale_after
        stale += is_stale
        age = f"{row.age_minutes:.0f} min"
        fresh.add_row(row.source, row.stream, row.last_success.strftime("%Y-%m-%d %H:%M UTC"),
                      f"[red]{age} (stale)[/red]" if is_stale else age)
    console.print(fresh)
    if stale:
        err.print(f"[yellow]warning[/yellow] {stale} stream(s) older than {stale_after} minutes: run `pmhub sync`")


def open_store_or_exit(cfg: Settings) -> Store:
    """The configured store, or exit with a message that names it without its password: 1 when it cannot be
    reached, 2 when this pmhub cannot use it."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.sources import open_store

    try:
        return open_store(cfg)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        err.print(f"[red]store unreachable[/red] {_redact_url(cfg.store.url)}: {reason}", highlight=False)
        raise typer.Exit(1) from None
    except RetryLaterError as exc:
        err.print(f"[red]store unreachable[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ConfigError as exc:
        err.print(f"[red]store error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def serve(
    schedules: Annotated[
        bool, typer.Option(help="Also run the scheduled deployments (off: web app only, workers run the flows).")
    ] = True,
) -> None:
    """The webhook receiver and status page on serve.host:serve.port, plus the scheduled syncs and digest."""
    from flows.deploy import serve_schedules
    from hub import service
    from hub.web.app import create_app
    from hub.web.server import WebServer

    cfg = settings()
    store = open_store_or_exit(cfg)

    def reevaluate(release_ids: frozenset[str]) -> None:
        service.reevaluate_ids(store, cfg, release_ids)

    web_app = create_app(cfg, store, on_change=reevaluate)
    web = WebServer(web_app, cfg.serve.host, cfg.serve.port)
    console.print(web.banner(), highlight=False)
    if not schedules:
        web.run()
        return
    path = config_path(_State.config)
    web.start()
    try:
        serve_schedules(cfg, path if path.exists() else None)
    finally:
        web.stop()


webhooks_app = typer.Typer(help="Webhook registrations in GitHub and Jira.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("register")
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


@app.command()
def deploy(
    pool: Annotated[str, typer.Option("--pool", help="Prefect work pool (process type) to deploy to.")] = "pmhub",
) -> None:
    """Register pmhub's deployments with a Prefect server's work pool (PREFECT_API_URL); workers run them."""
    from flows.deploy import deploy_to_pool

    cfg = settings()
    path = config_path(_State.config)
    deploy_to_pool(cfg, path if path.exists() else None, pool)
    names = "pmhub-sync/scheduled-sync, pmhub-digest/scheduled-digest, pmhub-readiness/on-demand"
    console.print(f"deployed {names} to work pool {pool!r}")
    console.print(f"start a worker with: prefect worker start --pool {pool}")


@app.command("sandbox")
def sandbox_cmd(
    seed: Annotated[int, typer.Option(help="Seed of the generated world (same seed, same world).")] = 7,
    scale: Annotated[str, typer.Option(help="tiny, small, medium or large.")] = "small",
    jira_issues: Annotated[int | None, typer.Option(help="Override the number of Jira issues.")] = None,
    github_issues: Annotated[int | None, typer.Option(help="Override the number of GitHub issues.")] = None,
    pull_requests: Annotated[int | None, typer.Option(help="Override the number of pull requests.")] = None,
    faults: Annotated[str, typer.Option(help="Fault spec, e.g. 'github:/repos/*=429@0.1' (see README).")] = "",
    jira_flavour: Annotated[JiraFlavour, typer.Option(help="Jira Cloud or Server/DC APIs.")] = JiraFlavour.CLOUD,
    port: Annotated[int, typer.Option(help="First port (Jira; the others follow); 0 = any free ports.")] = 0,
    ready_file: Annotated[Path | None, typer.Option(help="Write URLs and credentials here once serving.")] = None,
    write_config: Annotated[Path | None, typer.Option(help="Write a pmhub.toml pointing at the sandbox.")] = None,
) -> None:
    """Serve local Jira, GitHub, PostHog, Amplitude and Mixpanel APIs over a seeded world until interrupted."""
    import dataclasses
    import threading

    from sandbox.runner import Sandbox, SandboxOptions
    from sandbox.world import Scale

    try:
        preset = Scale.named(scale)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    overrides = {"jira_issues": jira_issues, "github_issues": github_issues, "pull_requests": pull_requests}
    sized = dataclasses.replace(preset, **{k: v for k, v in overrides.items() if v is not None})
    names = ["jira", "github", "posthog", "amplitude", "mixpanel"]
    ports = {name: port + i for i, name in enumerate(names)} if port else {}
    options = SandboxOptions(seed=seed, scale=sized, faults=faults, jira_flavour=jira_flavour.value, ports=ports)
    with Sandbox(options) as sb:
        for name, url in sb.urls.items():
            console.print(f"{name:<10} {url}")
        if write_config is not None:
            write_config.write_text(sb.config_toml(), encoding="utf-8")
            console.print(f"wrote {write_config}; before using it:")
            for key, value in sb.environment().items():
                console.print(f"  export {key}={value}", highlight=False)
        if ready_file is not None:
            sb.write_ready_file(ready_file)
        console.print("sandbox running; Ctrl-C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopping")


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo keeps its config, store and reports.")] = Path(
        ".pmhub/demo"
    ),
) -> None:
    """Start the sandbox, sync it through Prefect, show the status and the readiness of the next releases."""
    import os
    from datetime import UTC, datetime

    from hub import service
    from reports import render_readiness
    from sandbox.runner import Sandbox, SandboxOptions

    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "pmhub.toml"
    store_file = workdir / "pmhub.db"
    store_file.unlink(missing_ok=True)
    with Sandbox(SandboxOptions()) as sb:
        config.write_text(sb.config_toml(f"sqlite:///{store_file.resolve()}"), encoding="utf-8")
        os.environ.update(sb.environment())
        _State.config = config
        console.rule("pmhub demo: sandbox up")
        for name, url in sb.urls.items():
            console.print(f"  {name:<10} {url}")
        console.rule("sync (Prefect flow pmhub-sync)")
        sync(source=None, full=True)
        console.rule("status")
        status(stale_after=60)
        console.rule("launch readiness of the next releases")
        cfg = settings()
        store = open_store_or_exit(cfg)
        for product in sb.world.products:
            release = sb.world.next_release(product)
            target = service.resolve_release(store, release.name, product.jira_project)
            report = service.readiness(store, cfg, target, datetime.now(UTC))
            html = render_readiness(report, "html")
            stem = f"readiness-{product.jira_project}-{release.name}"
            path = service.write_report(html, workdir / f"{stem}.html", stem, "html")
            failing = [c.title for c in report.checks if c.outcome == "failed"]
            console.print(f"  {product.jira_project} {release.name}: [bold]{report.verdict}[/bold]", highlight=False)
            if failing:
                console.print(f"    failing: {', '.join(failing)}", highlight=False)
            console.print(f"    report: {path.resolve()}", highlight=False)
    console.rule("next")
    console.print(f"config {config}, store {store_file}. The sandbox stopped with the demo; to keep one running:")
    console.print("  pmhub sandbox --write-config pmhub.toml; export the tokens it prints; pmhub sync; pmhub serve")


class OutputFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


VERDICT_EXIT = {"GO": 0, "AT RISK": 3, "NO-GO": 4}


@app.command("readiness")
def readiness_cmd(
    release: Annotated[str, typer.Argument(help="Release name, e.g. '2.4.0' or 'CHK 2.4.0'.")],
    project: Annotated[str | None, typer.Option(help="Jira project key or owner/repo of the release.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="md, html or json.")] = OutputFormat.MD,
    out: Annotated[Path | None, typer.Option(help="Write the report here instead of printing it.")] = None,
    notify: Annotated[bool, typer.Option("--notify", help="Deliver the verdict to the notify targets.")] = False,
) -> None:
    """Launch readiness of a release. Exit code: 0 GO, 3 AT RISK, 4 NO-GO, 1 error."""
    from datetime import UTC, datetime

    from hub import service
    from reports import render_readiness

    cfg = settings()
    store = open_store_or_exit(cfg)
    try:
        target = service.resolve_release(store, release, project)
    except ConfigError as exc:
        err.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    report = service.readiness(store, cfg, target, datetime.now(UTC))
    text = render_readiness(report, fmt.value)
    if out is not None or fmt is OutputFormat.HTML:
        path = service.write_report(text, out, f"readiness-{target.project}-{target.name}", fmt.value)
        console.print(f"{report.release.project} {report.release.name}: {report.verdict}  ({path})")
    else:
        print(text)
    if notify:
        _print_deliveries(service.notify(
            store, cfg, service.readiness_message_for(report, cfg), event="readiness", subject_id=target.id
        ))
    raise typer.Exit(VERDICT_EXIT[report.verdict])


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option(help="Folder for status.md, status.html and status.json.")] = Path(
        ".pmhub/reports"
    ),
    notify: Annotated[bool, typer.Option("--notify", help="Send the digest to the notify targets.")] = False,
) -> None:
    """The consolidated status report across releases and roadmap items, in Markdown, HTML and JSON."""
    from datetime import UTC, datetime

    from hub import service
    from reports import render_status

    cfg = settings()
    store = open_store_or_exit(cfg)
    report = service.status_report(store, cfg, datetime.now(UTC))
    out.mkdir(parents=True, exist_ok=True)
    for fmt in OutputFormat:
        path = service.write_report(render_status(report, fmt.value), out / f"status.{fmt.value}", "status", fmt.value)
        console.print(f"wrote {path}")
    for release in report.releases:
        console.print(f"  {release.release.project} {release.release.name}: {release.verdict}")
    if notify:
        _print_deliveries(service.notify(
            store, cfg, service.status_message_for(report, cfg), event="digest", subject_id="pmhub:status"
        ))


@app.command("reconcile")
def reconcile_cmd(
    apply: Annotated[bool, typer.Option("--apply", help="Execute the plan (rules enabled in [reconcile]).")] = False,
) -> None:
    """Contradictions between tools and the write-back plan that resolves them (a dry run unless --apply)."""
    from datetime import UTC, datetime

    from hub import service
    from sync.reconcile import apply_plan, reconcile_store

    cfg = settings()
    store = open_store_or_exit(cfg)
    result = reconcile_store(store, cfg.reconcile, datetime.now(UTC))
    table = Table("rule", "subject", "what", "suggested fix", title="contradictions")
    for c in result.contradictions:
        table.add_row(c.rule, c.subject_label, c.summary, c.fix)
    console.print(table)
    executor = service.write_back(cfg)
    outcomes = apply_plan(result.plan, executor, store, cfg.reconcile, dry_run=not apply)
    plan = Table("action", "outcome", title="write-back" + ("" if apply else " (dry run: --apply executes)"))
    for outcome in outcomes:
        plan.add_row(outcome.action.describe(), outcome.outcome + (f": {outcome.error}" if outcome.error else ""))
    console.print(plan)
    if any(o.outcome == "failed" for o in outcomes):
        raise typer.Exit(1)


def _print_deliveries(results: list[DeliveryResult]) -> None:
    if not results:
        console.print("no notify targets subscribed to this event")
    for r in results:
        mark = "[green]delivered[/green]" if r.ok else f"[red]failed after {r.attempts} attempts[/red]: {r.error}"
        console.print(f"  {r.target} ({r.service}): {mark}", highlight=False)
