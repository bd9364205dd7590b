"""The PM's planning commands: ``pmhub objectives``, ``priorities`` and ``launch-review``.

Each prints Markdown by default, JSON with ``--format json``, and writes HTML (to ``--out``, else under
.pmhub/reports/). Exit codes: 0 all well, 3 something to act on (an objective at risk, a guardrail broken after a
launch), 1 a release or product that is not there, 2 a configuration to fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import console, err, open_store_or_exit, settings
from cli.pm_commands import OutputFormat

ATTENTION = 3  # the exit code of "something to act on"

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="md, html or json.")]
OutOption = Annotated[Path | None, typer.Option(help="Write the report here instead of printing it.")]


def _emit(text: str, fmt: OutputFormat, out: Path | None, stem: str) -> None:
    from hub import service

    if out is None and fmt is not OutputFormat.HTML:
        print(text)
        return
    path = service.write_report(text, out, stem, fmt.value)
    console.print(f"wrote {path}", highlight=False)


def objectives(fmt: FormatOption = OutputFormat.MD, out: OutOption = None) -> None:
    """Progress of every objective: work done, the forecast against its date, the KPI against its target.
    Exit code: 0 all on track or achieved, 3 one at risk."""
    from datetime import UTC, datetime

    from reports import render_objectives
    from schema.planning import ObjectiveState
    from sync.objectives import objectives_from_store
    from sync.roadmap import roadmap_from_store

    cfg = settings()
    if not cfg.objectives:
        err.print(
            "no objectives configured: add [objectives.<name>] tables to pmhub.toml (see README, Objectives)",
            markup=False,
        )
        raise typer.Exit(2)
    store = open_store_or_exit(cfg)
    now = datetime.now(UTC)
    roadmap = roadmap_from_store(store, cfg.roadmap_items, cfg.roadmap_rules, now)
    report = objectives_from_store(store, cfg.objectives, roadmap, now)
    _emit(render_objectives(report, fmt.value), fmt, out, "objectives")
    if any(o.state is ObjectiveState.AT_RISK for o in report.objectives):
        raise typer.Exit(ATTENTION)


def priorities(
    product: Annotated[str | None, typer.Option(help="Only this product ([products.<name>] or project).")] = None,
    fmt: FormatOption = OutputFormat.MD,
    out: OutOption = None,
) -> None:
    """The ranked backlog per product (RICE or WSJF), every score with its inputs and formula; the items that lack
    an input listed apart with what is missing."""
    from datetime import UTC, datetime

    from reports import render_priorities
    from sync.priorities import backlog_records
    from sync.priorities import priorities as ranked

    cfg = settings()
    store = open_store_or_exit(cfg)
    report = ranked(backlog_records(store), cfg.priorities, cfg.products, datetime.now(UTC))
    if product is not None:
        chosen = [p for p in report.products if p.product.casefold() == product.casefold()]
        if not chosen:
            known = ", ".join(p.product for p in report.products) or "none"
            err.print(f"[red]error[/red] no product {product!r}; products with a backlog: {known}", highlight=False)
            raise typer.Exit(1)
        report = report.model_copy(update={"products": chosen})
    _emit(render_priorities(report, fmt.value), fmt, out, f"priorities-{product}" if product else "priorities")


def launch_review(
    release: Annotated[
        str | None, typer.Argument(help="A released version, e.g. 'CHK 2.3.0'; default: every recent launch.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Jira project key or owner/repo of the release.")] = None,
    fmt: FormatOption = OutputFormat.MD,
    out: OutOption = None,
) -> None:
    """Each tracked metric before and after a launch, with the change and a 95 % interval, and the guardrails
    judged again after it. Exit code: 0 guardrails hold, 3 one broke after the launch, 1 no such launch."""
    from datetime import UTC, datetime

    from reports import render_launches
    from sync.launches import launches_in_store, matching, reviews_from_store

    cfg = settings()
    store = open_store_or_exit(cfg)
    now = datetime.now(UTC)
    chosen = None
    if release is not None:
        chosen = matching(launches_in_store(store), release, project)
        if not chosen:
            err.print(
                f"[red]error[/red] no launch of {release!r}{f' in {project}' if project else ''}: it is not "
                "released (a Jira release date or a published GitHub release), or not synced yet (`pmhub sync`)",
                highlight=False,
            )
            raise typer.Exit(1)
    report = reviews_from_store(
        store, cfg.launch_review, cfg.readiness.guardrails, now, recent=release is None, launches=chosen
    )
    stem = "launch-review" + (f"-{release.replace(' ', '-')}" if release else "")
    _emit(render_launches(report, fmt.value), fmt, out, stem)
    if any(review.broken for review in report.launches):
        raise typer.Exit(ATTENTION)
