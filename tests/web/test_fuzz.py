"""Random headers and bodies at both webhook endpoints: never a 5xx, never a row without a valid signature."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.settings import Settings
from sandbox.webhooks import hmac_sha256
from sync.store import Store
from tests.web.conftest import GITHUB_SECRET, JIRA_SECRET, Web, serve_web

HEADER_NAMES = [
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "X-Atlassian-Webhook-Identifier",
    "Content-Type",
    "X-Anything",
]
EVENTS = ["issues", "pull_request", "release", "milestone", "check_run", "status", "ping", "push", "nonsense", ""]
header_value = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80).map(str.strip)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=512),
    json_like.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(["opened", "edited", "deleted", "closed"]),
            "webhookEvent": st.sampled_from(["jira:issue_updated", "jira:issue_deleted", "sprint_started", "x"]),
            "repository": st.one_of(st.none(), st.fixed_dictionaries({"full_name": st.text(max_size=20)})),
            "issue": json_like,
        }
    ).map(lambda value: json.dumps(value).encode()),
)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'pmhub.db'}")
    settings_ = Settings(sources={"gh": {"kind": "github", "repos": ["o/r"], "token_env": "PMHUB_TEST_UNSET"}})
    with serve_web(settings_, store) as served:
        yield served


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tool=st.sampled_from(["github", "jira"]),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_value, max_size=6),
    event=st.sampled_from(EVENTS),
    body=bodies,
    signed=st.booleans(),
    query=st.sampled_from(["", "?token=", "?token=x", "?a=b&token=%00"]),
)
def test_random_deliveries_never_fail_the_server_nor_write_unsigned(
    web: Web, tool: str, headers: dict[str, str], event: str, body: bytes, signed: bool, query: str
) -> None:
    headers = {**headers, "X-GitHub-Event": event}
    secret = GITHUB_SECRET if tool == "github" else JIRA_SECRET
    if signed:
        headers["X-Hub-Signature-256" if tool == "github" else "X-Hub-Signature"] = hmac_sha256(secret, body)
    before = web.store.db.counts()
    answer = web.client.post(f"/webhooks/{tool}{query}", content=body, headers=headers)
    assert answer.status_code < 500
    if not signed:
        assert answer.status_code == 401
        assert web.store.db.counts() == before
    else:
        assert answer.status_code in (200, 202, 400)
    web.settle()
    assert web.client.get("/healthz").status_code == 200
