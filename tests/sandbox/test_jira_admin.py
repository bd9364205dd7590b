"""The Jira sandbox's admin API changes the world, moves `updated`, and emits Jira's webhook payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from jira import JIRA

from sandbox.faults import FaultPlan
from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.world import World, build_world
from serving import ServedApp
from tests.support.paths import FIXTURES

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ADA = ("ada@acme.example", DEFAULT_API_TOKEN)


class Admin:
    def __init__(self, world: World, url: str, events: list[tuple[str, dict[str, Any]]], plan: FaultPlan) -> None:
        self.world, self.url, self.events, self.plan = world, url, events, plan

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(method, self.url + "/_sandbox" + path, json=body, timeout=10)

    def last(self) -> tuple[str, dict[str, Any]]:
        return self.events[-1]


@pytest.fixture
def admin() -> Iterator[Admin]:
    world = build_world(7, now=NOW)
    events: list[tuple[str, dict[str, Any]]] = []
    plan = FaultPlan(seed=3)
    options = JiraOptions(
        on_event=lambda name, body: events.append((name, body)),
        register_webhook=lambda url, secret: events.append(("registered", {"url": url, "secret": secret})),
        faults=plan,
    )
    with ServedApp(create_app(world, options)) as served:
        yield Admin(world, served.url, events, plan)


def _fixture_keys(name: str) -> set[str]:
    return set(json.loads((FIXTURES / "jira/webhooks/cloud" / name).read_text()))


def test_transition_moves_updated_and_emits_issue_updated_with_the_status_change(admin: Admin) -> None:
    issue = next(i for i in admin.world.jira_issues.values() if i.project == "CHK" and i.status == "In Progress")
    before = issue.updated
    response = admin.call("POST", f"/issues/{issue.key}/transition", {"to": "Done", "actor": "grace"})
    assert response.status_code == 200
    assert issue.status == "Done"
    assert issue.updated > before
    assert issue.changelog[-1].to_status == "Done"
    name, payload = admin.last()
    assert name == "jira:issue_updated"
    assert set(payload) == _fixture_keys("jira_issue_updated.resolved.json")
    items = {item["field"]: item for item in payload["changelog"]["items"]}
    assert (items["status"]["fromString"], items["status"]["toString"]) == ("In Progress", "Done")
    assert items["resolution"]["toString"] == "Done"
    assert payload["issue"]["key"] == issue.key
    assert payload["issue"]["fields"]["status"]["name"] == "Done"
    assert payload["user"]["emailAddress"] == "grace@acme.example"
    assert payload["user"]["timeZone"] == "America/New_York"


def test_create_edit_delete_round_trip_through_the_rest_api(admin: Admin) -> None:
    created = admin.call(
        "POST",
        "/issues",
        {"project": "CHK", "type": "Bug", "summary": "Card declined twice", "fix_versions": ["2.4.0"]},
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert admin.last()[0] == "jira:issue_created"
    assert set(admin.last()[1]) == _fixture_keys("jira_issue_created.json")
    found = requests.get(
        admin.url + f"/rest/api/3/search/jql?jql=key={key}&fields=fixVersions,summary", auth=ADA, timeout=10
    )
    fields = found.json()["issues"][0]["fields"]
    assert (fields["summary"], [v["name"] for v in fields["fixVersions"]]) == ("Card declined twice", ["2.4.0"])

    admin.call("PATCH", f"/issues/{key}", {"summary": "Card declined three times", "assignee": "ken"})
    name, payload = admin.last()
    assert name == "jira:issue_updated"
    assert {i["field"] for i in payload["changelog"]["items"]} == {"summary", "assignee"}
    assert admin.world.jira_issues[key].assignee == admin.world.person_by_login("ken").account_id

    assert admin.call("DELETE", f"/issues/{key}").status_code == 204
    assert admin.last()[0] == "jira:issue_deleted"
    assert requests.get(admin.url + f"/rest/api/3/issue/{key}", auth=ADA, timeout=10).status_code == 404


def test_comment_through_the_api_emits_comment_created(admin: Admin) -> None:
    response = requests.post(
        admin.url + "/rest/api/2/issue/CHK-9/comment", json={"body": "Blocked on legal."}, auth=ADA, timeout=10
    )
    assert response.status_code == 201
    name, payload = admin.last()
    assert name == "comment_created"
    assert set(payload) == _fixture_keys("comment_created.json")
    assert payload["comment"]["body"] == "Blocked on legal."


def test_releasing_a_version_shows_in_project_versions(admin: Admin) -> None:
    client = JIRA(server=admin.url, basic_auth=ADA)
    version = next(v for v in client.project_versions("CHK") if not v.released)
    response = admin.call("POST", f"/versions/{version.id}/release", {"date": "2025-03-09"})
    assert response.status_code == 200
    assert admin.last()[0] == "jira:version_released"
    released = next(v for v in client.project_versions("CHK") if v.id == version.id)
    assert released.released is True
    assert released.releaseDate == "2025-03-09"


def test_webhook_targets_register_and_bad_requests_are_refused(admin: Admin) -> None:
    assert admin.call("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook", "secret": "s"}).status_code == 201
    assert admin.call("GET", "/webhooks").json() == {"targets": ["http://127.0.0.1:9/hook"]}
    assert admin.last() == ("registered", {"url": "http://127.0.0.1:9/hook", "secret": "s"})
    assert admin.call("POST", "/webhooks", {"url": "ftp://x"}).status_code == 400
    assert admin.call("POST", "/issues/CHK-1/transition", {"to": "Nowhere"}).status_code == 400
    assert admin.call("POST", "/issues/NOPE-1/touch").status_code == 404


def test_faults_and_request_counts_apply_to_the_jira_app(admin: Admin) -> None:
    admin.plan.add("jira:/rest/api/*/myself=503x1")
    client = JIRA(server=admin.url, basic_auth=ADA, max_retries=0, get_server_info=False)
    first = requests.get(admin.url + "/rest/api/3/myself", auth=ADA, timeout=10)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert client.myself()["emailAddress"] == "ada@acme.example"
    stats = admin.call("GET", "/stats").json()
    assert stats["by_route"]["GET /rest/api/{api}/myself"] == 1
    assert stats["faults"] == {"503": 1}
    admin.plan.add("jira:*=429:2x1")
    limited = requests.get(admin.url + "/rest/api/3/myself", auth=ADA, timeout=10)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.json()["errorMessages"]
