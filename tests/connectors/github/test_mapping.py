"""GitHub's own REST examples and webhook payloads map to schema records (or are rejected for a named reason)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.github.mapping import (
    IsPullRequestError,
    check_id,
    map_check_run,
    map_combined_status,
    map_commit_status,
    map_issue,
    map_milestone,
    map_pull_request,
    map_release,
)
from schema import (
    BadDataError,
    CheckKind,
    CheckState,
    PullRequestState,
    ReleaseKind,
    StatusCategory,
    WorkItemType,
    ids,
)
from tests.connectors.github.vendor import HOOKS, REPO, REST, hook, plain_issue, rest


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ------------------------------------------------------------------------------------------------------- issues


@pytest.mark.parametrize(
    "name", ["issues/list_repository_issues.json", "issues/get_issue.json", "issues/get_issue.pinned-comment.json"]
)
def test_issue_examples_that_are_pull_requests_are_rejected_as_such(name: str) -> None:
    data = rest(name)
    [raw] = data if isinstance(data, list) else [data]
    assert "pull_request" in raw
    with pytest.raises(IsPullRequestError, match="is a pull request") as caught:
        map_issue(REPO, raw)
    assert caught.value.native_id == "1347"


@pytest.mark.parametrize("name", ["issues/get_issue.json", "issues/get_issue.pinned-comment.json"])
def test_single_issue_maps_to_a_work_item(name: str) -> None:
    item = map_issue(REPO, plain_issue(name))
    assert item.id == "github:octocat/hello-world:issue:1347"
    assert item.type is WorkItemType.ISSUE
    assert item.title == "Found a bug"
    assert item.description == "I'm having a problem with this."
    assert item.status.category is StatusCategory.TODO
    assert item.status.original == "open"
    assert item.labels == ("bug",)
    assert item.assignee == "octocat"
    assert item.release_ids == ("github:octocat/hello-world:milestone:1",)
    assert item.created == at("2011-04-22T13:33:48Z")
    assert item.updated == at("2011-04-22T13:33:48Z")
    assert item.resolved is None
    assert item.source.key == "octocat/hello-world#1347"
    assert item.source.url == "https://github.com/octocat/Hello-World/issues/1347"


def test_search_result_item_that_is_a_pull_request_is_rejected_as_such() -> None:
    [raw] = rest("search/search_issues_and_pull_requests.json")["items"]
    with pytest.raises(IsPullRequestError, match="issue 132 of batterseapower/pinyin-toolkit is a pull request"):
        map_issue("batterseapower/pinyin-toolkit", raw)


def test_elided_search_item_is_bad_data_not_a_crash() -> None:
    [raw] = rest("search/search_issues_and_pull_requests.lexical-fallback.json")["items"]
    assert raw == "..."
    with pytest.raises(BadDataError, match="expected a JSON object, got str"):
        map_issue(REPO, raw)


@pytest.mark.parametrize(
    ("state_reason", "category", "original"),
    [
        ("completed", StatusCategory.DONE, "closed"),
        (None, StatusCategory.DONE, "closed"),
        ("not_planned", StatusCategory.CANCELLED, "closed (not_planned)"),
    ],
)
def test_closed_issue_status_follows_state_reason(state_reason: str | None, category: StatusCategory, original: str):
    raw = {**plain_issue(), "state": "closed", "state_reason": state_reason, "closed_at": "2011-04-23T10:00:00Z"}
    item = map_issue(REPO, raw)
    assert (item.status.category, item.status.original) == (category, original)
    assert item.resolved == at("2011-04-23T10:00:00Z")


@pytest.mark.parametrize(
    ("issue_type", "expected"),
    [
        (None, WorkItemType.ISSUE),
        ("Bug", WorkItemType.BUG),
        ("Feature", WorkItemType.STORY),
        ("Spike", WorkItemType.ISSUE),
    ],
)
def test_issue_type_maps_when_the_organisation_sets_one(issue_type: str | None, expected: WorkItemType) -> None:
    raw = {**plain_issue(), "type": {"id": 410, "name": issue_type} if issue_type else None}
    item = map_issue(REPO, raw)
    assert (item.type, item.type_original) == (expected, issue_type or "issue")


def test_sub_issue_points_at_its_parent_even_in_another_repository() -> None:
    raw = {**plain_issue(), "parent_issue_url": "https://api.github.com/repos/octocat/Roadmap/issues/12"}
    assert map_issue(REPO, raw).parent_id == "github:octocat/roadmap:issue:12"
    assert map_issue(REPO, plain_issue()).parent_id is None


def test_issue_without_updated_at_is_bad_data_naming_the_field() -> None:
    raw = plain_issue()
    del raw["updated_at"]
    with pytest.raises(BadDataError, match="issue 1347: `updated_at` is missing") as caught:
        map_issue(REPO, raw)
    assert caught.value.native_id == "1347"


def test_issue_with_a_naive_timestamp_is_bad_data() -> None:
    raw = {**plain_issue(), "created_at": "2011-04-22T13:33:48"}
    with pytest.raises(BadDataError, match="without a time zone"):
        map_issue(REPO, raw)


@pytest.mark.parametrize("path", sorted((HOOKS / "issues").glob("*.json")), ids=lambda p: p.stem)
def test_issue_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, raw = payload["repository"]["full_name"], payload["issue"]
    if "pull_request" in raw:
        with pytest.raises(IsPullRequestError):
            map_issue(repo, raw)
        return
    item = map_issue(repo, raw)
    assert item.id == ids.github(repo, "issue", raw["number"])
    assert item.title == raw["title"]
    assert item.description == (raw["body"] or "")
    assert item.updated == at(raw["updated_at"])
    assert item.labels == tuple(label["name"] for label in raw["labels"])
    assert item.release_ids == (
        (ids.github(repo, "milestone", raw["milestone"]["number"]),) if raw["milestone"] else ()
    )


# ------------------------------------------------------------------------------------------------ pull requests


@pytest.mark.parametrize("name", ["pulls/list_pull_requests.json", "pulls/get_pull_request.json"])
def test_pull_request_open_with_merged_at_set_is_merged(name: str) -> None:
    data = rest(name)
    raw = data[0] if isinstance(data, list) else data
    assert raw["state"] == "open"
    assert raw["merged_at"] is not None
    pr = map_pull_request(REPO, raw)
    assert pr.id == "github:octocat/hello-world:pr:1347"
    assert pr.state is PullRequestState.MERGED
    assert pr.status.category is StatusCategory.DONE
    assert pr.merged_at == at("2011-01-26T19:01:12Z")
    assert pr.head_ref == "new-topic"
    assert pr.head_sha == "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    assert pr.base_ref == "master"
    assert pr.author == "octocat"
    assert pr.draft is False
    assert pr.release_ids == ("github:octocat/hello-world:milestone:1",)
    assert pr.title == "Amazing new feature"


def test_pull_request_closed_without_merge_is_cancelled_and_draft_is_kept() -> None:
    raw = {**rest("pulls/get_pull_request.json"), "merged_at": None, "state": "closed", "draft": True}
    pr = map_pull_request(REPO, raw)
    assert pr.state is PullRequestState.CLOSED
    assert pr.status.category is StatusCategory.CANCELLED
    assert pr.draft is True


def test_pull_request_without_head_is_bad_data() -> None:
    raw = dict(rest("pulls/get_pull_request.json"))
    del raw["head"]
    with pytest.raises(BadDataError, match="pull request 1347: `head` is missing"):
        map_pull_request(REPO, raw)


@pytest.mark.parametrize("path", sorted((HOOKS / "pull_request").glob("*.json")), ids=lambda p: p.stem)
def test_pull_request_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, raw = payload["repository"]["full_name"], payload["pull_request"]
    pr = map_pull_request(repo, raw)
    assert pr.id == ids.github(repo, "pr", raw["number"])
    assert pr.state is (PullRequestState.MERGED if raw["merged_at"] else PullRequestState(raw["state"]))
    assert pr.draft is raw["draft"]
    assert pr.status.original == ("draft" if raw["draft"] and raw["state"] == "open" else raw["state"])
    assert pr.body == (raw["body"] or "")
    assert pr.head_ref == raw["head"]["ref"]


# ------------------------------------------------------------------------------------------ milestones, releases


@pytest.mark.parametrize("name", ["milestones/list_milestones.json", "milestones/get_milestone.json"])
def test_milestone_maps_to_a_release(name: str) -> None:
    data = rest(name)
    raw = data[0] if isinstance(data, list) else data
    release = map_milestone(REPO, raw)
    assert release.id == "github:octocat/hello-world:milestone:1"
    assert release.release_kind is ReleaseKind.GITHUB_MILESTONE
    assert release.project == "octocat/hello-world"
    assert release.name == "v1.0"
    assert release.description == "Tracking milestone for version 1.0"
    assert release.released is False  # open, although the example also carries a closed_at
    assert release.released_at is None
    assert release.release_date == date(2012, 10, 9)
    assert release.updated == at("2014-03-03T18:58:10Z")


@pytest.mark.parametrize("path", sorted((HOOKS / "milestone").glob("*.json")), ids=lambda p: p.stem)
def test_milestone_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, raw = payload["repository"]["full_name"], payload["milestone"]
    release = map_milestone(repo, raw)
    assert release.id == ids.github(repo, "milestone", raw["number"])
    assert release.released is (raw["state"] == "closed")
    assert release.release_date == date(2019, 5, 23)


@pytest.mark.parametrize("name", ["releases/list_releases.json", "releases/get_latest_release.json"])
def test_release_maps_with_tag_and_publication(name: str) -> None:
    data = rest(name)
    raw = data[0] if isinstance(data, list) else data
    release = map_release(REPO, raw)
    assert release.id == "github:octocat/hello-world:release:1"
    assert release.release_kind is ReleaseKind.GITHUB_RELEASE
    assert release.tag_name == "v1.0.0"
    assert release.name == "v1.0.0"
    assert release.description == "Description of the release"
    assert release.released is True
    assert (release.draft, release.prerelease) == (False, False)
    assert release.released_at == at("2013-02-27T19:35:32Z")
    assert release.release_date == date(2013, 2, 27)


def test_draft_release_is_not_released_and_has_no_date() -> None:
    raw = {**rest("releases/get_latest_release.json"), "draft": True, "published_at": None}
    release = map_release(REPO, raw)
    assert (release.released, release.draft, release.released_at, release.release_date) == (False, True, None, None)
    assert release.updated == at("2013-02-27T19:35:32Z")


@pytest.mark.parametrize("path", sorted((HOOKS / "release").glob("*.json")), ids=lambda p: p.stem)
def test_release_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, raw = payload["repository"]["full_name"], payload["release"]
    release = map_release(repo, raw)
    assert release.id == ids.github(repo, "release", raw["id"])
    assert release.name == "0.0.1"  # the payloads carry an empty name: the tag stands in
    assert release.prerelease is raw["prerelease"]
    assert release.updated == at("2019-05-15T15:20:53Z")


# ------------------------------------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("name", "key"), [("checks/list_check_runs_for_ref.json", "check_runs"), ("checks/get_check_run.json", None)]
)
def test_check_run_maps_to_a_check_on_the_ref(name: str, key: str | None) -> None:
    data = rest(name)
    raw = data[key][0] if key else data
    check = map_check_run(REPO, "main", raw)
    assert check.id == check_id(REPO, "main", CheckKind.CHECK_RUN, "mighty_readme")
    assert check.id == "github:octocat/hello-world:check:main:run:mighty_readme"
    assert check.check_kind is CheckKind.CHECK_RUN
    assert check.state is CheckState.NEUTRAL
    assert check.conclusion_original == "neutral"
    assert check.sha == "ce587453ced02b1526dfb4cb910479d431683101"
    assert check.ref == "main"
    assert check.details_url == "https://example.com"
    assert check.completed_at == at("2018-05-04T01:14:52Z")


@pytest.mark.parametrize(
    ("status", "conclusion", "state"),
    [
        ("queued", None, CheckState.PENDING),
        ("in_progress", None, CheckState.PENDING),
        ("completed", "success", CheckState.SUCCESS),
        ("completed", "failure", CheckState.FAILURE),
        ("completed", "timed_out", CheckState.FAILURE),
        ("completed", "cancelled", CheckState.FAILURE),
        ("completed", "skipped", CheckState.NEUTRAL),
    ],
)
def test_check_run_state_comes_from_status_then_conclusion(status: str, conclusion: str | None, state: CheckState):
    raw = {**rest("checks/get_check_run.json"), "status": status, "conclusion": conclusion}
    assert map_check_run(REPO, "main", raw).state is state


def test_check_run_with_an_unknown_conclusion_is_bad_data() -> None:
    raw = {**rest("checks/get_check_run.json"), "conclusion": "exploded"}
    with pytest.raises(BadDataError, match="check run 4: unknown check run `conclusion` 'exploded'"):
        map_check_run(REPO, "main", raw)


@pytest.mark.parametrize("path", sorted((HOOKS / "check_run").glob("*.json")), ids=lambda p: p.stem)
def test_check_run_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, raw = payload["repository"]["full_name"], payload["check_run"]
    ref = raw["check_suite"]["head_branch"]
    check = map_check_run(repo, ref, raw)
    assert check.id == check_id(repo, ref, CheckKind.CHECK_RUN, raw["name"])
    assert check.state is (CheckState.PENDING if raw["status"] != "completed" else CheckState(raw["conclusion"]))
    assert check.sha == raw["head_sha"]


def test_combined_status_maps_one_check_per_context() -> None:
    checks = map_combined_status(REPO, "main", rest("statuses/get_combined_status_for_ref.json"))
    assert [c.name for c in checks] == ["continuous-integration/jenkins", "security/brakeman"]
    assert {c.state for c in checks} == {CheckState.SUCCESS}
    assert {c.sha for c in checks} == {"6dcb09b5b57875f334f61aebed695e2e4193db5e"}
    assert checks[0].id == "github:octocat/hello-world:check:main:status:continuous-integration/jenkins"
    assert checks[0].details_url == "https://ci.example.com/1000/output"
    assert checks[1].updated == at("2012-08-20T01:19:13Z")


def test_listed_commit_statuses_map_and_error_counts_as_failure() -> None:
    [raw] = rest("statuses/list_commit_statuses_for_ref.json")
    sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    assert map_commit_status(REPO, "main", sha, raw).state is CheckState.SUCCESS
    errored = map_commit_status(REPO, "main", sha, {**raw, "state": "error"})
    assert (errored.state, errored.conclusion_original) == (CheckState.FAILURE, "error")


@pytest.mark.parametrize("path", sorted((HOOKS / "status").glob("*.json")), ids=lambda p: p.stem)
def test_status_webhooks_map_through_the_same_function(path: Path) -> None:
    payload = hook(path)
    repo, ref = payload["repository"]["full_name"], payload["branches"][0]["name"]
    check = map_commit_status(repo, ref, payload["sha"], payload)
    assert check.id == check_id(repo, "master", CheckKind.COMMIT_STATUS, "default")
    assert (check.state, check.sha) == (CheckState.SUCCESS, "6113728f27ae82c7b1a177c8d03f9e96e0adf246")
    assert check.details_url is None


# ------------------------------------------------------------------------------------ responses pmhub doesn't map

NOT_MAPPED = {
    "actions/get_workflow_run.json": "workflow runs: CI is read as check runs",
    "actions/list_workflow_runs.json": "workflow runs: CI is read as check runs",
    "checks/list_check_suites_for_ref.json": "check suites: their runs are read one by one",
    "commits/compare_commits.json": "commits are not product records",
    "commits/get_commit.json": "commits are not product records",
    "commits/list_commits.json": "commits are not product records",
    "issues/list_issue_comments.json": "comments are written, not read",
    "issues/list_issue_events.json": "status comes from state/state_reason, not events",
    "issues/list_timeline_events.json": "status comes from state/state_reason, not the timeline",
    "issues/list_labels.json": "labels arrive embedded in issues and pull requests",
    "meta/rate_limit.json": "rate limits are read from response headers",
    "pulls/list_pull_request_commits.json": "commits are not product records",
    "pulls/list_pull_request_files.json": "diffs are not product records",
    "pulls/list_pull_request_reviews.json": "reviews are not product records",
    "repos/get_repository.json": "the repository only names the default branch for the checks stream",
    "repos/list_tags.json": "tags are named by releases",
}


def test_every_rest_fixture_is_either_mapped_here_or_named_as_not_mapped() -> None:
    mapped = {
        "issues/get_issue.json",
        "issues/get_issue.pinned-comment.json",
        "issues/list_repository_issues.json",
        "search/search_issues_and_pull_requests.json",
        "search/search_issues_and_pull_requests.lexical-fallback.json",
        "pulls/list_pull_requests.json",
        "pulls/get_pull_request.json",
        "milestones/list_milestones.json",
        "milestones/get_milestone.json",
        "releases/list_releases.json",
        "releases/get_latest_release.json",
        "checks/list_check_runs_for_ref.json",
        "checks/get_check_run.json",
        "statuses/get_combined_status_for_ref.json",
        "statuses/list_commit_statuses_for_ref.json",
    }
    on_disk = {str(p.relative_to(REST)) for p in REST.rglob("*.json")}
    assert on_disk == mapped | set(NOT_MAPPED)
