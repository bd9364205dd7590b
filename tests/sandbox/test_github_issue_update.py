"""REST ``PATCH /repos/{o}/{r}/issues/{n}`` in the GitHub sandbox: pmhub's close_issue, edits, types, refusals."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.github.client import GitHubClient
from connectors.github.config import GitHubSourceConfig
from connectors.http import RetryPolicy
from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.webhooks import WebhookSender
from sandbox.world import World, build_world
from serving import ServedApp
from tests.sandbox.test_webhooks import Receiver
from tests.support.openapi import validate_response

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = next(iter(DEFAULT_TOKENS))
REPO = "/repos/acme/checkout"


class Site:
    def __init__(self, world: World, url: str, http: httpx.Client, hook: Receiver, sender: WebhookSender) -> None:
        self.world, self.url, self.http, self.hook, self.sender = world, url, http, hook, sender

    def patch(self, number: int, body: dict[str, Any]) -> httpx.Response:
        return self.http.patch(f"{REPO}/issues/{number}", json=body)

    def events(self) -> list[tuple[str, str]]:
        assert self.sender.flush(5)
        return [(h["x-github-event"], json.loads(b)["action"]) for h, b in self.hook.requests]


@pytest.fixture
def site() -> Iterator[Site]:
    world = build_world(seed=11, now=NOW)
    ticks = itertools.count(1)
    sender = WebhookSender()
    app = create_app(world, GitHubOptions(webhooks=sender, clock=lambda: NOW + timedelta(minutes=next(ticks))))
    receiver = Receiver()
    with (
        ServedApp(app) as served,
        ServedApp(receiver.app) as target,
        httpx.Client(base_url=served.url, headers={"Authorization": f"token {TOKEN}"}) as http,
    ):
        assert http.post("/_sandbox/webhooks", json={"url": target.url + "/hook"}).status_code == 201
        yield Site(world, served.url, http, receiver, sender)
    sender.close()


def _open_issue(world: World) -> int:
    return next(n for n, i in sorted(world.repos["acme/checkout"].issues.items()) if i.state == "open")


def test_pmhub_close_issue_closes_through_the_rest_patch_once(site: Site) -> None:
    number = _open_issue(site.world)
    before = site.http.get(f"{REPO}/issues/{number}")
    config = GitHubSourceConfig(base_url=site.url, repos=("acme/checkout",))
    client = GitHubClient(config, TOKEN, RetryPolicy(tool="github", credential=config.token_env))
    answer = client.close_issue("acme/checkout", number, "not_planned")
    assert validate_response("github", "PATCH", f"{REPO}/issues/{number}", 200, answer) == []
    assert (answer["state"], answer["state_reason"]) == ("closed", "not_planned")
    after = site.http.get(f"{REPO}/issues/{number}")
    assert after.json() == answer
    assert after.json()["updated_at"] > before.json()["updated_at"]
    assert after.headers["etag"] != before.headers["etag"]
    again = client.close_issue("acme/checkout", number, "completed")  # already closed: nothing changes
    assert again == answer
    assert site.events() == [("issues", "closed")]


def test_patch_edits_labels_milestone_and_type_and_reopens(site: Site) -> None:
    number = _open_issue(site.world)
    site.patch(number, {"state": "closed"})
    edited = site.patch(number, {"title": "Renamed", "labels": ["bug", {"name": "ux"}], "milestone": 2, "type": "Bug"})
    assert edited.status_code == 200
    body = edited.json()
    assert validate_response("github", "PATCH", f"{REPO}/issues/{number}", 200, body) == []
    assert (body["title"], [label["name"] for label in body["labels"]]) == ("Renamed", ["bug", "ux"])
    assert (body["milestone"]["number"], body["type"]["name"], body["type"]["color"]) == (2, "Bug", "red")
    reopened = site.patch(number, {"state": "open", "type": None}).json()
    assert (reopened["state"], reopened["state_reason"], reopened["type"]) == ("open", "reopened", None)
    listed = {i["number"]: i for i in site.http.get(f"{REPO}/issues?state=all&per_page=100").json()}
    assert listed[number]["title"] == "Renamed"
    assert all("type" in item for item in listed.values())
    assert site.events() == [("issues", "closed"), ("issues", "edited"), ("issues", "reopened")]


def test_pull_requests_take_edits_but_not_a_type(site: Site) -> None:
    pr = next(n for n, p in sorted(site.world.repos["acme/checkout"].pulls.items()) if p.state == "open")
    assert site.patch(pr, {"title": "Retitled"}).json()["pull_request"]["url"].endswith(f"/pulls/{pr}")
    assert site.patch(pr, {"type": "Bug"}).status_code == 422
    assert site.events() == [("pull_request", "edited")]


REFUSED: list[dict[str, Any]] = [
    {"state": "merged"},
    {"state_reason": "finished"},
    {"milestone": 999},
    {"type": "Spike"},
    {"labels": "bug"},
    {"assignees": ["ada", "grace"]},
    {"assignees": ["nobody-here"]},
]


def test_values_github_refuses_are_422_validation_failed_naming_the_field(site: Site) -> None:
    number = _open_issue(site.world)
    for body in REFUSED:
        response = site.patch(number, body)
        assert response.status_code == 422, body
        assert response.json()["message"] == "Validation Failed"
        assert response.json()["errors"][0]["field"] == next(iter(body))
    assert site.http.get(f"{REPO}/issues/{number}").json()["state"] == "open"
    assert site.events() == []


def test_patch_needs_a_token(site: Site) -> None:
    number = _open_issue(site.world)
    response = httpx.patch(f"{site.url}{REPO}/issues/{number}", json={"state": "closed"})
    assert response.status_code == 401
    assert site.world.repos["acme/checkout"].issues[number].state == "open"
