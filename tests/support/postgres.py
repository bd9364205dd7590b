"""A real PostgreSQL for tests: ``PMHUB_TEST_POSTGRES_URL`` (default: the local ``pmhub_test`` database).

Unreachable → skip locally, fail when ``CI=true`` (CI starts the server with ``.ci/postgres``). Tests work in
schemas of their own, selected through the URL's ``search_path`` option, and drop them afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get("PMHUB_TEST_POSTGRES_URL", "postgresql+psycopg://pmhub:pmhub@127.0.0.1:5432/pmhub_test")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def skip_or_fail(message: str) -> None:
    """Skip with ``message`` locally; fail in CI where the dependency must be present."""
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@contextmanager
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        skip_or_fail(f"PostgreSQL at {where} is unreachable ({type(exc.orig).__name__})")
    try:
        yield engine
    finally:
        engine.dispose()


def create_schema(admin: Engine) -> tuple[str, str]:
    """A new empty schema and the URL whose connections use it."""
    schema = f"pmhub_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
