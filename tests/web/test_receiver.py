"""The receiver's contract: dedupe, newest state wins, bounded input, ignored events, retries, deletions, hooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from hub.web.config import WebhookSettings
from schema import Release, WorkItem, ids
from sync.store import Store
from sync.store.tables import webhook_inbox
from tests.support.paths import FIXTURES
from tests.web.conftest import BEARER, JIRA_URL_TOKEN, WEBHOOKS, Web, fixture_settings, load, serve_web

REPO = "Codertocat/Hello-World"
SITE = "some-instance-test.atlassian.net"
HOOKS = FIXTURES / "github" / "webhooks"
JIRA_HOOKS = FIXTURES / "jira" / "webhooks" / "cloud"
SETTINGS = fixture_settings([REPO], ["TES", "IDT", "TEST"], f"https://{SITE}")


class Changes:
    """What the on_change hook was told, in order."""

    def __init__(self) -> None:
        self.calls: list[frozenset[str]] = []
        self.arrived = threading.Event()

    def __call__(self, releases: frozenset[str]) -> None:
        self.calls.append(releases)
        self.arrived.set()


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def web(tmp_path: Any, changes: Changes) -> Iterator[Web]:
    with serve_web(SETTINGS, Store(f"sqlite:///{tmp_path / 'pmhub.db'}"), on_change=changes) as served:
        yield served


def _edited(title: str, updated: str) -> bytes:
    _, payload = load(HOOKS / "issues" / "edited.json")
    payload["issue"] |= {"title": title, "updated_at": updated}
    return json.dumps(payload).encode()


def _issue(web: Web) -> WorkItem:
    item = web.store.records.get(ids.github(REPO, "issue", 1))
    assert isinstance(item, WorkItem)
    return item


def test_a_replayed_delivery_id_is_stored_and_applied_once(web: Web) -> None:
    body = _edited("First title", "2030-01-01T10:00:00Z")
    assert web.github("issues", body, delivery="delivery-1").json()["status"] == "accepted"
    again = web.github("issues", body, delivery="delivery-1")
    web.settle()
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert web.store.inbox.counts()["applied"] == 1
    assert web.state.version.applied == 1
    assert _issue(web).title == "First title"


def test_updates_delivered_newest_first_end_with_the_newest_state(web: Web) -> None:
    assert web.github("issues", _edited("Newest", "2030-01-01T12:00:00Z")).status_code == 202
    web.settle()
    assert web.github("issues", _edited("Older", "2030-01-01T11:00:00Z")).status_code == 202
    web.settle()
    assert web.store.inbox.counts()["applied"] == 2
    assert _issue(web).title == "Newest"


def test_an_unknown_event_is_accepted_and_kept_as_ignored(web: Web) -> None:
    raw, _ = load(HOOKS / "create" / "payload.json")
    answer = web.github("create", raw)
    assert (answer.status_code, answer.json()["status"]) == (202, "ignored")
    web.settle()
    assert web.store.inbox.counts()["ignored"] == 1
    assert web.store.db.counts()["records"] == 0


def test_a_signed_body_that_is_not_json_is_refused_with_400_and_not_stored(web: Web) -> None:
    before = web.store.db.counts()
    assert web.github("issues", b"{not json").status_code == 400
    assert web.github("issues", b"[1, 2]").status_code == 400
    assert web.github("issues", "\u00e9".encode("latin-1")).status_code == 400
    assert web.github("issues", b'{"a": 1e2,}').status_code == 400
    assert web.github("issues", b'{"a": "\x01"}').status_code == 400
    assert web.github("issues", b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}").status_code == 400
    assert web.store.db.counts() == before


def test_a_body_over_the_limit_is_refused_with_413_before_anything_is_stored(web: Web) -> None:
    before = web.store.db.counts()
    huge = json.dumps({"blob": "x" * (WEBHOOKS.max_body_bytes + 1)}).encode()
    assert web.github("issues", huge).status_code == 413
    chunks = (huge[i : i + 65536] for i in range(0, len(huge), 65536))  # no Content-Length: streamed
    answer = web.client.post("/webhooks/github", content=chunks, headers={"X-GitHub-Event": "issues"})
    assert answer.status_code == 413
    assert web.store.db.counts() == before


def test_receiver_answers_carry_the_headers_every_answer_carries(web: Web) -> None:
    answers = {
        "accepted": web.github("issues", _edited("Title", "2030-01-01T10:00:00Z")),
        "forged": web.github("issues", b"{}", secret="wrong"),
        "not a POST": web.client.get("/webhooks/github"),
        "page": web.client.get("/healthz"),
    }
    assert [answer.status_code for answer in answers.values()] == [202, 401, 405, 200]
    for answer in answers.values():
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_forged_deliveries_are_counted_and_shown_without_detail(web: Web) -> None:
    raw, _ = load(HOOKS / "issues" / "opened.json")
    first = web.github("issues", raw, secret="wrong")
    second = web.github("issues", raw, secret=None)
    assert first.status_code == second.status_code == 401
    assert first.content == second.content
    status = web.client.get("/api/status", headers={"Authorization": f"Bearer {BEARER}"}).json()
    assert status["webhooks"]["forged_deliveries"] == {"github": 2}


def test_a_delivery_that_fails_to_apply_is_retried_kept_and_listed(web: Web) -> None:
    raw, _ = load(JIRA_HOOKS / "comment_created.json")  # a partial issue: fetching it needs the unset token
    assert web.jira(raw).status_code == 202
    deadline = threading.Event()
    for _ in range(100):
        if not web.store.inbox.pending(max_attempts=WEBHOOKS.max_attempts):
            break
        deadline.wait(0.1)
    assert web.store.inbox.counts()["failed"] == 1
    status = web.client.get("/api/status", headers={"Authorization": f"Bearer {BEARER}"}).json()
    [failure] = status["webhooks"]["failures"]
    assert failure["attempts"] == WEBHOOKS.max_attempts
    assert failure["event"] == "comment_created"


def test_jira_deletion_marks_the_issue_deleted(web: Web) -> None:
    raw, payload = load(JIRA_HOOKS / "jira_issue_deleted.json")
    created = dict(payload, webhookEvent="jira:issue_created")
    assert web.jira(json.dumps(created).encode()).status_code == 202
    web.settle()
    issue_id = ids.jira(SITE, "issue", payload["issue"]["id"])
    assert web.store.records.get(issue_id) is not None
    assert web.jira(raw).status_code == 202
    web.settle()
    assert web.store.records.get(issue_id) is None


def test_an_applied_delivery_tells_on_change_which_releases_it_touched(web: Web, changes: Changes) -> None:
    _, milestoned = load(HOOKS / "issues" / "milestoned.json")
    _, payload = load(HOOKS / "issues" / "opened.json")
    payload["issue"]["milestone"] = milestoned["issue"]["milestone"]
    assert web.github("issues", json.dumps(payload).encode()).status_code == 202
    web.settle()
    assert changes.arrived.wait(5)
    milestone = ids.github(REPO, "milestone", milestoned["issue"]["milestone"]["number"])
    assert changes.calls == [frozenset({milestone})]


def test_several_deliveries_in_a_burst_give_one_debounced_call(web: Web, changes: Changes) -> None:
    for title in ("a", "b", "c"):
        _, payload = load(HOOKS / "milestone" / "created.json")
        payload["milestone"] |= {"title": title, "updated_at": f"2030-01-01T10:00:0{len(changes.calls)}Z"}
        assert web.github("milestone", json.dumps(payload).encode()).status_code == 202
    web.settle()
    assert changes.arrived.wait(5)
    release = web.store.records.get(ids.github(REPO, "milestone", payload["milestone"]["number"]))
    assert isinstance(release, Release)
    assert changes.calls == [frozenset({release.id})]


def test_jira_without_a_secret_accepts_the_url_token_only(tmp_path: Any) -> None:
    hooks = WebhookSettings(
        github_secret_env=None, jira_secret_env=None, jira_url_token_env="PMHUB_TEST_JIRA_URL_TOKEN"
    )
    store = Store(f"sqlite:///{tmp_path / 'pmhub.db'}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PMHUB_TEST_JIRA_URL_TOKEN", JIRA_URL_TOKEN)
        with serve_web(SETTINGS, store, webhooks=hooks) as web:
            raw, _ = load(JIRA_HOOKS / "jira_issue_created.json")
            assert web.jira(raw, secret=None, query="?token=wrong").status_code == 401
            assert web.jira(raw, secret=None).status_code == 401
            assert store.db.counts()["webhook_inbox"] == 0
            assert web.jira(raw, secret=None, query=f"?token={JIRA_URL_TOKEN}").status_code == 202
            gh, _ = load(HOOKS / "issues" / "opened.json")
            assert web.github("issues", gh).status_code == 401  # no GitHub secret configured: nothing is trusted


def test_the_same_delivery_posted_concurrently_is_accepted_once(web: Web) -> None:
    body = _edited("Concurrent", "2030-01-02T10:00:00Z")
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: web.github("issues", body, delivery="same-id"), range(10)))
    web.settle()
    assert sorted(a.json()["status"] for a in answers) == ["accepted"] + ["duplicate"] * 9
    assert web.store.inbox.counts()["applied"] == 1


def test_the_inbox_keeps_identifying_headers_but_never_the_signature(web: Web) -> None:
    raw, _ = load(HOOKS / "issues" / "opened.json")
    assert web.github("issues", raw, delivery="kept-headers").status_code == 202
    with web.store.db.engine.connect() as conn:
        headers = conn.execute(select(webhook_inbox.c.headers)).scalar_one()
    assert headers["x-github-event"] == "issues"
    assert headers["x-github-delivery"] == "kept-headers"
    assert not any("signature" in name for name in headers)


def _row(web: Web, delivery: str) -> dict[str, Any]:
    with web.store.db.engine.connect() as conn:
        row = conn.execute(select(webhook_inbox).where(webhook_inbox.c.delivery_id == delivery)).one()
    return dict(row._asdict())


def test_a_forged_delivery_is_refused_with_401_and_leaves_no_row(web: Web) -> None:
    raw, _ = load(HOOKS / "issues" / "opened.json")
    assert web.github("issues", raw, secret="wrong", delivery="forged").status_code == 401
    assert web.jira(raw, secret=None, delivery="unsigned").status_code == 401
    assert web.store.db.counts()["webhook_inbox"] == 0


def test_a_delivery_for_a_repository_no_source_covers_is_ignored_with_that_reason(web: Web) -> None:
    _, payload = load(HOOKS / "issues" / "opened.json")
    payload["repository"]["full_name"] = "elsewhere/unknown"
    assert web.github("issues", json.dumps(payload).encode(), delivery="elsewhere").status_code == 202
    web.settle()
    row = _row(web, "elsewhere")
    assert (row["status"], row["last_error"]) == ("ignored", "no configured GitHub source covers elsewhere/unknown")
    assert web.store.db.counts()["records"] == 0


@pytest.mark.parametrize(
    ("tool", "event", "body", "reason"),
    [
        ("github", "issues", {"action": "edited", "issue": "nope", "repository": 7}, "issues: `repository` must be"),
        (
            "github",
            "issues",
            {"action": "edited", "issue": "nope", "repository": {"full_name": REPO}},
            "issues: `issue` must be an object, got a string",
        ),
        ("github", "pull_request", {"repository": {"full_name": REPO}}, "pull_request: `pull_request` is missing"),
        ("jira", "jira:issue_updated", {"issue": "x"}, "jira:issue_updated: `issue` must be an object, got a string"),
        ("jira", "jira:issue_updated", {"issue": {"id": "ten"}}, "`issue.id` must be an id"),
        ("jira", "jira:version_released", {"version": {"id": None}}, "jira:version_released: `version.id` must be"),
    ],
)
def test_a_signed_delivery_of_the_wrong_shape_is_kept_as_rejected_naming_the_field_and_never_applied(
    web: Web, tool: str, event: str, body: dict[str, Any], reason: str
) -> None:
    raw = json.dumps({"webhookEvent": event, **body} if tool == "jira" else body).encode()
    post = web.github if tool == "github" else lambda _event, body, **kw: web.jira(body, **kw)
    answer = post(event, raw, delivery="wrong-shape")
    assert (answer.status_code, answer.json()["status"]) == (202, "accepted")  # the sender must not retry it
    web.settle()
    row = _row(web, "wrong-shape")
    assert row["status"] == "rejected"
    assert reason in row["last_error"]
    assert web.store.db.counts()["records"] == 0
    assert web.state.version.applied == 0
    threading.Event().wait(WEBHOOKS.retry_seconds * 2)  # a rejected delivery is not retried
    web.state.applier.notify()
    web.settle()
    assert (_row(web, "wrong-shape")["status"], _row(web, "wrong-shape")["attempts"]) == ("rejected", 1)

    auth = {"Authorization": f"Bearer {BEARER}"}
    [listed] = web.client.get("/api/status", headers=auth).json()["webhooks"]["failures"]
    assert (listed["status"], listed["event"]) == ("rejected", event)
    assert reason in listed["last_error"]
    page = web.client.get("/", headers=auth).text
    assert 'id="inbox-failures"' in page
    assert "0 failed, 1 rejected" in page
