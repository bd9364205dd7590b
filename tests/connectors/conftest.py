"""Fixtures the connector tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.canned import Canned, canned


@pytest.fixture(scope="module")
def server() -> Iterator[Canned]:
    """A canned HTTP server (:mod:`tests.support.canned`) for one test module: its tests set what it answers."""
    with canned() as served:
        yield served
