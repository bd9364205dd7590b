"""The ``pmhub`` typer app: the options before any command, and every command, each from its group's module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import config_commands, planning_commands, pm_commands, sandbox_commands, serve_commands
from cli.context import State
from cli.logs import log_to_stderr

app = typer.Typer(
    name="pmhub",
    help="Integration hub for product managers: Jira, GitHub and analytics in one schema; launch readiness.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
store_app = typer.Typer(help="Inspect the store.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhook registrations in GitHub and Jira.", no_args_is_help=True)
app.add_typer(store_app, name="store")
app.add_typer(webhooks_app, name="webhooks")


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="pmhub.toml to use (default: $PMHUB_CONFIG or ./pmhub.toml)."),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="Log on stderr: -v retries, waits and rate limits; -vv every request."
        ),
    ] = 0,
) -> None:
    State.config = config
    log_to_stderr(verbose)


app.command()(config_commands.init)
app.command()(config_commands.check)
store_app.command("info")(config_commands.store_info)
store_app.command("upgrade")(config_commands.store_upgrade)

app.command()(pm_commands.sync)
app.command()(pm_commands.status)
app.command("readiness")(pm_commands.readiness_cmd)
app.command("report")(pm_commands.report_cmd)
app.command("reconcile")(pm_commands.reconcile_cmd)
app.command()(planning_commands.objectives)
app.command()(planning_commands.priorities)
app.command("launch-review")(planning_commands.launch_review)

app.command()(serve_commands.serve)
app.command()(serve_commands.deploy)
webhooks_app.command("register")(serve_commands.webhooks_register)

app.command("sandbox")(sandbox_commands.sandbox)
app.command()(sandbox_commands.demo)
