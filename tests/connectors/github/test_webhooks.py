"""GitHub webhook deliveries (GitHub's own examples) become the same records polling produces, or deletions; a
payload of the wrong shape is refused naming the field; pmhub's own writes are recognised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.base import COMMENT_MARKER, Change
from connectors.github import webhooks
from connectors.github.mapping import check_id
from connectors.github.source import CHECKS, ISSUES, MILESTONES, PULL_REQUESTS, RELEASES
from connectors.github.webhooks import EVENTS, handles, repository
from sandbox.webhooks import WebhookSender
from sandbox.world import Scale
from schema import BadDataError, CheckKind, CheckState, PullRequest, Release, WorkItem, ids
from serving import ServedApp
from tests.connectors.github.support import Sandbox, cursors_of, records_of, run_all, serve, source_for
from tests.support.paths import FIXTURES

HOOKS = FIXTURES / "github" / "webhooks"


def delivery(event: str, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((HOOKS / event / f"{name}.json").read_text())
    return payload


def all_deliveries(event: str) -> list[Path]:
    return sorted((HOOKS / event).glob("*.json"))


@pytest.mark.parametrize("path", all_deliveries("issues"), ids=lambda p: p.stem)
def test_issue_events_upsert_the_issue_or_delete_it(path: Path) -> None:
    payload = json.loads(path.read_text())
    change = webhooks.change("issues", payload, None)
    repo, issue = payload["repository"]["full_name"], payload["issue"]
    issue_id = ids.github(repo, "issue", issue["number"])
    if payload["action"] in ("deleted", "transferred"):
        assert (change.upserts, change.deleted) == ({}, [issue_id])
    elif "pull_request" in issue:
        assert (change.upserts, change.deleted) == ({}, [])
    else:
        [mapped] = change.upserts[ISSUES]
        assert isinstance(mapped.record, WorkItem)
        assert (mapped.record.id, mapped.raw) == (issue_id, issue)


def test_transferred_issue_leaves_its_old_repository() -> None:
    change = webhooks.change("issues", delivery("issues", "transferred"), None)
    assert change.deleted == ["github:octo-org/octo-repo:issue:1"]


@pytest.mark.parametrize("path", all_deliveries("pull_request"), ids=lambda p: p.stem)
def test_pull_request_events_upsert_the_pull_request(path: Path) -> None:
    payload = json.loads(path.read_text())
    [mapped] = webhooks.change("pull_request", payload, None).upserts[PULL_REQUESTS]
    assert isinstance(mapped.record, PullRequest)
    assert mapped.record.id == "github:codertocat/hello-world:pr:2"
    assert mapped.record.draft is payload["pull_request"]["draft"]


@pytest.mark.parametrize(
    ("event", "entity", "key", "stream"),
    [("milestone", "milestone", "number", MILESTONES), ("release", "release", "id", RELEASES)],
)
def test_milestone_and_release_events_upsert_or_delete(event: str, entity: str, key: str, stream: str) -> None:
    for path in all_deliveries(event):
        payload = json.loads(path.read_text())
        change = webhooks.change(event, payload, None)
        expected = ids.github("Codertocat/Hello-World", entity, payload[event][key])
        if payload["action"] == "deleted":
            assert (change.upserts, change.deleted) == ({}, [expected])
        else:
            [mapped] = change.upserts[stream]
            assert isinstance(mapped.record, Release)
            assert mapped.record.id == expected


def test_check_run_event_lands_on_its_branch() -> None:
    [mapped] = webhooks.change("check_run", delivery("check_run", "completed.1"), None).upserts[CHECKS]
    assert mapped.record.id == check_id("Codertocat/Hello-World", "changes", CheckKind.CHECK_RUN, "Octocoders-linter")
    assert getattr(mapped.record, "state", None) is CheckState.FAILURE


def test_status_event_on_a_commit_no_branch_heads_lands_on_the_sha() -> None:
    payload = delivery("status", "payload")
    [mapped] = webhooks.change("status", payload, None).upserts[CHECKS]
    assert mapped.record.id == check_id("Codertocat/Hello-World", payload["sha"], CheckKind.COMMIT_STATUS, "default")


def test_status_event_lands_on_every_branch_whose_head_is_the_commit() -> None:
    payload = delivery("status", "payload")
    payload["branches"][0]["commit"]["sha"] = payload["sha"]
    payload["branches"][2]["commit"]["sha"] = payload["sha"]
    refs = [getattr(m.record, "ref", None) for m in webhooks.change("status", payload, None).upserts[CHECKS]]
    assert refs == ["master", "gh-pages"]


@pytest.mark.parametrize("event", ["push", "ping", "check_suite", "workflow_run"])
def test_events_that_carry_no_record_change_nothing(event: str) -> None:
    assert handles(event)
    for path in all_deliveries(event):
        payload = json.loads(path.read_text())
        assert repository(event, payload) is None
        assert webhooks.change(event, payload, None) == Change()


def test_only_the_subscribed_events_and_ping_are_handled() -> None:
    assert "ping" not in EVENTS  # GitHub sends it to a new hook by itself: no subscription
    assert handles("ping")
    assert not handles("create")
    assert not handles("pull_request_review")


def test_an_issue_comment_brings_its_issue_and_a_pull_requests_conversation_brings_nothing() -> None:
    for path in all_deliveries("issue_comment"):
        payload = json.loads(path.read_text())
        found = webhooks.change("issue_comment", payload, None)
        if "pull_request" in payload["issue"]:
            assert found.records == []
        else:
            assert [r.id for r in found.records] == [ids.github("Codertocat/Hello-World", "issue", 1)]


def _in_repo(**fields: Any) -> dict[str, Any]:
    return {"repository": {"full_name": "a/b"}, **fields}


@pytest.mark.parametrize(
    ("event", "payload", "reason"),
    [
        ("issues", {"action": "edited", "issue": "nope", "repository": 7}, "`repository` must be an object"),
        ("issues", _in_repo(action="edited", issue="nope"), "`issue` must be an object, got a string"),
        ("issues", _in_repo(action="edited"), "`issue` is missing"),
        ("issues", _in_repo(action="deleted", issue={"number": "1"}), "`issue.number` must be an integer, got a"),
        ("pull_request", _in_repo(pull_request=[]), "`pull_request` must be an object, got an array"),
        ("status", _in_repo(sha=5), "`sha` must be a non-empty string, got an integer"),
        ("release", _in_repo(action="deleted", release={"id": None}), "`release.id` must be an integer, got null"),
        ("issue_comment", _in_repo(issue={}, comment="hi"), "`comment` must be an object, got a string"),
    ],
)
def test_a_payload_that_lacks_what_its_event_needs_is_refused_naming_the_field(
    event: str, payload: dict[str, Any], reason: str
) -> None:
    with pytest.raises(BadDataError) as refused:
        webhooks.change(event, payload, None)
    assert reason in str(refused.value)


def test_a_field_inside_the_object_that_does_not_fit_is_refused_by_the_polling_mapping() -> None:
    payload = delivery("issues", "opened")
    del payload["issue"]["title"]
    with pytest.raises(BadDataError, match="title"):
        webhooks.change("issues", payload, None)


def test_a_comment_carrying_the_pmhub_marker_is_ignored_as_pmhubs_own() -> None:
    payload = delivery("issue_comment", "created")
    payload["comment"]["body"] = f"Done while its PR is open.\n\n(pmhub reconciliation, rule x) [{COMMENT_MARKER}]"
    found = webhooks.change("issue_comment", payload, None)
    assert "pmhub's own comment" in str(found.ignored)
    assert found.records == []


def test_a_delivery_sent_by_the_sources_own_account_is_applied_as_pmhubs_own_change() -> None:
    payload = delivery("issues", "reopened")
    login = payload["sender"]["login"]
    own = webhooks.change("issues", payload, login.upper())
    assert login in str(own.own)
    assert [r.id for r in own.records] == [r.id for r in webhooks.change("issues", payload, None).records]
    assert webhooks.change("issues", payload, "someone-else").own is None
    assert webhooks.change("issues", payload, None).own is None


# ---------------------------------------------------------------------------------- webhooks agree with polling


@pytest.fixture
def sandbox_with_hooks() -> Iterator[tuple[Sandbox, WebhookSender]]:
    sender = WebhookSender()

    async def receive(_: Request) -> Response:
        return Response(status_code=204)

    with ServedApp(Starlette(routes=[Route("/hooks", receive, methods=["POST"])])) as receiver:
        sender.register("github", f"{receiver.url}/hooks", "s3cret")
        for sandbox in serve(Scale.named("tiny"), webhooks=sender):
            yield sandbox, sender
    sender.close()


def test_a_webhook_and_the_next_poll_produce_the_same_records(
    sandbox_with_hooks: tuple[Sandbox, WebhookSender],
) -> None:
    sandbox, sender = sandbox_with_hooks
    source = source_for(sandbox)
    cursors = cursors_of(run_all(source))
    repo = next(iter(sandbox.world.repos.values()))
    sandbox.clock.now += timedelta(minutes=1)
    sandbox.admin("PATCH", f"/repos/{repo.full_name}/issues/{min(repo.issues)}", {"title": "Pay button hidden"})
    sandbox.admin(
        "POST", f"/repos/{repo.full_name}/pulls/{next(n for n, p in repo.pulls.items() if p.state == 'open')}/merge"
    )
    draft = next(r for r in repo.releases if r.draft)
    sandbox.admin("POST", f"/repos/{repo.full_name}/releases/{draft.tag_name}/publish")
    sandbox.admin("POST", f"/repos/{repo.full_name}/milestones/{min(repo.milestones)}/close")
    sandbox.admin("POST", f"/repos/{repo.full_name}/commits/main/check-runs/e2e-tests", {"conclusion": "failure"})
    assert sender.flush(timeout=10)

    changes = [webhooks.change(delivery.event, delivery.json(), None) for delivery in sender.deliveries]
    pushed = {record.id: record for found in changes for record in found.records}
    polled = records_of(run_all(source, cursors))

    assert {kind for record in pushed.values() for kind in [record.kind]} == {
        "work_item",
        "pull_request",
        "release",
        "check",
    }
    assert {rid: polled.get(rid) for rid in pushed} == pushed
