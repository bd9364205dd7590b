"""Webhook delivery: signatures, headers, GitHub's no-redelivery and Jira's retries, over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.webhooks import WebhookSender
from serving import ServedApp


class Receiver:
    """A webhook endpoint that records every request and answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.requests.append((dict(request.headers), body))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response(status_code=status)

    def events(self, header: str = "x-github-event") -> list[str]:
        return [headers[header] for headers, _ in self.requests]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with ServedApp(hook.app) as served:
        yield hook, served.url + "/hook"


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    webhooks = WebhookSender(jira_retry_delays=(0.01, 0.01, 0.01))
    yield webhooks
    webhooks.close()


def _expected_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_delivery_is_signed_with_hmac_sha256_of_the_raw_body(receiver, sender):
    hook, url = receiver
    sender.register("github", url, "s3cret")
    [delivery_id] = sender.send_github("issues", {"action": "opened", "repository": {"id": 7}})
    assert sender.flush(5)
    [(headers, body)] = hook.requests
    assert hmac.compare_digest(headers["x-hub-signature-256"], _expected_signature("s3cret", body))
    assert headers["x-github-event"] == "issues"
    assert headers["x-github-delivery"] == delivery_id
    assert len(delivery_id) == 36
    assert headers["user-agent"].startswith("GitHub-Hookshot/")
    assert headers["x-github-hook-installation-target-id"] == "7"
    assert json.loads(body) == {"action": "opened", "repository": {"id": 7}}
    assert [d.status for d in sender.deliveries] == [200]


def test_a_wrong_secret_does_not_verify(receiver, sender):
    hook, url = receiver
    sender.register("github", url, "right")
    sender.send_github("ping", {"zen": "Keep it logically awesome."})
    assert sender.flush(5)
    [(headers, body)] = hook.requests
    assert not hmac.compare_digest(headers["x-hub-signature-256"], _expected_signature("wrong", body))


def test_github_failed_delivery_is_not_redelivered(receiver, sender):
    hook, url = receiver
    hook.statuses = [500]
    sender.register("github", url, "s")
    sender.send_github("issues", {"action": "closed"})
    assert sender.flush(5)
    assert len(hook.requests) == 1
    assert [(d.attempt, d.status) for d in sender.deliveries] == [(1, 500)]


def test_jira_delivery_is_signed_and_retried_with_the_same_identifier(receiver, sender):
    hook, url = receiver
    hook.statuses = [503, 429]
    sender.register("jira", url, "jira-secret")
    [identifier] = sender.send_jira("jira:issue_updated", {"issue": {"key": "CHK-1"}, "changelog": {"items": []}})
    assert sender.flush(5)
    assert [(d.attempt, d.status) for d in sender.deliveries] == [(1, 503), (2, 429), (3, 200)]
    assert {h["x-atlassian-webhook-identifier"] for h, _ in hook.requests} == {identifier}
    assert [h.get("x-atlassian-webhook-retry") for h, _ in hook.requests] == [None, "1", "2"]
    for headers, body in hook.requests:
        assert hmac.compare_digest(headers["x-hub-signature"], _expected_signature("jira-secret", body))
    payload = json.loads(hook.requests[-1][1])
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert isinstance(payload["timestamp"], int)
    assert payload["issue"] == {"key": "CHK-1"}


def test_jira_gives_up_after_its_retries_and_does_not_retry_client_errors(receiver, sender):
    hook, url = receiver
    hook.statuses = [500] * 10
    sender.register("jira", url)
    sender.send_jira("jira:issue_created", {"issue": {"key": "CHK-2"}})
    assert sender.flush(5)
    assert [d.status for d in sender.deliveries] == [500, 500, 500, 500]
    assert "x-hub-signature" not in hook.requests[0][0]  # no secret, no signature
    hook.statuses = [404]
    sender.send_jira("jira:issue_created", {"issue": {"key": "CHK-3"}})
    assert sender.flush(5)
    assert [d.status for d in sender.deliveries][-1:] == [404]
    assert len(sender.deliveries) == 5


def test_an_unreachable_target_is_recorded_as_an_error(sender):
    sender.register("github", "http://127.0.0.1:9/hook", "s")
    sender.send_github("issues", {"action": "opened"})
    assert sender.flush(5)
    [delivery] = sender.deliveries
    assert delivery.status is None
    assert delivery.error


def test_nothing_is_sent_without_a_target(sender):
    assert sender.send_github("issues", {}) == []
    assert sender.flush(1)
    assert sender.deliveries == []
