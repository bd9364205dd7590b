"""``pmhub init``, ``pmhub check`` and ``pmhub store info``: writing, validating and inspecting the set-up.

``pmhub check`` reaches every source before the first sync (:mod:`hub.access`); ``--offline`` only validates the
file and that each credential's variable is set.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.context import State, console, err, open_store_or_exit, redact_db_url, settings
from hub.settings import Settings, config_path, credential_envs, secret

if TYPE_CHECKING:
    from hub.access import SourceAccess


def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter pmhub.toml."""
    path = config_path(State.config)
    if path.exists() and not force:
        err.print(f"{path} exists; use --force to overwrite it")
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(resources.files("hub").joinpath("starter.toml").read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"wrote {path}; edit it, export the tokens it names, then run `pmhub check`")


def check(
    offline: Annotated[
        bool, typer.Option("--offline", help="Only validate the file and that each credential is set; reach no source.")
    ] = False,
) -> None:
    """Validate the configuration, then ask every source what its credentials reach — the account, the configured
    repos and projects, the permissions a sync needs — and print what to fix. Exit 1 when something must be fixed."""
    cfg = settings()
    console.print(f"config: {config_path(State.config)} is valid; store: {redact_db_url(cfg.store.url)}")
    if offline:
        _credentials(cfg)
        return
    from datetime import UTC, datetime

    from hub.access import check_access

    reports = check_access(cfg, datetime.now(UTC).date())
    for report in reports:
        _print_access(report)
    to_fix = [f for report in reports for f in report.to_fix]
    if to_fix:
        sources = sum(bool(report.to_fix) for report in reports)
        err.print(f"{len(to_fix)} problem(s) to fix in {sources} source(s): see the fix lines above")
        raise typer.Exit(1)
    console.print("every source gives what a sync needs: run `pmhub sync`" if reports else "no sources configured")


_MARKS = {"ok": "[green]ok[/green]  ", "warn": "[yellow]warn[/yellow]", "fix": "[red]FIX[/red] "}


def _print_access(report: SourceAccess) -> None:
    from rich.markup import escape

    console.print(f"[bold]{escape(report.name)}[/bold] ({report.kind}, {escape(report.url)})")
    for f in report.findings:
        console.print(f"  {_MARKS[f.level]} {escape(f.what)}: {escape(f.detail)}", highlight=False)
        if f.fix:
            console.print(f"        fix: {escape(f.fix)}", highlight=False)


def _credentials(cfg: Settings) -> None:
    """Per source, whether the variables its credentials are read from are set; exit 1 when one is not."""
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


def store_info() -> None:
    """The schema revision, tables and row counts."""
    store = open_store_or_exit(settings())
    console.print(f"revision {store.schema.revision} (the newest this pmhub knows)")
    table = Table("table", "rows", title=store.url)
    for name, rows in store.db.counts().items():
        table.add_row(name, str(rows))
    console.print(table)


def store_upgrade() -> None:
    """Bring the store's schema to the newest revision now (opening a store does it too)."""
    store = open_store_or_exit(settings())
    console.print(store.schema.describe(store.url), highlight=False, soft_wrap=True)
