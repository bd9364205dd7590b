"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``PMHUB_TEST_POSTGRES_URL`` (default: the local ``pmhub_test`` database). When it cannot be
reached the PostgreSQL cases skip locally and fail when ``CI=true``, so CI never passes without them. Tests work in
schemas of their own (selected through the URL's ``search_path`` option) that are dropped afterwards: one shared
schema emptied after every test, or a fresh one for tests that need a database without tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sync.store import Store
from sync.store.tables import meta, metadata
from tests.support import postgres


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    with postgres.postgres_admin() as engine:
        yield engine


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """A URL whose connections work in a fresh, empty schema of their own."""
    schema, url = postgres.create_schema(postgres_admin)
    yield url
    postgres.drop_schema(postgres_admin, schema)


@pytest.fixture(scope="session")
def shared_postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """One schema with the store's tables for the session; ``store_url`` empties it after each test."""
    schema, url = postgres.create_schema(postgres_admin)
    Store(url).close()
    yield url
    postgres.drop_schema(postgres_admin, schema)


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / '.pmhub' / 'pmhub.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend: no tables yet."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with the store's tables and no rows, on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    url: str = request.getfixturevalue("shared_postgres_url")
    yield url
    # DELETE rather than TRUNCATE: these tables hold a few rows, and TRUNCATE recreates every table's files.
    with Store(url) as store, store.db.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is not meta:
                conn.execute(table.delete())


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as opened:
        yield opened
