"""search/jql in the Jira sandbox: exact token paging, JQL dates in the caller's zone, caps, the JQL subset."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.world import JiraIssue, World, build_world
from serving import ServedApp
from tests.support.openapi import assert_valid

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
SEARCH = "/rest/api/3/search/jql"


class Jira:
    def __init__(self, world: World, url: str) -> None:
        self.world, self.url = world, url

    def search(self, jql: str, login: str = "ada", **params: Any) -> requests.Response:
        auth = (f"{login}@acme.example", DEFAULT_API_TOKEN)
        return requests.get(self.url + SEARCH, params={"jql": jql, **params}, auth=auth, timeout=10)

    def keys(self, jql: str, login: str = "ada") -> set[str]:
        body = self.search(jql, login, fields="key", maxResults=5000).json()
        assert body["isLast"] is True
        return {issue["key"] for issue in body["issues"]}

    def admin(self, path: str, body: dict[str, Any] | None = None) -> None:
        requests.post(self.url + path, json=body or {}, timeout=10).raise_for_status()

    def issues(self, project: str) -> list[JiraIssue]:
        return [i for i in self.world.jira_issues.values() if i.project == project]


@pytest.fixture(scope="module")
def jira() -> Iterator[Jira]:
    world = build_world(7, now=NOW)
    with ServedApp(create_app(world, JiraOptions())) as served:
        yield Jira(world, served.url)


def _local_minute(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def test_pages_have_no_gaps_or_repeats_while_issues_are_updated_between_pages(jira: Jira) -> None:
    expected = {i.key for i in jira.issues("CHK")}
    seen: list[str] = []
    params: dict[str, Any] = {"fields": "summary,updated", "maxResults": 17}
    for order in ("ASC", "DESC"):
        seen.clear()
        token = None
        while True:
            body = jira.search(f"project = CHK ORDER BY updated {order}", **params, nextPageToken=token or "").json()
            seen += [issue["key"] for issue in body["issues"]]
            if body["isLast"]:
                assert "nextPageToken" not in body
                break
            token = body["nextPageToken"]
            # move one issue already served and one not yet served to the newest end of the order
            unseen = next(k for k in sorted(expected) if k not in seen)
            jira.admin(f"/_sandbox/issues/{seen[0]}/touch")
            jira.admin(f"/_sandbox/issues/{unseen}/touch")
        assert len(seen) == len(set(seen))
        assert set(seen) == expected


def test_pages_are_in_updated_order_and_show_current_fields(jira: Jira) -> None:
    body = jira.search("project = MOB ORDER BY updated DESC", fields="updated", maxResults=50).json()
    stamps = [datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z") for i in body["issues"]]
    assert stamps == sorted(stamps, reverse=True)
    first = body["issues"][0]["key"]
    jira.admin(
        f"/_sandbox/issues/{first}/transition",
        {"to": "Shipped" if jira.world.jira_issues[first].status != "Shipped" else "Open"},
    )
    again = jira.search("project = MOB", nextPageToken=body["nextPageToken"], fields="status").json()
    assert first not in {i["key"] for i in again["issues"]}


def test_updated_literal_is_read_in_the_callers_time_zone(jira: Jira) -> None:
    issue = jira.issues("CHK")[3]
    literal = _local_minute(issue.updated, "Pacific/Tongatapu")  # linus, UTC+13
    jql = f'key = {issue.key} AND updated >= "{literal}"'
    assert jira.keys(jql, "linus") == {issue.key}
    # the same wall-clock text is 23 hours later in Honolulu (margaret, UTC-10): the issue is older than that
    assert jira.keys(jql, "margaret") == set()
    honolulu = _local_minute(issue.updated, "Pacific/Honolulu")
    assert jira.keys(f'key = {issue.key} AND updated >= "{honolulu}"', "margaret") == {issue.key}


def test_updated_bounds_are_minute_precise(jira: Jira) -> None:
    issue = next(i for i in jira.issues("CHK") if i.updated.second > 0)
    minute = _local_minute(issue.updated, "UTC")
    next_minute = _local_minute(issue.updated + timedelta(minutes=1), "UTC")
    key = issue.key
    assert jira.keys(f'key = {key} AND updated >= "{minute}"', "barbara") == {key}
    assert jira.keys(f'key = {key} AND updated >= "{next_minute}"', "barbara") == set()
    assert jira.keys(f'key = {key} AND updated <= "{minute}"', "barbara") == set()  # 12:34:56 is after 12:34
    assert jira.keys(f'key = {key} AND updated < "{next_minute}"', "barbara") == {key}


def test_window_query_matches_the_world(jira: Jira) -> None:
    since = NOW - timedelta(days=60)
    until = NOW - timedelta(days=30)
    low, high = _local_minute(since, "Asia/Kolkata"), _local_minute(until, "Asia/Kolkata")
    jql = f'project = CHK AND updated >= "{low}" AND updated <= "{high}"'
    expected = {i.key for i in jira.issues("CHK") if since <= i.updated <= until}
    assert expected
    assert jira.keys(jql, "ken") == expected


@pytest.mark.parametrize(
    ("jql", "select"),
    [
        ("project = CHK AND issuetype = Bug", lambda i, w: i.project == "CHK" and i.type == "Bug"),
        ("project in (CHK, MOB) AND issuetype in (Epic, Story)", lambda i, w: i.type in ("Epic", "Story")),
        (
            'project = MOB AND statusCategory = "In Progress"',
            lambda i, w: i.project == "MOB" and w.jira_projects["MOB"].status(i.status).category == "indeterminate",
        ),
        (
            "project = CHK AND statusCategory != Done",
            lambda i, w: i.project == "CHK" and w.jira_projects["CHK"].status(i.status).category != "done",
        ),
        (
            'project = CHK AND fixVersion = "2.4.0"',
            lambda i, w: i.project == "CHK" and any(w.versions[v].name == "2.4.0" for v in i.fix_versions),
        ),
        ("key in (CHK-1, CHK-2, MOB-3)", lambda i, w: i.key in ("CHK-1", "CHK-2", "MOB-3")),
        ("project = CHK AND fixVersion is EMPTY", lambda i, w: i.project == "CHK" and not i.fix_versions),
        (
            "project = CHK AND (issuetype = Bug OR priority = High) AND NOT status = Done",
            None,  # priority is not in the subset: refused below
        ),
    ],
)
def test_jql_subset_selects_what_the_world_holds(jira: Jira, jql: str, select: Any) -> None:
    if select is None:
        response = jira.search(jql)
        assert response.status_code == 400
        assert "priority" in response.json()["errorMessages"][0]
        return
    assert jira.keys(jql) == {i.key for i in jira.world.jira_issues.values() if select(i, jira.world)}


def test_approximate_count_counts_what_search_finds(jira: Jira) -> None:
    jql = "project = MOB AND statusCategory = Done"
    url = jira.url + "/rest/api/3/search/approximate-count"
    count = requests.post(url, json={"jql": jql}, auth=("ada@acme.example", DEFAULT_API_TOKEN), timeout=10).json()
    assert count == {"count": len(jira.keys(jql))}


def test_max_results_is_capped_like_jira(jira: Jira) -> None:
    assert len(jira.search("project = CHK", fields="*all", maxResults=500).json()["issues"]) == 100
    everything = jira.search("project = CHK", fields="id", maxResults=500).json()
    assert len(everything["issues"]) == len(jira.issues("CHK"))
    assert set(everything["issues"][0]) <= {"id", "key", "self", "expand"}
    assert "total" not in everything


def test_post_search_and_changelog_expansion(jira: Jira) -> None:
    body = {"jql": "key = CHK-7", "fields": ["status"], "expand": "changelog"}
    response = requests.post(jira.url + SEARCH, json=body, auth=("ada@acme.example", DEFAULT_API_TOKEN), timeout=10)
    issue = response.json()["issues"][0]
    histories = issue["changelog"]["histories"]
    assert [h["items"][0]["toString"] for h in histories] == [
        t.to_status for t in jira.world.jira_issues["CHK-7"].changelog
    ]
    assert set(issue["fields"]) == {"status"}


def test_expanded_changelog_keeps_only_the_latest_100_histories(jira: Jira) -> None:
    issue = jira.world.jira_issues["MOB-7"]
    statuses = [s.name for s in jira.world.jira_projects["MOB"].statuses]
    for step in range(101):
        target = statuses[step % len(statuses)]
        if target != issue.status:
            jira.admin(f"/_sandbox/issues/{issue.key}/transition", {"to": target})
    total = len(issue.changelog)
    expanded = jira.search(f"key = {issue.key}", expand="changelog").json()["issues"][0]["changelog"]
    assert (expanded["total"], expanded["startAt"], len(expanded["histories"])) == (total, total - 100, 100)
    assert expanded["histories"][-1]["items"][0]["toString"] == issue.status
    paged = requests.get(
        f"{jira.url}/rest/api/3/issue/{issue.key}/changelog",
        params={"startAt": 0, "maxResults": 100},
        auth=("ada@acme.example", DEFAULT_API_TOKEN),
        timeout=10,
    ).json()
    assert (paged["total"], paged["isLast"]) == (total, False)


def test_bad_queries_and_tokens_are_400_with_jira_bodies(jira: Jira) -> None:
    unbounded = jira.search("ORDER BY updated")
    assert unbounded.status_code == 400
    assert "Unbounded" in unbounded.json()["errorMessages"][0]
    assert jira.search('updated >= "yesterday"').status_code == 400
    assert jira.search("project = NOPE").status_code == 400
    assert jira.search("project = CHK", nextPageToken="garbage").status_code == 400


def test_expanded_transitions_are_those_the_transitions_route_offers(jira: Jira) -> None:
    body = jira.search("project = CHK ORDER BY key", fields="status", expand="transitions,changelog", maxResults=6)
    assert_valid("jira", "GET", SEARCH, 200, body.json())
    auth = ("ada@acme.example", DEFAULT_API_TOKEN)
    for issue in body.json()["issues"]:
        offered = requests.get(f"{jira.url}/rest/api/3/issue/{issue['key']}/transitions", auth=auth, timeout=10)
        assert issue["transitions"] == offered.json()["transitions"]
        assert issue["fields"]["status"]["name"] not in {t["to"]["name"] for t in issue["transitions"]}
    plain = jira.search("project = CHK ORDER BY key", fields="status", expand="changelog", maxResults=6).json()
    assert all("transitions" not in issue for issue in plain["issues"])


def test_admin_changes_show_in_the_next_page_rendered(jira: Jira) -> None:
    key = jira.issues("MOB")[5].key
    wanted = {"fields": "summary,status,labels,updated", "expand": "changelog"}
    before = jira.search(f"key = {key}", login="linus", **wanted).json()["issues"][0]
    current = before["fields"]["status"]["name"]
    target = next(s.name for s in jira.world.jira_projects["MOB"].statuses if s.name != current)
    requests.patch(f"{jira.url}/_sandbox/issues/{key}", json={"summary": "Renamed", "labels": ["x"]}, timeout=10)
    jira.admin(f"/_sandbox/issues/{key}/transition", {"to": target})
    after = jira.search(f"key = {key}", login="linus", **wanted).json()["issues"][0]
    assert (after["fields"]["summary"], after["fields"]["labels"]) == ("Renamed", ["x"])
    assert after["fields"]["status"]["name"] == target
    assert after["fields"]["updated"] > before["fields"]["updated"]
    assert after["fields"]["updated"].endswith("+1300")  # linus reads Tongatapu time
    assert after["changelog"]["total"] == before["changelog"]["total"] + 1
    assert after["changelog"]["histories"][-1]["items"][0]["toString"] == target
    assert after["changelog"]["histories"][-1]["created"] == after["fields"]["updated"]
