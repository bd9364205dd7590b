"""Where pmhub's logs go on the command line: stderr, quiet unless asked.

Every pmhub logger is named under ``pmhub`` (``pmhub.connectors.http``, ``pmhub.hub.web.apply`` …). By default only
warnings and errors show; ``-v`` adds information (retries, waits, rate-limit headroom per stream), ``-vv`` debug
(every request, by its redacted URL). Messages never carry a token: URLs in them are redacted where they are made.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

ROOT = "pmhub"
LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)
FORMAT = "%(levelname)s %(name)s: %(message)s"


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time, so a live progress display that redirects it (rich's
    ``Live``) prints log lines above itself instead of tearing."""

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def level_for(verbosity: int) -> int:
    return LEVELS[min(max(verbosity, 0), len(LEVELS) - 1)]


def log_to_stderr(verbosity: int) -> None:
    """Show pmhub's records at ``level_for(verbosity)`` on stderr (once: a second call only changes the level)."""
    root = logging.getLogger(ROOT)
    level = level_for(verbosity)
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    handler.setLevel(level)
    root.setLevel(level)
    root.propagate = False  # the command line owns its output: Prefect's console handler on root would repeat it
