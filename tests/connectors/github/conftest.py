"""Fixtures of the GitHub connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.world import Scale
from tests.connectors.github.support import Sandbox, serve


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A tiny seeded world behind the GitHub sandbox, fresh for each test."""
    yield from serve(Scale.named("tiny"))
