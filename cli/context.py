"""What every command shares: the two consoles, the ``--config`` path, and loading the settings and the store with
the exits a user expects (2 for a bad configuration, 1 for an unreachable store).

A console on a terminal is as wide as the terminal. On anything else — a file, a pipe, a CI log — it has no width to
keep to (rich would assume 80 columns and cut table cells to ``2026-1…``): tables keep every cell whole and no line
is folded. What spans the whole width, a :func:`rule`, is kept to a readable width there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer
from rich.console import Console
from rich.rule import Rule

from hub.settings import Settings, config_path, load_settings
from schema import ConfigError, RetryLaterError

if TYPE_CHECKING:
    from sync.store import Store

UNBOUNDED_WIDTH = 100_000


def _console(stream: TextIO, *, stderr: bool = False) -> Console:
    return Console(stderr=stderr, width=None if stream.isatty() else UNBOUNDED_WIDTH)


console = _console(sys.stdout)
err = _console(sys.stderr, stderr=True)
RULE_WIDTH = 100


def rule(title: str) -> None:
    """A heading line across the terminal (``RULE_WIDTH`` columns where there is none)."""
    console.print(Rule(title), width=console.width if console.is_terminal else RULE_WIDTH)


class State:
    """The options given before the command (``pmhub --config x.toml sync``)."""

    config: Path | None = None


def settings() -> Settings:
    """Load the configuration or exit 2 with one line per problem."""
    try:
        return load_settings(State.config)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            err.print(f"[red]config error[/red] {line}", highlight=False, markup=True)
        raise typer.Exit(2) from None


def config_file() -> Path | None:
    """The configuration file, when there is one (else the commands run on the defaults)."""
    path = config_path(State.config)
    return path if path.exists() else None


def config_arg() -> str | None:
    """The config path for flows and subprocesses: absolute, so workers elsewhere find the same file."""
    path = config_file()
    return str(path.resolve()) if path is not None else None


def redact_db_url(url: str) -> str:
    """Hide a password in a database URL (postgresql+psycopg://user:***@host/db)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_store_or_exit(cfg: Settings) -> Store:
    """The configured store, or exit with a message that names it without its password: 1 when it cannot be
    reached, 2 when this pmhub cannot use it."""
    from sqlalchemy.exc import SQLAlchemyError

    from hub.sources import open_store

    try:
        return open_store(cfg)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        err.print(f"[red]store unreachable[/red] {redact_db_url(cfg.store.url)}: {reason}", highlight=False)
        raise typer.Exit(1) from None
    except RetryLaterError as exc:
        err.print(f"[red]store unreachable[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ConfigError as exc:
        err.print(f"[red]store error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
