"""The receiver on PostgreSQL: group-committed inbox, dedupe, batched applying and the page work the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from schema import WorkItem, ids
from sync.store import Store
from tests.support.paths import FIXTURES
from tests.support.postgres import create_schema, drop_schema, postgres_admin
from tests.web.conftest import BEARER, Web, fixture_settings, load, serve_web

REPO = "Codertocat/Hello-World"


@pytest.fixture
def web() -> Iterator[Web]:
    with postgres_admin() as admin:
        schema, url = create_schema(admin)
        store = Store(url)
        try:
            with serve_web(
                fixture_settings([REPO], ["TES"], "https://some-instance-test.atlassian.net"), store
            ) as served:
                yield served
        finally:
            store.close()
            drop_schema(admin, schema)


def _edited(title: str, updated: str) -> bytes:
    _, payload = load(FIXTURES / "github" / "webhooks" / "issues" / "edited.json")
    payload["issue"] |= {"title": title, "updated_at": updated}
    return json.dumps(payload).encode()


def test_on_postgresql_deliveries_are_stored_once_and_the_newest_state_wins(web: Web) -> None:
    newest, older = _edited("Newest", "2030-01-01T12:00:00Z"), _edited("Older", "2030-01-01T11:00:00Z")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: web.github("issues", newest, delivery="pg-newest"), range(8)))
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] + ["duplicate"] * 7
    web.settle()
    assert web.github("issues", older).status_code == 202
    web.settle()
    item = web.store.records.get(ids.github(REPO, "issue", 1))
    assert isinstance(item, WorkItem)
    assert item.title == "Newest"
    assert web.store.inbox.counts()["applied"] == 2
    page = web.client.get("/api/status", headers={"Authorization": f"Bearer {BEARER}"})
    assert page.json()["webhooks"]["inbox"]["applied"] == 2
