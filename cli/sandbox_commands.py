"""Trying pmhub without a token: ``pmhub sandbox`` (local Jira, GitHub and analytics) and ``pmhub demo``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli import pm_commands
from cli.context import State, console, err, open_store_or_exit, rule, settings

if TYPE_CHECKING:
    from schema.readiness import StatusReport


class JiraFlavour(StrEnum):
    CLOUD = "cloud"
    SERVER = "server"


def sandbox(
    seed: Annotated[int, typer.Option(help="Seed of the generated world (same seed, same world).")] = 7,
    scale: Annotated[str, typer.Option(help="tiny, small, medium or large.")] = "small",
    jira_issues: Annotated[int | None, typer.Option(help="Override the number of Jira issues.")] = None,
    github_issues: Annotated[int | None, typer.Option(help="Override the number of GitHub issues.")] = None,
    pull_requests: Annotated[int | None, typer.Option(help="Override the number of pull requests.")] = None,
    faults: Annotated[str, typer.Option(help="Fault spec, e.g. 'github:/repos/*=429@0.1' (see README).")] = "",
    jira_flavour: Annotated[JiraFlavour, typer.Option(help="Jira Cloud or Server/DC APIs.")] = JiraFlavour.CLOUD,
    jira_software: Annotated[
        bool, typer.Option(help="--no-jira-software: a Jira site without boards and sprints (the agile API is 404).")
    ] = True,
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
    options = SandboxOptions(
        seed=seed,
        scale=sized,
        faults=faults,
        jira_flavour=jira_flavour.value,
        jira_software=jira_software,
        ports=ports,
    )
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


def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo keeps its config, store and reports.")] = Path(
        ".pmhub/demo"
    ),
) -> None:
    """Start the sandbox, sync it through Prefect, show the status and the readiness of every upcoming release."""
    import os
    from datetime import UTC, datetime

    from hub import service
    from reports import render_leadership, render_readiness, render_status
    from sandbox.runner import ENV_PREFIX, WEB_PASSWORD, WEB_USER, Sandbox, SandboxOptions

    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "pmhub.toml"
    store_file = workdir / "pmhub.db"
    store_file.unlink(missing_ok=True)
    with Sandbox(SandboxOptions()) as sb:
        config.write_text(sb.config_toml(f"sqlite:///{store_file.resolve()}"), encoding="utf-8")
        os.environ.update(sb.environment())
        State.config = config
        rule("pmhub demo: sandbox up")
        for name, url in sb.urls.items():
            console.print(f"  {name:<10} {url}")
        rule("sync (Prefect flow pmhub-sync)")
        pm_commands.sync(source=None, full=True)
        rule("status")
        pm_commands.status(stale_after=60)
        rule("launch readiness of the upcoming releases")
        cfg = settings()
        report = service.status_report(open_store_or_exit(cfg), cfg, datetime.now(UTC))
        for release in report.releases:
            rel = release.release
            stem = f"readiness-{rel.project}-{rel.name}"
            path = service.write_report(render_readiness(release, "html"), workdir / f"{stem}.html", stem, "html")
            failing = [c.title for c in release.checks if c.outcome == "failed"]
            console.print(f"  {rel.project} {rel.name}: [bold]{release.verdict}[/bold]", highlight=False)
            if failing:
                console.print(f"    failing: {', '.join(failing)}", highlight=False)
            console.print(f"    report: {path.resolve()}", highlight=False)
        status_html = workdir / "status.html"
        service.write_report(render_status(report, "html"), status_html, "status", "html")
        service.write_report(render_leadership(report, "html"), workdir / "summary.html", "summary", "html")
        _planning(report)
    rule("next")
    console.print(f"config {config}, store {store_file}; the sandbox stopped with the demo.", highlight=False)
    report_uri = status_html.resolve().as_uri()
    console.print(f"status report (releases, objectives, roadmap and its timeline, launches, priorities, "
                  f"contradictions): {report_uri}", highlight=False)
    console.print(f"the leadership summary: {(workdir / 'summary.html').resolve().as_uri()}", highlight=False)
    console.print(f"status page over the demo's store: http://{cfg.serve.host}:{cfg.serve.port}/ "
                  f"(log in as {WEB_USER}, password {WEB_PASSWORD}); start it with", highlight=False)
    console.print(f"  export {ENV_PREFIX}WEB_PASSWORD={WEB_PASSWORD}; pmhub -c {config} serve --no-schedules",
                  highlight=False)
    console.print("a sandbox that keeps running: pmhub sandbox --write-config pmhub.toml; export the variables it "
                  "prints; pmhub sync; pmhub serve", highlight=False)


def _planning(report: StatusReport) -> None:
    """The objectives, the launches and the top of each backlog, a line each."""
    from reports.render import moved

    rule("objectives, launches and priorities")
    for objective in report.objectives:
        reason = f" ({objective.reasons[0]})" if objective.reasons else ""
        console.print(f"  {objective.title}: {objective.state.value.replace('_', ' ')}{reason}", highlight=False)
    for review in report.launches:
        changes = ", ".join(moved(review)) or "no tracked metric moved"
        broken = "".join(f"; broke {g.title}" for g in review.broken)
        label = f"{review.release.project} {review.release.name}"
        console.print(f"  {label} launched {review.launched_on}: {changes}{broken}", highlight=False)
    for backlog in report.priorities:
        top = backlog.ranked[0] if backlog.ranked else None
        first = f"first {top.label} ({top.formula})" if top else "nothing ranked"
        console.print(
            f"  {backlog.product} by {backlog.method.value.upper()}: {first}; {backlog.ranked_total} ranked, "
            f"{backlog.unscored_total} not scored (`pmhub priorities` lists them)",
            highlight=False,
        )
