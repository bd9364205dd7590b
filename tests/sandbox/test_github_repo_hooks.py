"""The GitHub sandbox's repository webhooks and ``/user`` over real HTTP: GitHub's shapes (its OpenAPI description),
paging like every listing, and an active hook receiving its repository's subscribed events, signed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.webhooks import WebhookSender, hmac_sha256
from sandbox.world import Scale, World, build_world
from serving import ServedApp
from tests.support.openapi import validate_response

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN, OTHER_TOKEN = list(DEFAULT_TOKENS)[:2]
REPO = "/repos/acme/checkout"


@dataclass
class Served:
    world: World
    url: str
    sender: WebhookSender
    received: list[tuple[dict[str, str], bytes]]
    receiver: str

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture
def served() -> Iterator[Served]:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    world = build_world(seed=7, scale=Scale.named("tiny"), now=NOW)
    sender = WebhookSender()
    with (
        ServedApp(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as receiver,
        ServedApp(create_app(world, GitHubOptions(webhooks=sender, prerender=False))) as server,
    ):
        yield Served(world, server.url, sender, received, receiver.url + "/hook")
    sender.close()


def _hook(url: str, events: list[str], secret: str | None = None) -> dict[str, object]:
    config: dict[str, str] = {"url": url, "content_type": "json"}
    if secret:
        config["secret"] = secret
    return {"name": "web", "active": True, "events": events, "config": config}


def test_user_names_the_tokens_account_as_github_describes_it(served: Served) -> None:
    with served.client() as ada, served.client(OTHER_TOKEN) as grace, served.client(None) as nobody:
        mine, theirs = ada.get("/user"), grace.get("/user")
        assert (mine.status_code, theirs.status_code) == (200, 200)
        assert (mine.json()["login"], theirs.json()["login"]) == (DEFAULT_TOKENS[TOKEN], DEFAULT_TOKENS[OTHER_TOKEN])
        assert validate_response("github", "GET", "/user", 200, mine.json()) == []
        assert nobody.get("/user").status_code == 401


def test_hooks_are_created_listed_page_by_page_and_edited_as_github_describes_them(served: Served) -> None:
    with served.client() as http:
        created = [http.post(f"{REPO}/hooks", json=_hook(f"https://ci.example/{n}", ["push"])) for n in range(35)]
        assert {answer.status_code for answer in created} == {201}
        assert validate_response("github", "POST", f"{REPO}/hooks", 201, created[0].json()) == []

        first = http.get(f"{REPO}/hooks")
        assert len(first.json()) == 30  # GitHub's default page
        assert validate_response("github", "GET", f"{REPO}/hooks", 200, first.json()) == []
        urls, page = [], http.get(f"{REPO}/hooks", params={"per_page": 10})
        while True:
            urls += [hook["config"]["url"] for hook in page.json()]
            if "next" not in page.links:
                break
            page = http.get(page.links["next"]["url"])
        assert urls == [f"https://ci.example/{n}" for n in range(35)]

        hook_id = created[-1].json()["id"]
        edited = http.patch(f"{REPO}/hooks/{hook_id}", json={"events": ["issues"], "active": False})
        assert (edited.status_code, edited.json()["events"], edited.json()["active"]) == (200, ["issues"], False)
        assert http.get(f"{REPO}/hooks/{hook_id}").json() == edited.json()
        assert http.delete(f"{REPO}/hooks/{hook_id}").status_code == 204
        assert http.get(f"{REPO}/hooks/{hook_id}").status_code == 404
    with served.client(None) as nobody:
        assert nobody.get(f"{REPO}/hooks").status_code == 401
        assert nobody.post(f"{REPO}/hooks", json=_hook("https://ci.example/x", ["push"])).status_code == 401


def test_a_hook_without_a_url_is_refused_with_422(served: Served) -> None:
    with served.client() as http:
        answer = http.post(f"{REPO}/hooks", json={"name": "web", "events": ["push"], "config": {}})
        assert answer.status_code == 422


def test_an_active_hook_gets_its_repositorys_subscribed_events_signed_and_shows_its_secret_masked(
    served: Served,
) -> None:
    with served.client() as http:
        hook = http.post(f"{REPO}/hooks", json=_hook(served.receiver, ["issues"], secret="hook-secret")).json()
    assert hook["config"]["secret"] == "********"
    repo = served.world.repos["acme/checkout"]
    other = next(name for name in served.world.repos if name != "acme/checkout")
    number = min(repo.issues)
    other_number = min(served.world.repos[other].issues)
    with httpx.Client(base_url=served.url + "/_sandbox", timeout=10) as admin:
        assert admin.patch(f"/repos/acme/checkout/issues/{number}", json={"title": "Renamed"}).status_code == 200
        assert admin.post(f"/repos/acme/checkout/issues/{number}/comments", json={"body": "hi"}).status_code == 201
        assert admin.patch(f"/repos/{other}/issues/{other_number}", json={"title": "Elsewhere"}).status_code == 200
    assert served.sender.flush(10)
    [(headers, body)] = served.received  # the comment is not subscribed, the other repository has no hook
    assert headers["x-github-event"] == "issues"
    assert headers["x-github-hook-id"] == str(hook["id"])
    assert headers["x-hub-signature-256"] == hmac_sha256("hook-secret", body)
    assert json.loads(body)["issue"]["title"] == "Renamed"
