"""Live terminal progress of `pmhub sync`: pages, items, items/s and rate-limit headroom per stream."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from connectors.base import RequestStats
from sync.engine import StreamResult


class SyncProgress:
    def __init__(self, console: Console) -> None:
        self._console = console
        self._rows: dict[tuple[str, str], tuple[StreamResult, int | None, float]] = {}
        self._started: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._live = Live(self._table(), console=console, refresh_per_second=4, transient=True)

    def update(self, result: StreamResult, stats: RequestStats) -> None:
        key = (result.source, result.stream)
        now = time.monotonic()
        with self._lock:
            started = self._started.setdefault(key, now - result.seconds)
            self._rows[key] = (result, stats.rate_limit_remaining, now - started)
            self._live.update(self._table())

    def _table(self) -> Table:
        table = Table("source", "stream", "pages", "items", "items/s", "rate limit left", title="syncing")
        for (source, stream), (result, remaining, elapsed) in sorted(self._rows.items()):
            rate = result.items / elapsed if elapsed > 0 else 0.0
            table.add_row(
                source,
                stream,
                str(result.pages),
                str(result.items),
                f"{rate:,.0f}",
                "-" if remaining is None else str(remaining),
            )
        return table

    @staticmethod
    def summary_table(summary: list[dict[str, Any]]) -> Table:
        table = Table(
            "source", "stream", "pages", "new", "updated", "unchanged", "rejected", "deleted", "s", "result",
            title="sync summary",
        )
        for row in summary:
            table.add_row(
                row["source"],
                row["stream"],
                str(row["pages"]),
                str(row["inserted"]),
                str(row["updated"]),
                str(row["unchanged"]),
                str(row["rejected"]),
                str(row["deleted"]),
                f"{row['seconds']:.1f}",
                _result(row),
            )
        return table

    def __enter__(self) -> SyncProgress:
        self._live.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.stop()


def _result(row: dict[str, Any]) -> str:
    if row["error"]:
        return "[red]failed[/red]"
    return "[yellow]skipped[/yellow]" if row["skipped"] else "[green]ok[/green]"
