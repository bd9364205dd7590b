"""Pausing Python's cyclic garbage collector around work that makes many short-lived, acyclic objects.

Reading a large release parses thousands of records; each batch of allocations would trigger a cyclic collection
over every object made so far, and none of them is ever cyclic garbage: they are freed by reference counting when
the work is done. Pausing the collector for the whole piece of work — reading *and* using the records — means no
collection ever walks them (https://docs.python.org/3/library/gc.html#gc.disable). Pauses nest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
