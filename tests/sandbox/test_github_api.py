"""The GitHub sandbox's REST API over real HTTP: vendor fidelity, PyGithub unmodified, headers, limits, auth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from github import Auth, Github

from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.github.core import FINE_GRAINED_WITHOUT_CHECKS
from sandbox.world import World, build_world
from serving import ServedApp
from tests.support.openapi import validate_response
from tests.support.paths import FIXTURES

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN, OTHER_TOKEN = list(DEFAULT_TOKENS)[:2]
REPO = "/repos/acme/checkout"


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=7, now=NOW)


@pytest.fixture(scope="module")
def served(world: World) -> Iterator[str]:
    with ServedApp(create_app(world, GitHubOptions(rate_limit=100_000))) as server:
        yield server.url


@pytest.fixture
def client(served: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served, headers={"Authorization": f"token {TOKEN}"}) as http:
        yield http


def _fixture(path: str) -> object:
    return json.loads((FIXTURES / "github" / "rest" / path).read_text())


def _first(value: object) -> dict[str, Any]:
    item = value[0] if isinstance(value, list) else value
    assert isinstance(item, dict)
    return item


def _routes(world: World) -> list[tuple[str, str]]:
    repo = world.repos["acme/checkout"]
    pr = next(p for p in repo.pulls.values() if p.merged_at)
    issue = next(iter(repo.issues.values()))
    red = next(r for r in repo.check_runs if r.conclusion == "failure")
    return [
        ("GET", REPO),
        ("GET", f"{REPO}/issues?state=all&per_page=100"),
        ("GET", f"{REPO}/issues/{issue.number}"),
        ("GET", f"{REPO}/issues/{pr.number}"),
        ("GET", f"{REPO}/pulls?state=all&per_page=100"),
        ("GET", f"{REPO}/pulls/{pr.number}"),
        ("GET", f"{REPO}/milestones?state=all"),
        ("GET", f"{REPO}/milestones/1"),
        ("GET", f"{REPO}/releases"),
        ("GET", f"{REPO}/releases/latest"),
        ("GET", f"{REPO}/commits/{red.sha}/check-runs"),
        ("GET", f"{REPO}/commits/main/check-runs"),
        ("GET", f"{REPO}/commits/{red.sha}/status"),
        ("GET", f"{REPO}/issues/{issue.number}/comments"),
        ("GET", f"{REPO}/issues/{pr.number}/timeline"),
        ("GET", "/rate_limit"),
        ("POST", f"{REPO}/issues/{issue.number}/comments"),
        ("GET", f"{REPO}/issues/{issue.number}/comments"),
        ("GET", f"{REPO}/issues/{issue.number}/timeline"),
        ("GET", f"{REPO}/issues/999999"),
        ("GET", f"{REPO}/pulls/999999"),
        ("GET", "/repos/acme/nope"),
        ("GET", f"{REPO}/issues?since=yesterday"),
    ]


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_every_route_answers_what_the_github_openapi_description_says(client, world, prefix):
    checked = 0
    for method, route in _routes(world):
        response = client.request(method, prefix + route, json={"body": "Looks good"} if method == "POST" else None)
        assert response.status_code in (200, 201, 404, 422), (route, response.text[:200])
        path = route.split("?")[0]
        errors = validate_response("github", method, path, response.status_code, response.json())
        assert errors == [], (route, errors[:3])
        checked += 1
    assert checked == len(_routes(world))


@pytest.mark.parametrize(
    ("route", "fixture"),
    [
        ("", "repos/get_repository.json"),
        ("/issues?state=all&milestone=*", "issues/list_repository_issues.json"),
        ("/pulls?state=all", "pulls/list_pull_requests.json"),
        ("/pulls/1", "pulls/get_pull_request.json"),
        ("/milestones?state=all", "milestones/list_milestones.json"),
        ("/releases", "releases/list_releases.json"),
        ("/releases/latest", "releases/get_latest_release.json"),
        ("/commits/main/status", "statuses/get_combined_status_for_ref.json"),
        ("/commits/main/check-runs", "checks/list_check_runs_for_ref.json"),
        ("/issues/1/comments", "issues/list_issue_comments.json"),
    ],
)
def test_payloads_carry_every_field_of_the_vendor_example(client, route, fixture):
    if route.endswith("/comments"):
        client.post(REPO + route, json={"body": "ok"})
    served = client.get(REPO + route).json()
    example = _fixture(fixture)
    if isinstance(example, dict) and "check_runs" in example:
        served, example = served["check_runs"], example["check_runs"]
    optional = {"parent", "source", "template_repository", "closed_by", "pull_request", "discussion_url"}
    missing = set(_first(example)) - set(_first(served)) - optional
    assert missing == set()


def test_urls_point_at_the_sandbox_and_html_at_a_github_like_host(client, served):
    issue = client.get(f"{REPO}/issues/1").json()
    assert issue["url"] == f"{served}{REPO}/issues/1"
    assert issue["html_url"].startswith("https://github.com/acme/checkout/")
    enterprise = client.get(f"/api/v3{REPO}/issues/1").json()
    assert enterprise["url"] == f"{served}/api/v3{REPO}/issues/1"


def test_issue_listing_matches_the_world_including_pull_requests(client, world):
    repo = world.repos["acme/checkout"]
    served = _all_pages(client, f"{REPO}/issues?state=all&sort=created&direction=asc&per_page=100")
    expected = sorted([*repo.issues.values(), *repo.pulls.values()], key=lambda i: (i.created, i.number))
    assert [i["number"] for i in served] == [i.number for i in expected]
    by_number = {i["number"]: i for i in served}
    for pr in repo.pulls.values():
        body = by_number[pr.number]
        assert "pull_request" in body
        assert body["pull_request"]["merged_at"] == (pr.merged_at and pr.merged_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for issue in repo.issues.values():
        body = by_number[issue.number]
        assert "pull_request" not in body
        assert (body["state"], body["state_reason"]) == (issue.state, issue.state_reason)
        assert body["updated_at"] == issue.updated.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_pull_detail_reports_merge_state_draft_and_branches(client, world):
    repo = world.repos["acme/checkout"]
    for pr in list(repo.pulls.values())[:20]:
        body = client.get(f"{REPO}/pulls/{pr.number}").json()
        assert body["merged"] is (pr.merged_at is not None)
        assert body["draft"] is pr.draft
        assert (body["head"]["ref"], body["head"]["sha"]) == (pr.head_ref, pr.head_sha)
        assert (body["base"]["ref"], body["base"]["sha"]) == ("main", repo.branches["main"])


def test_red_release_ref_shows_failing_check_and_combined_status(client, world):
    [red] = [c for c in world.contradictions if c.rule == "release_ci_red" and c.subject.startswith("acme/checkout@")]
    ref = red.subject.split("@", 1)[1]
    runs = client.get(f"{REPO}/commits/{ref}/check-runs").json()
    conclusions = {r["name"]: r["conclusion"] for r in runs["check_runs"]}
    assert conclusions == {"build": "success", "unit-tests": "success", "e2e-tests": "failure"}
    assert client.get(f"{REPO}/commits/{ref}/status").json()["state"] == "success"


def test_latest_release_is_the_newest_published_one(client, world):
    repo = world.repos["acme/checkout"]
    published = [r for r in repo.releases if not r.draft]
    assert client.get(f"{REPO}/releases/latest").json()["tag_name"] == max(published, key=lambda r: r.created).tag_name
    listed = client.get(f"{REPO}/releases").json()
    assert {r["tag_name"] for r in listed} == {r.tag_name for r in repo.releases}
    assert any(r["draft"] for r in listed)


# ------------------------------------------------------------------------------------------------ PyGithub


def test_pygithub_works_unmodified_but_for_the_base_url(served, world):
    gh = Github(base_url=served, auth=Auth.Token(TOKEN), per_page=50)
    repo = gh.get_repo("acme/checkout")
    assert (repo.id, repo.default_branch) == (world.repos["acme/checkout"].id, "main")
    since = NOW.replace(day=1, month=1)
    issues = list(repo.get_issues(state="all", since=since, sort="updated", direction="asc"))
    world_repo = world.repos["acme/checkout"]
    expected = [i for i in [*world_repo.issues.values(), *world_repo.pulls.values()] if i.updated >= since]
    assert sorted(i.number for i in issues) == sorted(i.number for i in expected)
    assert [i.updated_at for i in issues] == sorted(i.updated_at for i in issues)
    pulls = list(repo.get_pulls(state="all"))
    assert len(pulls) == len(world_repo.pulls)
    assert {p.number for p in pulls if p.merged_at} == {p.number for p in world_repo.pulls.values() if p.merged_at}
    assert repo.get_pull(pulls[0].number).merged is (pulls[0].merged_at is not None)
    assert {r.tag_name for r in repo.get_releases()} == {r.tag_name for r in world_repo.releases}
    assert repo.get_issues(state="all").totalCount == len(world_repo.issues) + len(world_repo.pulls)
    milestones = list(repo.get_milestones(state="all"))
    assert {m.title for m in milestones} == {m.title for m in world_repo.milestones.values()}


def test_pygithub_conditional_request_is_304_and_costs_nothing(served):
    gh = Github(base_url=served, auth=Auth.Token(OTHER_TOKEN))
    repo = gh.get_repo("acme/mobile-app")
    before = gh.rate_limiting[0]
    assert repo.update() is False  # PyGithub sends If-None-Match with the ETag; 304 → "not changed"
    assert gh.rate_limiting[0] == before


def test_if_none_match_gives_304_without_body_or_charge(client):
    first = client.get(f"{REPO}/issues?state=all")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    second = client.get(f"{REPO}/issues?state=all", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.content == b""
    assert second.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    other = client.get(f"{REPO}/issues?state=open", headers={"If-None-Match": etag})
    assert other.status_code == 200


# ------------------------------------------------------------------------------------------------ limits & auth


@pytest.fixture
def tight(world: World) -> Iterator[str]:
    options = GitHubOptions(rate_limit=3, unauthenticated_rate_limit=2)
    with ServedApp(create_app(world, options)) as server:
        yield server.url


def test_rate_limit_counts_down_per_token_and_per_ip_then_403s(tight):
    with httpx.Client(base_url=tight) as http:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        remaining = [http.get(REPO, headers=auth).headers["X-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        other = http.get(REPO, headers={"Authorization": f"token {OTHER_TOKEN}"})
        assert (other.headers["X-RateLimit-Remaining"], other.headers["X-RateLimit-Used"]) == ("2", "1")
        anonymous = http.get(REPO)
        assert (anonymous.headers["X-RateLimit-Limit"], anonymous.headers["X-RateLimit-Remaining"]) == ("2", "1")
        assert anonymous.headers["X-RateLimit-Resource"] == "core"
        spent = http.get(REPO, headers=auth)
        assert spent.status_code == 403
        assert spent.json()["message"].startswith("API rate limit exceeded for user ID")
        assert spent.headers["X-RateLimit-Remaining"] == "0"
        assert int(spent.headers["X-RateLimit-Reset"]) > datetime.now(UTC).timestamp()
        status = http.get("/rate_limit", headers={"Authorization": f"token {OTHER_TOKEN}"}).json()
        assert status["rate"]["remaining"] == 2  # /rate_limit itself is free


def test_secondary_limit_answers_403_or_429_with_retry_after(tight):
    with httpx.Client(base_url=tight) as http:
        http.post("/_sandbox/secondary-limit", json={"count": 1, "retry_after": 30})
        refused = http.get(REPO)
        assert refused.status_code == 403
        assert refused.headers["Retry-After"] == "30"
        assert "secondary rate limit" in refused.json()["message"]
        http.post("/_sandbox/secondary-limit", json={"count": 1, "status": 429})
        assert http.get(REPO).status_code == 429
        assert http.get(REPO).status_code == 200


def test_unknown_token_is_401_bad_credentials(client):
    response = client.get(REPO, headers={"Authorization": "token ghp_not_a_real_one"})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")


def test_graphql_answers_repository_id_lookups(client, world):
    query = 'query { repo0: repository(name: "checkout" owner: "acme") { nameWithOwner databaseId id } }'
    body = client.post("/graphql", json={"query": query}).json()
    assert body["data"]["repo0"]["databaseId"] == world.repos["acme/checkout"].id
    assert body["data"]["repo0"]["nameWithOwner"] == "acme/checkout"
    variables = client.post(
        "/api/graphql",
        json={
            "query": "query($o: String!, $n: String!) { repository(owner: $o, name: $n) { id } }",
            "variables": {"o": "acme", "n": "mobile-app"},
        },
    ).json()
    assert variables["data"]["repository"]["id"].startswith("MDEwOlJlcG9zaXRvcnk")


# ------------------------------------------------------------------------------------------------ pages & since


def _all_pages(http: httpx.Client, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        response = http.get(next_url)
        items += response.json()
        next_url = response.links.get("next", {}).get("url")
    return items


def test_link_pages_have_no_gaps_or_repeats_in_every_order(client, world):
    repo = world.repos["acme/checkout"]
    everything = {*repo.issues, *repo.pulls}
    for sort in ("created", "updated", "comments"):
        for direction in ("asc", "desc"):
            served = _all_pages(client, f"{REPO}/issues?state=all&sort={sort}&direction={direction}&per_page=7")
            numbers = [i["number"] for i in served]
            assert sorted(numbers) == sorted(everything), (sort, direction)
            stamps = [i[f"{sort}_at"] if sort != "comments" else i["comments"] for i in served]
            assert stamps == sorted(stamps, reverse=direction == "desc")


def test_last_link_carries_the_page_count_and_page_numbers_still_work(client):
    first = client.get(f"{REPO}/issues?state=all&per_page=10")
    last_url = first.links["last"]["url"]
    last_page = int(httpx.URL(last_url).params["page"])
    pages = [client.get(f"{REPO}/issues?state=all&per_page=10&page={n}").json() for n in range(1, last_page + 1)]
    numbers = [i["number"] for page in pages for i in page]
    assert len(numbers) == len(set(numbers))
    assert pages[0] == first.json()
    assert client.get(last_url).json() == pages[-1]


def test_since_is_inclusive_across_time_zones(client, world):
    repo = world.repos["acme/checkout"]
    pivot = sorted(repo.issues.values(), key=lambda i: i.updated)[len(repo.issues) // 2]
    expected = {i.number for i in [*repo.issues.values(), *repo.pulls.values()] if i.updated >= pivot.updated}
    forms = [
        pivot.updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pivot.updated.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+05:30").tzinfo).isoformat(),
        pivot.updated.astimezone(datetime.fromisoformat("2026-01-01T00:00:00-08:00").tzinfo).isoformat(),
    ]
    for since in forms:
        served = _all_pages(client, f"{REPO}/issues?state=all&sort=updated&direction=asc&per_page=50&since={since}")
        numbers = {i["number"] for i in served}
        assert pivot.number in numbers, since
        assert numbers == expected, since
    created_sorted = _all_pages(client, f"{REPO}/issues?state=all&sort=created&per_page=50&since={forms[0]}")
    assert {i["number"] for i in created_sorted} == expected


def test_filters_by_state_labels_and_milestone(client, world):
    repo = world.repos["acme/checkout"]
    items = [*repo.issues.values(), *repo.pulls.values()]
    closed = _all_pages(client, f"{REPO}/issues?state=closed&per_page=100")
    assert {i["number"] for i in closed} == {i.number for i in items if i.state == "closed"}
    bugs = _all_pages(client, f"{REPO}/issues?state=all&labels=bug&per_page=100")
    assert {i["number"] for i in bugs} == {i.number for i in items if "bug" in i.labels}
    with_milestone = _all_pages(client, f"{REPO}/issues?state=all&milestone=*&per_page=100")
    assert {i["number"] for i in with_milestone} == {i.number for i in items if i.milestone}
    none = _all_pages(client, f"{REPO}/issues?state=all&milestone=none&per_page=100")
    assert len(none) + len(with_milestone) == len(items)


def test_bad_parameters_are_422_validation_failed(client):
    for query in ("since=yesterday", "state=maybe", "sort=random", "after=bm9wZQ"):
        response = client.get(f"{REPO}/issues?{query}")
        assert response.status_code == 422, query
        assert response.json()["message"] == "Validation Failed"


def test_private_repositories_are_404_without_a_token(world):
    with (
        ServedApp(create_app(world, GitHubOptions(require_auth=True))) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        assert http.get(REPO).status_code == 404
        assert http.get(REPO, headers={"Authorization": f"token {TOKEN}"}).status_code == 200


def test_milestones_sort_by_due_on_or_completeness_and_ignore_other_sorts(client: httpx.Client) -> None:
    def listing(query: str) -> list[dict[str, Any]]:
        response = client.get(f"{REPO}/milestones?state=all&{query}")
        assert response.status_code == 200
        assert validate_response("github", "GET", f"{REPO}/milestones", 200, response.json()) == []
        milestones: list[dict[str, Any]] = response.json()
        return milestones

    def due(m: dict[str, Any]) -> tuple[bool, str]:
        return m["due_on"] is None, m["due_on"] or ""

    def completeness(m: dict[str, Any]) -> float:
        return float(m["closed_issues"]) / max(1, int(m["open_issues"]) + int(m["closed_issues"]))

    by_due = listing("sort=due_on")
    assert len(by_due) > 1
    assert by_due == sorted(by_due, key=due)
    assert listing("sort=due_on&direction=desc") == sorted(by_due, key=due, reverse=True)
    by_completeness = listing("sort=completeness&direction=desc")
    assert by_completeness == sorted(by_completeness, key=completeness, reverse=True)
    assert listing("sort=updated") == by_due  # not a milestone sort: GitHub answers the default order


def test_issues_carry_the_type_of_the_current_issue_object(client: httpx.Client, world: World) -> None:
    listed = client.get(f"{REPO}/issues?state=all&per_page=100").json()
    assert listed
    assert all("type" in item and item["type"] is None for item in listed)
    number = next(iter(world.repos["acme/checkout"].issues))
    assert client.patch(f"/_sandbox{REPO}/issues/{number}", json={"type": "Spike"}).status_code == 422
    client.patch(f"/_sandbox{REPO}/issues/{number}", json={"type": "Feature"}).raise_for_status()
    body = client.get(f"{REPO}/issues/{number}").json()
    client.patch(f"/_sandbox{REPO}/issues/{number}", json={"type": None}).raise_for_status()
    assert validate_response("github", "GET", f"{REPO}/issues/{number}", 200, body) == []
    assert {k: body["type"][k] for k in ("name", "color", "is_enabled")} == {
        "name": "Feature",
        "color": "blue",
        "is_enabled": True,
    }


def test_a_classic_token_lists_its_scopes_on_every_answer_and_a_fine_grained_one_none(served: str) -> None:
    classic = httpx.get(f"{served}/user", headers={"Authorization": f"token {TOKEN}"}, timeout=10)
    fine = httpx.get(f"{served}/user", headers={"Authorization": f"Bearer {FINE_GRAINED_WITHOUT_CHECKS}"}, timeout=10)

    assert classic.headers["X-OAuth-Scopes"] == "admin:repo_hook, repo"
    assert (fine.status_code, fine.json()["login"]) == (200, "grace")
    assert "X-OAuth-Scopes" not in fine.headers


def test_a_fine_grained_token_without_checks_is_refused_check_runs_naming_the_permission(
    served: str, world: World
) -> None:
    branch = world.repos["acme/checkout"].default_branch
    auth = {"Authorization": f"Bearer {FINE_GRAINED_WITHOUT_CHECKS}"}

    runs = httpx.get(f"{served}/api/v3{REPO}/commits/{branch}/check-runs", headers=auth, timeout=10)
    statuses = httpx.get(f"{served}{REPO}/commits/{branch}/status", headers=auth, timeout=10)

    assert runs.status_code == 403
    assert runs.json()["message"] == "Resource not accessible by personal access token"
    assert runs.headers["X-Accepted-GitHub-Permissions"] == "checks=read"
    assert "permissions-required-for-fine-grained-personal-access-tokens" in runs.json()["documentation_url"]
    assert statuses.status_code == 200
