"""``pmhub init``, ``pmhub check`` and ``pmhub store info``: writing, validating and inspecting the set-up."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

import typer
from rich.table import Table

from cli.context import State, console, err, open_store_or_exit, redact_db_url, settings
from hub.settings import config_path, credential_envs, secret


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


def check() -> None:
    """Validate the configuration and report, per source, whether its credentials are present."""
    cfg = settings()
    console.print(f"config: {config_path(State.config)} is valid; store: {redact_db_url(cfg.store.url)}")
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
