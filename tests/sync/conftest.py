"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``PMHUB_TEST_POSTGRES_URL`` (default: the local ``pmhub_test`` database). When it cannot be
reached the PostgreSQL cases skip locally and fail when ``CI=true``, so CI never passes without them. Each
PostgreSQL test gets its own schema (selected through the URL's ``search_path`` option) that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sync.store import Store

POSTGRES_URL = os.environ.get("PMHUB_TEST_POSTGRES_URL", "postgresql+psycopg://pmhub:pmhub@127.0.0.1:5432/pmhub_test")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        message = f"PostgreSQL at {where} is unreachable ({type(exc.orig).__name__})"
        if _in_ci():
            pytest.fail(f"{message}; CI=true requires the PostgreSQL store tests to run", pytrace=False)
        pytest.skip(f"{message}; set PMHUB_TEST_POSTGRES_URL or start the server")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """A URL whose connections work in a fresh, private schema."""
    schema = f"pmhub_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with postgres_admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / '.pmhub' / 'pmhub.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as opened:
        yield opened
