"""End to end over real HTTP both ways: the sandbox changes Jira and GitHub, delivers the signed webhooks to the
running app, and the store and the page show the change without a sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from schema import Release, Sprint, StatusCategory, WorkItem, ids
from sync.overview import is_open
from tests.conftest import Synced, start_sandbox, sync_into
from tests.support.browser import ARTIFACTS
from tests.support.paths import FIXTURES
from tests.web.cdp import Chromium
from tests.web.conftest import BEARER, GITHUB_SECRET, JIRA_SECRET, PASSWORD, USER, Web, serve_web

AUTH = {"Authorization": f"Bearer {BEARER}"}


@dataclass
class Live:
    synced: Synced
    web: Web
    admin: httpx.Client

    def delivered(self) -> None:
        """Wait until the sandbox sent every webhook and the app applied it."""
        assert self.synced.sandbox.webhooks.flush(10)
        self.web.settle()

    def releases(self) -> list[dict[str, object]]:
        answer = self.web.client.get("/api/releases", headers=AUTH)
        assert answer.status_code == 200
        releases: list[dict[str, object]] = answer.json()
        return releases


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    sandbox = start_sandbox("tiny")
    try:
        synced = sync_into(sandbox, tmp_path_factory.mktemp("e2e"))
        with serve_web(synced.settings, synced.store) as web, httpx.Client(timeout=10) as admin:
            urls = sandbox.urls
            github = {"url": web.url + "/webhooks/github", "secret": GITHUB_SECRET}
            jira = {"url": web.url + "/webhooks/jira", "secret": JIRA_SECRET}
            assert admin.post(urls["github"] + "/_sandbox/webhooks", json=github).status_code == 201
            assert admin.post(urls["jira"] + "/_sandbox/webhooks", json=jira).status_code == 201
            yield Live(synced, web, admin)
    finally:
        sandbox.stop()


def _open_jira_item_of_a_release(live: Live) -> tuple[dict[str, object], WorkItem]:
    store = live.synced.store
    for report in live.releases():
        release = report["release"]
        assert isinstance(release, dict)
        for record in store.records.in_release(str(release["id"])):
            if (
                isinstance(record, WorkItem)
                and record.source.key
                and is_open(record)
                and record.type_original != "Epic"
            ):
                return report, record
    raise AssertionError("the tiny world has no open Jira issue in an upcoming release")


def test_a_jira_transition_reaches_the_store_and_the_release_progress(live: Live) -> None:
    report, item = _open_jira_item_of_a_release(live)
    scope = report["scope"]
    assert isinstance(scope, dict)
    world = live.synced.sandbox.world
    done = world.jira_projects[item.source.key.rsplit("-", 1)[0]].first_in("done").name  # type: ignore[union-attr]
    answer = live.admin.post(
        f"{live.synced.sandbox.urls['jira']}/_sandbox/issues/{item.source.key}/transition", json={"to": done}
    )
    assert answer.status_code == 200
    live.delivered()
    stored = live.synced.store.records.get(item.id)
    assert isinstance(stored, WorkItem)
    assert stored.status.category is StatusCategory.DONE
    assert stored.status.original == done
    after = next(r for r in live.releases() if r["release"] == report["release"])
    assert after["scope"]["items_done"] == scope["items_done"] + 1  # type: ignore[index]


def test_a_github_issue_edit_and_close_reach_the_store(live: Live) -> None:
    store = live.synced.store
    issue = next(
        r
        for r in store.records.iter(kind="work_item")
        if isinstance(r, WorkItem) and r.source.tool == "github" and is_open(r)
    )
    repo = issue.source.instance
    number = int(issue.id.rsplit(":", 1)[1])  # github:<owner/repo>:issue:<number>
    base = f"{live.synced.sandbox.urls['github']}/_sandbox/repos/{repo}/issues/{number}"
    assert live.admin.patch(base, json={"title": "Renamed through the sandbox"}).status_code == 200
    live.delivered()
    renamed = store.records.get(issue.id)
    assert isinstance(renamed, WorkItem)
    assert renamed.title == "Renamed through the sandbox"
    assert live.admin.post(base + "/close", json={}).status_code == 200
    live.delivered()
    closed = store.records.get(issue.id)
    assert isinstance(closed, WorkItem)
    assert closed.status.category is StatusCategory.DONE


def test_a_jira_deletion_marks_the_issue_deleted(live: Live) -> None:
    _, item = _open_jira_item_of_a_release(live)
    answer = live.admin.delete(f"{live.synced.sandbox.urls['jira']}/_sandbox/issues/{item.source.key}")
    assert answer.status_code == 204
    live.delivered()
    assert live.synced.store.records.get(item.id) is None


def test_a_partial_jira_delivery_is_completed_through_the_connector(live: Live) -> None:
    store = live.synced.store
    item = next(r for r in store.records.iter(kind="work_item") if isinstance(r, WorkItem) and r.source.tool == "jira")
    assert item.source.key is not None
    payload = json.loads((FIXTURES / "jira" / "webhooks" / "cloud" / "comment_created.json").read_bytes())
    payload["issue"] |= {"id": item.source.native_id, "key": item.source.key}
    payload["issue"]["fields"]["project"] = {"key": item.source.key.rsplit("-", 1)[0]}
    # forget it: only a copy fetched from the site can bring it back
    store.records.mark_deleted([item.id], item.updated)
    assert store.records.get(item.id) is None
    assert live.web.jira(json.dumps(payload).encode()).status_code == 202
    live.web.settle()
    assert store.records.get(item.id) == item
    assert store.inbox.counts()["failed"] == 0


def test_the_page_lists_the_releases_and_the_last_webhook(live: Live) -> None:
    page = live.web.client.get("/", headers=AUTH)
    assert page.status_code == 200
    for report in live.releases():
        release = report["release"]
        assert isinstance(release, dict)
        assert str(release["name"]) in page.text
    assert "Last GitHub delivery" in page.text
    assert "never" not in page.text.split('id="last-github">', 1)[1].split("<", 1)[0]


def test_the_page_in_chromium_logs_in_shows_the_releases_and_updates_after_a_webhook(live: Live) -> None:
    releases = live.releases()
    report, item = _open_jira_item_of_a_release(live)
    release = report["release"]
    assert isinstance(release, dict)
    with Chromium.launch() as browser:
        browser.goto(live.web.url + "/login?next=/")
        assert browser.evaluate("document.querySelector('form[action=\"/login\"]') !== null")
        browser.evaluate(
            f"document.getElementById('username').value = {json.dumps(USER)};"
            f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
            "document.querySelector('form[action=\"/login\"]').submit(); true"
        )
        browser.wait_for("document.getElementById('releases') !== null")
        text = browser.evaluate("document.getElementById('releases').innerText")
        for shown in releases:
            assert isinstance(shown["release"], dict)
            assert str(shown["release"]["name"]) in text
        browser.wait_for("document.getElementById('live').textContent === 'live'")
        version = browser.evaluate("document.querySelector('main').dataset.version")
        assert browser.errors == [], "\n".join(browser.errors)

        key = item.source.key
        assert key is not None
        done = live.synced.sandbox.world.jira_projects[key.rsplit("-", 1)[0]].first_in("done").name
        jira = live.synced.sandbox.urls["jira"]
        assert live.admin.post(f"{jira}/_sandbox/issues/{key}/transition", json={"to": done}).status_code == 200
        live.delivered()
        browser.wait_for(f"document.querySelector('main').dataset.version !== {json.dumps(version)}")
        label = f"{release['project']} {release['name']}"  # several projects may have a release of that name
        row = browser.evaluate(
            "Array.from(document.querySelectorAll('#releases tbody tr')).map(r => r.innerText)"
            f".find(t => t.startsWith({json.dumps(label)}))"
        )
        scope = next(r for r in live.releases() if r["release"] == release)["scope"]
        assert isinstance(scope, dict)
        assert f"{scope['items_done']}/{scope['items_total']} items" in row
        assert browser.errors == [], "\n".join(browser.errors)
        browser.screenshot(ARTIFACTS / "web-status-page.png")


def test_a_released_jira_version_reaches_the_store(live: Live) -> None:
    store = live.synced.store
    world = live.synced.sandbox.world
    version = next(v for v in world.versions.values() if not v.released)
    record_id = ids.jira(world.site, "version", version.id)
    before = store.records.get(record_id)
    assert isinstance(before, Release)
    assert not before.released
    answer = live.admin.post(f"{live.synced.sandbox.urls['jira']}/_sandbox/versions/{version.id}/release", json={})
    assert answer.status_code == 200
    live.delivered()
    after = store.records.get(record_id)
    assert isinstance(after, Release)
    assert (after.released, after.project, after.name) == (True, before.project, before.name)


def test_a_sprint_delivery_is_mapped_like_the_sprint_listing(live: Live) -> None:
    world = live.synced.sandbox.world
    sprint = next(iter(world.sprints.values()))
    jira = live.synced.sandbox.urls["jira"]
    listed = live.admin.get(
        f"{jira}/rest/agile/1.0/board/{sprint.board_id}/sprint",
        auth=(live.synced.sandbox.jira_login.email, live.synced.sandbox.credentials()["jira"]["api_token"]),
    ).json()["values"]
    raw = next(s for s in listed if s["id"] == sprint.id) | {"name": "Renamed sprint"}
    body = json.dumps({"timestamp": 1_900_000_000_000, "webhookEvent": "sprint_updated", "sprint": raw}).encode()
    assert live.web.jira(body).status_code == 202
    live.web.settle()
    stored = live.synced.store.records.get(ids.jira(world.site, "sprint", sprint.id))
    assert isinstance(stored, Sprint)
    assert (stored.name, stored.state) == ("Renamed sprint", raw["state"])


def test_stale_data_is_flagged_on_the_page(live: Live) -> None:
    later = datetime.now(UTC) + timedelta(hours=3)
    with serve_web(live.synced.settings, live.synced.store, clock=lambda: later) as stale:
        page = stale.client.get("/", headers=AUTH).text
        assert 'id="stale-warning"' in page
        api = stale.client.get("/api/status", headers=AUTH).json()
        assert all(row["stale"] for row in api["status"]["freshness"])
    fresh = live.web.client.get("/", headers=AUTH).text
    assert 'id="stale-warning"' not in fresh
