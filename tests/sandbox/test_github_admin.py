"""The GitHub sandbox's admin API: changes show in the REST API (updated_at, ETags, pages) and as signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.webhooks import WebhookSender
from sandbox.world import World, build_world
from serving import ServedApp
from tests.sandbox.test_webhooks import Receiver
from tests.support.openapi import validate_response
from tests.support.paths import FIXTURES

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REPO = "/repos/acme/checkout"
ADMIN = "/_sandbox" + REPO
SECRET = "hook-secret"


@pytest.fixture
def world() -> World:
    return build_world(seed=11, now=NOW)


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    webhooks = WebhookSender()
    yield webhooks
    webhooks.close()


@pytest.fixture
def client(world: World, sender: WebhookSender) -> Iterator[httpx.Client]:
    app = create_app(world, GitHubOptions(webhooks=sender))
    with (
        ServedApp(app) as served,
        httpx.Client(base_url=served.url, headers={"Authorization": f"token {next(iter(DEFAULT_TOKENS))}"}) as http,
    ):
        yield http


@pytest.fixture
def hook(client: httpx.Client) -> Iterator[Receiver]:
    receiver = Receiver()
    with ServedApp(receiver.app) as served:
        assert (
            client.post("/_sandbox/webhooks", json={"url": served.url + "/hook", "secret": SECRET}).status_code == 201
        )
        yield receiver


def _deliveries(sender: WebhookSender, hook: Receiver) -> list[tuple[str, dict[str, Any]]]:
    assert sender.flush(5)
    out = []
    for headers, body in hook.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-hub-signature-256"], expected)
        out.append((headers["x-github-event"], json.loads(body)))
    return out


def _example(event: str, action: str) -> dict[str, Any]:
    """The vendor example of ``event``/``action``, else of ``opened`` (same shape, no action-specific keys)."""
    folder = FIXTURES / "github" / "webhooks" / event
    path = folder / f"{action}.json"
    example: dict[str, Any] = json.loads((path if path.exists() else folder / "opened.json").read_text())
    return example


def test_closing_an_issue_bumps_updated_at_and_the_etag(client, world):
    issue = next(i for i in world.repos["acme/checkout"].issues.values() if i.state == "open")
    before = client.get(f"{REPO}/issues/{issue.number}")
    closed = client.post(f"{ADMIN}/issues/{issue.number}/close", json={"state_reason": "not_planned"}).json()
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    after = client.get(f"{REPO}/issues/{issue.number}", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["updated_at"] > before.json()["updated_at"]
    assert after.headers["ETag"] != before.headers["ETag"]


def test_every_change_delivers_the_real_signed_webhook(client, world, sender, hook):
    repo = world.repos["acme/checkout"]
    issue = client.post(f"{ADMIN}/issues", json={"title": "Checkout button overlaps", "labels": ["bug"]}).json()
    client.post(f"{ADMIN}/issues/{issue['number']}/comments", json={"body": "Seen on iOS too", "user": "grace"})
    client.post(f"{ADMIN}/issues/{issue['number']}/close")
    pr = client.post(f"{ADMIN}/pulls", json={"title": "CHK-1: fix overlap", "head": "fix/CHK-1-overlap"}).json()
    client.post(f"{ADMIN}/pulls/{pr['number']}/merge")
    draft = next(r for r in repo.releases if r.draft)
    client.post(f"{ADMIN}/releases/{draft.tag_name}/publish")
    release_ref = next(name for name in repo.branches if name.startswith("release/"))
    client.post(f"{ADMIN}/commits/{release_ref}/check-runs/e2e-tests", json={"conclusion": "success"})
    client.post(f"{ADMIN}/milestones/1/close")
    received = _deliveries(sender, hook)
    assert [(event, body["action"]) for event, body in received] == [
        ("issues", "opened"),
        ("issue_comment", "created"),
        ("issues", "closed"),
        ("pull_request", "opened"),
        ("pull_request", "closed"),
        ("release", "published"),
        ("release", "released"),
        ("check_run", "completed"),
        ("milestone", "closed"),
    ]
    for event, body in received:
        example = _example(event, str(body["action"]))
        assert set(example) - {"installation", "organization", "enterprise", "changes"} <= set(body), event
        subject = {"issue_comment": "comment"}.get(event, "issue" if event == "issues" else event)
        assert set(example[subject]) - {"performed_via_github_app", "assets"} <= set(body[subject]), event
        assert body["repository"]["full_name"] == "acme/checkout"
    merged = dict(received)["pull_request"]
    assert merged["pull_request"]["merged"] is True
    assert merged["number"] == pr["number"]
    assert dict(received)["issue_comment"]["sender"]["login"] == "grace"
    assert dict(received)["check_run"]["check_run"]["check_suite"]["conclusion"] == "success"


def test_merge_and_check_changes_show_in_the_rest_api(client, world):
    repo = world.repos["acme/checkout"]
    pr = next(p for p in repo.pulls.values() if p.state == "open")
    client.post(f"{ADMIN}/pulls/{pr.number}/merge")
    body = client.get(f"{REPO}/pulls/{pr.number}").json()
    assert (body["state"], body["merged"]) == ("closed", True)
    assert body["merged_at"] is not None
    assert client.post(f"{ADMIN}/pulls/{pr.number}/merge").status_code == 405
    ref = next(name for name in repo.branches if name.startswith("release/"))
    client.post(f"{ADMIN}/commits/{ref}/check-runs/e2e-tests", json={"conclusion": "success"})
    runs = client.get(f"{REPO}/commits/{ref}/check-runs").json()["check_runs"]
    assert {r["conclusion"] for r in runs} == {"success"}


def test_deleted_issue_is_gone_and_transferred_issue_redirects(client, world, sender, hook):
    numbers = [i.number for i in world.repos["acme/checkout"].issues.values()][:2]
    assert client.delete(f"{ADMIN}/issues/{numbers[0]}").status_code == 204
    gone = client.get(f"{REPO}/issues/{numbers[0]}")
    assert gone.status_code == 410
    assert validate_response("github", "GET", f"{REPO}/issues/{numbers[0]}", 410, gone.json()) == []
    moved = client.post(f"{ADMIN}/issues/{numbers[1]}/transfer", json={"repository": "acme/mobile-app"}).json()
    redirect = client.get(f"{REPO}/issues/{numbers[1]}")
    assert redirect.status_code == 301
    assert validate_response("github", "GET", f"{REPO}/issues/{numbers[1]}", 301, redirect.json()) == []
    assert redirect.headers["Location"].endswith(f"/repos/acme/mobile-app/issues/{moved['number']}")
    assert client.get(f"/repos/acme/mobile-app/issues/{moved['number']}").json()["title"] == moved["title"]
    listed = {i["number"] for i in client.get(f"{REPO}/issues?state=all&per_page=100").json()}
    assert not listed & set(numbers)
    events = _deliveries(sender, hook)
    assert [body["action"] for _, body in events] == ["deleted", "transferred"]
    assert events[1][1]["changes"]["new_repository"]["full_name"] == "acme/mobile-app"


def test_paging_by_updated_while_items_change_skips_nothing(client, world):
    """Keyset pages: an unserved item that changes is served once, later; a served one again, newer."""
    repo = world.repos["acme/checkout"]
    total = len(repo.issues) + len(repo.pulls)
    url: str | None = f"{REPO}/issues?state=all&sort=updated&direction=asc&per_page=10"
    served: list[dict[str, Any]] = []
    while url:
        response = client.get(url)
        page = response.json()
        if len(served) == 10:  # after the first page: change one served item and one not yet served
            pending = sorted([*repo.issues.values(), *repo.pulls.values()], key=lambda i: (i.updated, i.number))
            for number in (served[0]["number"], pending[-5].number):
                client.patch(f"{ADMIN}/issues/{number}", json={"title": f"Edited {number}"})
        served += page
        url = response.links.get("next", {}).get("url")
    numbers = [i["number"] for i in served]
    assert set(numbers) == {*repo.issues, *repo.pulls}
    repeated = {n for n in numbers if numbers.count(n) > 1}
    assert repeated == {served[0]["number"]}
    assert len(numbers) == total + 1
    last = [i for i in served if i["number"] == served[0]["number"]][-1]
    assert last["title"] == f"Edited {served[0]['number']}"


def test_posting_a_comment_needs_a_token_and_counts(client):
    anonymous = httpx.post(f"{client.base_url}{REPO}/issues/1/comments", json={"body": "hi"})
    assert anonymous.status_code == 401
    posted = client.post(f"{REPO}/issues/1/comments", json={"body": "Shipped in 2.4"})
    assert posted.status_code == 201
    assert posted.json()["user"]["login"] == "ada"
    comments = client.get(f"{REPO}/issues/1/comments").json()
    assert [c["body"] for c in comments] == ["Shipped in 2.4"]
    assert client.get(f"{REPO}/issues/1").json()["comments"] == 1
