"""pmhub's logs in Prefect's run logs: while a flow runs, every ``pmhub.*`` record at information level and above
(retries, waits, the rate-limit headroom of each stream, warnings) goes to the run — or to the task run that logged
it — beside Prefect's own lines.

Prefect's API handler is attached for the flow's duration only, so pmhub code running outside a flow (the web app,
the command line's other commands) never asks Prefect for a run that is not there — which
``PREFECT_LOGGING_EXTRA_LOGGERS=pmhub`` would do for the whole process. Other handlers are left alone: the command
line's ``-v`` output and a worker's console (the root logger's warnings) still see the records.
See https://docs.prefect.io/v3/advanced/logging-customization
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.logging.handlers import APILogHandler

ROOT = "pmhub"


@contextmanager
def logs_to_run(level: int = logging.INFO) -> Iterator[None]:
    root = logging.getLogger(ROOT)
    handler = APILogHandler(level=level)
    before = root.level
    root.addHandler(handler)
    if root.getEffectiveLevel() > level:
        root.setLevel(level)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
