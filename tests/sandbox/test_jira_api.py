"""The Jira sandbox answers like Jira: shapes from Atlassian's description, the real `jira` client, auth, flavours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from fastapi.routing import APIRoute
from jira import JIRA, JIRAError

from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.world import World, build_world
from serving import ServedApp
from tests.support.openapi import assert_valid

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ADA = ("ada@acme.example", DEFAULT_API_TOKEN)


class Site:
    def __init__(self, app: FastAPI, world: World, url: str, events: list[tuple[str, dict[str, Any]]]) -> None:
        self.app, self.world, self.url, self.events = app, world, url, events

    def get(self, path: str, auth: Any = ADA, **params: Any) -> requests.Response:
        return requests.get(self.url + path, params=params, auth=auth, timeout=10)

    def post(self, path: str, body: Any, auth: Any = ADA) -> requests.Response:
        return requests.post(self.url + path, json=body, auth=auth, timeout=10)


def _serve(flavour: Any, jira_software: bool = True) -> Iterator[Site]:
    world = build_world(7, now=NOW)
    events: list[tuple[str, dict[str, Any]]] = []
    options = JiraOptions(
        flavour=flavour, jira_software=jira_software, on_event=lambda name, body: events.append((name, body))
    )
    app = create_app(world, options)
    with ServedApp(app) as served:
        yield Site(app, world, served.url, events)


@pytest.fixture(scope="module")
def cloud() -> Iterator[Site]:
    yield from _serve("cloud")


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    yield from _serve("server")


def _concrete(path: str, api: str, world: World) -> str:
    linked = next(i.key for i in world.jira_issues.values() if i.remote_links and i.comments == [])
    return (
        path.replace("{api}", api)
        .replace("issue/{key}", f"issue/{linked}")
        .replace("project/{key}", "project/CHK")
        .replace("{board_id}", "1")
        .replace("{version_id}", str(min(world.versions)))
    )


_ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Ok."}]}]}
_BODIES: dict[str, Any] = {
    "/search/jql": {"jql": "project = CHK", "fields": ["*all"], "expand": "changelog", "maxResults": 3},
    "/search/approximate-count": {"jql": "project = CHK AND issuetype = Bug"},
    "/changelog/bulkfetch": {"issueIdsOrKeys": ["CHK-5", "CHK-6"], "maxResults": 2},
    "/3/issue/{key}/comment": {"body": _ADF},
    "/2/issue/{key}/comment": {"body": "Looks good to me."},
    "/version/{version_id}": {"description": "Checked by the route walker"},
}
_SEARCH: dict[str, Any] = {
    "jql": "project = CHK ORDER BY updated",
    "fields": "*all",
    "expand": "changelog",
    "maxResults": 5,
}


def test_every_json_response_matches_the_jira_description(cloud: Site) -> None:
    walked = 0
    for route in cloud.app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/rest/api/"):
            continue
        methods = sorted((route.methods or set()) & {"GET", "POST", "PUT"})
        for api, method in ((api, m) for api in ("2", "3") for m in methods):
            path = _concrete(route.path, api, cloud.world)
            if path.endswith("/transitions") and method == "POST":
                continue  # 204 without a body: the client test below drives it
            template = route.path.replace("{api}", api)
            body = next((b for suffix, b in _BODIES.items() if template.endswith(suffix)), None)
            params = _SEARCH if method == "GET" and path.endswith("/search/jql") else None
            if path.endswith("/mypermissions"):
                params = {"projectKey": "CHK", "permissions": "BROWSE_PROJECTS,ADD_COMMENTS"}
            response = requests.request(method, cloud.url + path, json=body, params=params, auth=ADA, timeout=10)
            if route.path == "/rest/api/{api}/search":
                assert response.status_code == 410  # undocumented in the description: the removed search
                continue
            payload = response.json()
            if path.endswith("/remotelink"):
                # why: the description types this 200 as one RemoteIssueLink though its own example and the live
                # API return a list of them; each element is checked against the schema instead
                assert isinstance(payload, list)
                assert payload
                payload = payload[0]
            assert_valid("jira", method, path, response.status_code, payload)
            walked += 1
    assert walked >= 30


def test_releasing_a_version_through_rest_emits_version_released(cloud: Site) -> None:
    version = next(v for v in cloud.world.versions.values() if not v.released and v.project == "MOB")
    response = requests.put(
        f"{cloud.url}/rest/api/3/version/{version.id}",
        json={"released": True, "releaseDate": "2025-03-09"},
        auth=ADA,
        timeout=10,
    )
    assert response.json()["released"] is True
    assert (version.released, str(version.release_date)) == (True, "2025-03-09")
    assert cloud.events[-1][0] == "jira:version_released"
    url = f"{cloud.url}/rest/api/3/version/{version.id}"
    bad = requests.put(url, json={"releaseDate": "soon"}, auth=ADA, timeout=10)
    assert bad.status_code == 400


def test_agile_boards_and_sprints(cloud: Site) -> None:
    boards = cloud.get("/rest/agile/1.0/board", projectKeyOrId="CHK").json()
    assert [b["location"]["projectKey"] for b in boards["values"]] == ["CHK"]
    sprints = cloud.get(f"/rest/agile/1.0/board/{boards['values'][0]['id']}/sprint", state="active,closed").json()
    assert {s["state"] for s in sprints["values"]} == {"active", "closed"}
    assert all(s["startDate"].endswith("Z") for s in sprints["values"])


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_without_jira_software_every_agile_path_answers_404_as_jiras_rest_layer_does(flavour: str) -> None:
    for site in _serve(flavour, jira_software=False):
        for path in ("/rest/agile/1.0/board?projectKeyOrId=CHK&startAt=0", "/rest/agile/1.0/board/1/sprint"):
            answer = requests.get(site.url + path, auth=ADA, timeout=10)
            assert answer.status_code == 404
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.json() == {"message": f"null for uri: {site.url}{path}", "status-code": 404}
        assert site.get("/rest/api/2/project").status_code == 200
        with pytest.raises(JIRAError) as refused:
            JIRA(server=site.url, basic_auth=ADA).boards(projectKeyOrID="CHK")
        assert refused.value.status_code == 404


def test_the_jira_library_works_unmodified(cloud: Site) -> None:
    client = JIRA(server=cloud.url, basic_auth=ADA)
    keys: list[str] = []
    token = None
    while True:
        page = client.enhanced_search_issues(
            "project = CHK ORDER BY updated ASC", nextPageToken=token, maxResults=40, json_result=True
        )
        assert isinstance(page, dict)
        keys += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if page["isLast"]:
            break
    expected = {i.key for i in cloud.world.jira_issues.values() if i.project == "CHK"}
    assert len(keys) == len(set(keys))
    assert set(keys) == expected
    assert [v.name for v in client.project_versions("CHK")] == ["2.2.0", "2.3.0", "2.3.1", "2.4.0", "2.5.0"]
    issue = next(i for i in cloud.world.jira_issues.values() if i.project == "CHK" and i.status == "Backlog")
    names = {t["name"]: t["id"] for t in client.transitions(issue.key)}
    assert "Backlog" not in names
    assert "In Progress" in names
    client.transition_issue(issue.key, names["In Progress"])
    assert cloud.world.jira_issues[issue.key].status == "In Progress"
    comment = client.add_comment(issue.key, "Picked up.")
    assert comment.body == "Picked up."


def test_v3_speaks_adf_and_v2_plain_text_with_jira_datetimes(cloud: Site) -> None:
    v3 = cloud.get("/rest/api/3/issue/CHK-5").json()["fields"]
    v2 = cloud.get("/rest/api/2/issue/CHK-5").json()["fields"]
    assert v3["description"]["type"] == "doc"
    assert isinstance(v2["description"], str)
    assert v3["description"]["content"][0]["content"][0]["text"] == v2["description"]
    # Ada's zone is Europe/London: GMT in March before the switch
    assert datetime.strptime(v3["updated"], "%Y-%m-%dT%H:%M:%S.%f%z").utcoffset() is not None
    assert v3["updated"].endswith("+0000")


def test_custom_fields_are_named_as_jira_names_them(cloud: Site) -> None:
    catalogue = {f["name"]: f for f in cloud.get("/rest/api/3/field").json()}
    for name in ("Story Points", "Sprint", "Epic Link", "Story point estimate"):
        assert catalogue[name]["custom"] is True
        assert catalogue[name]["id"].startswith("customfield_")
    epic_link = catalogue["Epic Link"]["id"]
    issue = next(i for i in cloud.world.jira_issues.values() if i.project == "CHK" and i.epic_key)
    assert cloud.get(f"/rest/api/3/issue/{issue.key}").json()["fields"][epic_link] == issue.epic_key


def test_removed_search_answers_410_gone_with_atlassians_body(cloud: Site) -> None:
    for api in ("2", "3"):
        response = cloud.get(f"/rest/api/{api}/search", jql="project = CHK")
        assert response.status_code == 410
        assert "Please migrate to the /rest/api/3/search/jql API" in response.json()["errorMessages"][0]


def test_credentials_basic_token_and_bearer_pat(cloud: Site) -> None:
    assert cloud.get("/rest/api/3/myself").json()["timeZone"] == "Europe/London"
    linus = requests.get(
        cloud.url + "/rest/api/3/myself", headers={"Authorization": "Bearer sandbox-jira-pat-linus"}, timeout=10
    )
    assert linus.json()["timeZone"] == "Pacific/Tongatapu"
    wrong = cloud.get("/rest/api/3/myself", auth=("ada@acme.example", "not-the-token"))
    assert wrong.status_code == 401
    assert wrong.text == "Client must be authenticated to access this resource."
    anonymous = cloud.get("/rest/api/3/myself", auth=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["errorMessages"]
    with pytest.raises(JIRAError) as raised:
        JIRA(server=cloud.url, basic_auth=("ada@acme.example", "nope")).myself()
    assert raised.value.status_code == 401


def test_server_flavour_pages_with_start_at_and_total(server: Site) -> None:
    info = server.get("/rest/api/2/serverInfo").json()
    assert info["deploymentType"] == "Server"
    assert server.get("/rest/api/2/search/jql", jql="project = CHK").status_code == 404
    assert server.get("/rest/api/2/issue/CHK-1/changelog").status_code == 404
    assert server.get("/rest/api/3/myself").status_code == 404
    expected = sorted(i.key for i in server.world.jira_issues.values() if i.project == "MOB")
    seen: list[str] = []
    start = 0
    while True:
        page = server.get("/rest/api/2/search", jql="project = MOB ORDER BY key ASC", startAt=start, maxResults=50)
        body = page.json()
        assert body["total"] == len(expected)
        assert body["startAt"] == start
        seen += [issue["key"] for issue in body["issues"]]
        start += body["maxResults"]
        if start >= body["total"]:
            break
    assert seen == sorted(expected, key=lambda k: int(k.split("-")[1]))
    assert isinstance(body["issues"][0]["fields"]["description"], str)
    client = JIRA(server=server.url, basic_auth=("ken", DEFAULT_API_TOKEN))
    assert client.deploymentType == "Server"
    assert client.search_issues("project = MOB", maxResults=10).total == len(expected)


def test_a_user_without_browse_permission_on_a_project_finds_it_missing_and_holds_the_rest(cloud: Site) -> None:
    barbara = ("barbara@acme.example", DEFAULT_API_TOKEN)
    wanted = "BROWSE_PROJECTS,TRANSITION_ISSUES"

    hidden = cloud.get("/rest/api/3/mypermissions", barbara, projectKey="MOB", permissions=wanted)
    seen = cloud.get("/rest/api/3/mypermissions", barbara, projectKey="CHK", permissions=wanted)
    for_ada = cloud.get("/rest/api/2/mypermissions", projectKey="MOB", permissions=wanted)

    assert hidden.status_code == 404
    assert hidden.json()["errorMessages"] == ["No project could be found with key 'MOB'."]
    assert cloud.get("/rest/api/3/project/MOB", barbara).status_code == 404
    assert cloud.get("/rest/api/3/project/MOB/version", barbara).status_code == 404
    assert {k: v["havePermission"] for k, v in seen.json()["permissions"].items()} == {
        "BROWSE_PROJECTS": True,
        "TRANSITION_ISSUES": True,
    }
    assert for_ada.status_code == 200
    assert_valid("jira", "GET", "/rest/api/3/mypermissions", 200, seen.json())
    assert cloud.get("/rest/api/3/mypermissions", projectKey="CHK", permissions="FLY").status_code == 400
