"""Every vendor webhook example, posted signed, is stored and applied through the polling mapping; forged, nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.github import webhooks
from schema import (
    AnyRecord,
    Check,
    CheckState,
    PullRequest,
    PullRequestState,
    Release,
    StatusCategory,
    StatusChange,
    WorkItem,
    ids,
)
from sync.store import Store
from tests.support.paths import FIXTURES
from tests.web.conftest import JIRA_SECRET, Web, fixture_settings, load, serve_web

GITHUB = sorted((FIXTURES / "github" / "webhooks").glob("*/*.json"))
JIRA = sorted((FIXTURES / "jira" / "webhooks").glob("*/*.json"))
UNHANDLED_GITHUB = {"create", "pull_request_review"}
SITE = "some-instance-test.atlassian.net"


def _repos() -> list[str]:
    found = {(json.loads(p.read_bytes()).get("repository") or {}).get("full_name") for p in GITHUB}
    return sorted(r for r in found if r)


def _projects() -> list[str]:
    keys = {json.loads(p.read_bytes())["issue"]["key"].rsplit("-", 1)[0] for p in JIRA}
    return sorted(keys)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('web') / 'pmhub.db'}")
    with serve_web(fixture_settings(_repos(), _projects(), f"https://{SITE}"), store) as web:
        yield web


@pytest.fixture
def web(served: Web) -> Web:
    served.settle()
    served.clear()
    return served


def _inbox_status(store: Store) -> dict[str, int]:
    return {k: v for k, v in store.inbox.counts().items() if v}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", GITHUB, ids=_name)
def test_signed_github_example_is_accepted_and_the_store_holds_what_polling_would_map(web: Web, path: Path) -> None:
    raw, payload = load(path)
    event = path.parent.name
    answer = web.github(event, raw)
    assert answer.status_code == 202
    web.settle()
    if event in UNHANDLED_GITHUB:
        assert answer.json()["status"] == "ignored"
        assert _inbox_status(web.store) == {"ignored": 1}
        return
    assert _inbox_status(web.store) == {"applied": 1}
    expected: list[AnyRecord] = webhooks.change(event, payload, None).records
    for record in expected:
        assert web.store.records.get(record.id) == record
    assert web.store.db.counts()["records"] == len(expected)


@pytest.mark.parametrize("path", GITHUB, ids=_name)
def test_github_example_with_a_wrong_signature_is_refused_and_writes_nothing(web: Web, path: Path) -> None:
    raw, _ = load(path)
    before = web.store.db.counts()
    assert web.github(path.parent.name, raw, secret="not-the-secret").status_code == 401
    assert web.github(path.parent.name, raw, secret=None).status_code == 401
    assert web.store.db.counts() == before


def _jira_expected_applied(payload: dict[str, object]) -> bool:
    issue = payload["issue"]
    assert isinstance(issue, dict)
    return "updated" in issue["fields"] and payload["webhookEvent"] != "jira:issue_deleted"


@pytest.mark.parametrize("path", JIRA, ids=_name)
def test_signed_jira_example_is_accepted_and_its_issue_mapped(web: Web, path: Path) -> None:
    raw, payload = load(path)
    answer = web.jira(raw)
    assert answer.status_code == 202
    assert answer.json()["status"] == "accepted"
    web.settle()
    issue = payload["issue"]
    stored = web.store.records.get(ids.jira(SITE, "issue", issue["id"]))
    if _jira_expected_applied(payload):
        assert _inbox_status(web.store) == {"applied": 1}
        assert isinstance(stored, WorkItem)
        assert stored.source.key == issue["key"]
        assert stored.title == issue["fields"]["summary"]
        assert stored.status.original == issue["fields"]["status"]["name"]
    elif payload["webhookEvent"] == "jira:issue_deleted":
        assert _inbox_status(web.store) == {"applied": 1}
        assert stored is None
    else:
        # the delivery carries only part of the issue: completing it needs the connector, whose token is unset
        assert stored is None
        assert _inbox_status(web.store) == {"failed": 1}
        page = web.client.get("/api/status", headers={"Authorization": "Bearer bearer-token-for-tests"}).json()
        [listed] = page["webhooks"]["failures"]
        assert "PMHUB_TEST_UNSET_JIRA_TOKEN" in listed["last_error"]


@pytest.mark.parametrize("path", JIRA, ids=_name)
def test_jira_example_with_a_wrong_signature_is_refused_and_writes_nothing(web: Web, path: Path) -> None:
    raw, _ = load(path)
    before = web.store.db.counts()
    assert web.jira(raw, secret="not-the-secret").status_code == 401
    assert web.jira(raw, secret=None).status_code == 401
    assert web.jira(raw, secret=JIRA_SECRET[:-1]).status_code == 401
    assert web.store.db.counts() == before


def _post(web: Web, relative: str) -> dict[str, object]:
    path = FIXTURES / "github" / "webhooks" / relative
    raw, payload = load(path)
    assert web.github(path.parent.name, raw).status_code == 202
    web.settle()
    return payload


def test_github_examples_land_with_their_fields(web: Web) -> None:
    repo = "Codertocat/Hello-World"
    _post(web, "issues/opened.json")
    issue = web.store.records.get(ids.github(repo, "issue", 1))
    assert isinstance(issue, WorkItem)
    assert (issue.title, issue.status.category) == ("Spelling error in the README file", StatusCategory.TODO)

    _post(web, "pull_request/closed.json")
    pull = web.store.records.get(ids.github(repo, "pr", 2))
    assert isinstance(pull, PullRequest)
    assert pull.state is PullRequestState.CLOSED

    _post(web, "release/published.json")
    release = web.store.records.get(ids.github(repo, "release", 17372790))
    assert isinstance(release, Release)
    assert release.tag_name == "0.0.1"

    _post(web, "milestone/closed.json")
    milestone = web.store.records.get(ids.github(repo, "milestone", 1))
    assert isinstance(milestone, Release)
    assert milestone.name == "v1.0"

    payload = _post(web, "check_run/completed.json")
    checks = [r for r in web.store.records.iter(kind="check") if isinstance(r, Check)]
    run = payload["check_run"]
    assert isinstance(run, dict)
    assert [(c.name, c.state) for c in checks] == [(run["name"], CheckState.SUCCESS)]

    _post(web, "issues/deleted.json")
    assert web.store.records.get(ids.github(repo, "issue", 1)) is None
    assert web.store.records.get(ids.github(repo, "issue", 1), include_deleted=True) is not None


def test_jira_status_change_delivery_moves_the_issue_and_records_the_transition(web: Web) -> None:
    raw, _ = load(FIXTURES / "jira" / "webhooks" / "cloud" / "jira_issue_updated.status_in_progress.json")
    assert web.jira(raw).status_code == 202
    web.settle()
    item = web.store.records.get(ids.jira(SITE, "issue", "10040"))
    assert isinstance(item, WorkItem)
    assert (item.title, item.status.category, item.status.original) == (
        "Unit test summary 1",
        StatusCategory.IN_PROGRESS,
        "In Progress",
    )
    [change] = [r for r in web.store.records.iter(kind="status_change") if isinstance(r, StatusChange)]
    assert (change.item_id, change.from_status, change.to_status) == (item.id, "To Do", "In Progress")
