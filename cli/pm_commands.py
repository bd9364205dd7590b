"""What a PM runs: ``pmhub sync``, ``status``, ``readiness``, ``report`` and ``reconcile``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.context import config_arg, console, err, open_store_or_exit, settings
from schema import ConfigError, SyncFailedError

if TYPE_CHECKING:
    from connectors.notify import DeliveryResult
    from schema.readiness import StatusOverview


def sync(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this configured source.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore saved cursors and read everything again.")] = False,
) -> None:
    """Sync sources into the store through the Prefect flow, with live progress and a summary."""
    from cli.progress import SyncProgress
    from flows.sync_flow import set_progress, sync_flow

    cfg = settings()
    if not cfg.sources:
        err.print("no sources configured: add [sources.<name>] tables to pmhub.toml (see `pmhub init`)")
        raise typer.Exit(2)
    view = SyncProgress(console)
    set_progress(view.update)
    failed = False
    try:
        with view:
            summary = sync_flow(config=config_arg(), source=source, full=full)
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


class StatusFormat(StrEnum):
    TABLE = "table"
    MD = "md"
    JSON = "json"


def status(
    stale_after: Annotated[
        int | None,
        typer.Option(help="Minutes after which a stream counts as stale (default: the [readiness.freshness] limits)."),
    ] = None,
    fmt: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="table (for a terminal), md or json.")
    ] = StatusFormat.TABLE,
    out: Annotated[Path | None, typer.Option(help="Write it here (Markdown, or JSON with --format json).")] = None,
) -> None:
    """Consolidated status: per upcoming release scope, blockers, PRs and CI; per source freshness; webhook
    deliveries that did not apply."""
    from datetime import UTC, datetime

    from hub import service
    from reports import render_overview

    cfg = settings()
    store = open_store_or_exit(cfg)
    overview = service.overview(store, cfg, datetime.now(UTC), stale_after)
    if fmt is StatusFormat.TABLE and out is None:
        _print_overview(overview)
        return
    as_json = fmt is StatusFormat.JSON
    text = render_overview(overview, "json" if as_json else "md")
    if out is None:
        print(text, end="")
        return
    path = service.write_report(text, out, "status-overview", "json" if as_json else "md")
    console.print(f"wrote {path}")


def _print_overview(overview: StatusOverview) -> None:
    from rich.markup import escape

    releases = Table(
        "project", "release", "due", "items done", "points done", "blockers", "PRs open/merged", "CI",
        title="upcoming releases",
    )
    for rel in overview.releases:
        due = str(rel.release.release_date or "-")
        keys = [b.label for b in rel.blockers]
        releases.add_row(
            escape(rel.release.project),
            escape(rel.release.name),
            f"[red]{due} (overdue)[/red]" if rel.overdue else due,
            f"{rel.scope.items_done}/{rel.scope.items_total}",
            f"{rel.scope.points_done:g}/{rel.scope.points_total:g}",
            escape(", ".join(keys[:4]) + (" …" if len(keys) > 4 else "")) if keys else "none",
            f"{rel.scope.prs_open}/{rel.scope.prs_merged}",
            {"green": "[green]green[/green]", "red": "[red]red[/red]"}.get(rel.scope.ci, rel.scope.ci),
        )
    console.print(releases)
    fresh = Table("source", "stream", "last good sync", "age", title="data freshness")
    for row in overview.freshness:
        age = "-" if row.age_minutes is None else f"{row.age_minutes:.0f} min"
        last = "never" if row.last_success is None else row.last_success.strftime("%Y-%m-%d %H:%M UTC")
        fresh.add_row(escape(row.source), escape(row.stream), last, f"[red]{age} (stale)[/red]" if row.stale else age)
    console.print(fresh)
    stale = sum(row.stale for row in overview.freshness)
    if stale:
        err.print(f"[yellow]warning[/yellow] {stale} stream(s) stale: run `pmhub sync`")
    if overview.webhooks:
        problems = Table("received", "tool", "event", "status", "attempts", "reason", title="webhooks not applied")
        for w in overview.webhooks:
            received = f"{w.received_at:%Y-%m-%d %H:%M}"
            problems.add_row(received, w.tool, w.event, w.status, str(w.attempts), escape(w.last_error or ""))
        console.print(problems)


class OutputFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


VERDICT_EXIT = {"GO": 0, "AT RISK": 3, "NO-GO": 4}


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
        _print_deliveries(service.digest(store, cfg, report))


def reconcile_cmd(
    apply: Annotated[bool, typer.Option("--apply", help="Execute the plan (rules enabled in [reconcile]).")] = False,
) -> None:
    """Contradictions between tools and the write-back plan that resolves them (a dry run unless --apply)."""
    from datetime import UTC, datetime

    from hub import service
    from sync.reconcile.write_back import apply_plan, reconcile_store

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
