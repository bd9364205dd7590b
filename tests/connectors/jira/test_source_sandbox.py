"""The Jira source against the Jira sandbox over real HTTP: Cloud and Server/DC, incremental reads across time zones,
census, auth errors, injected faults and write-back."""

from __future__ import annotations

import math
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests

from connectors.base import Clock, Page, Stream, utc_now
from connectors.http import RetryPolicy
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import IssueCursor, JiraSource
from sandbox.faults import FaultPlan
from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.jira.store import JiraStore
from sandbox.world import JiraIssue, Scale, World, build_world
from schema import (
    AnyRecord,
    ConfigError,
    Release,
    Sprint,
    StatusCategory,
    StatusChange,
    StatusRules,
    WorkItem,
    WorkItemType,
    ids,
)
from serving import ServedApp

_TYPES = {
    "Epic": WorkItemType.EPIC,
    "Story": WorkItemType.STORY,
    "Task": WorkItemType.TASK,
    "Bug": WorkItemType.BUG,
    "Sub-task": WorkItemType.SUBTASK,
}
_CATEGORIES = {"new": StatusCategory.TODO, "indeterminate": StatusCategory.IN_PROGRESS, "done": StatusCategory.DONE}


@dataclass
class Site:
    world: World
    url: str
    store: JiraStore
    flavour: str

    def source(
        self,
        *,
        login: str = "ada",
        token: str | None = None,
        policy: RetryPolicy | None = None,
        clock: Clock = utc_now,
        **cfg: object,
    ) -> JiraSource:
        """A source authenticated as ``login``: e-mail + API token on Cloud, a personal access token on Server."""
        email = f"{login}@acme.example" if self.flavour == "cloud" else None
        secret = token or (DEFAULT_API_TOKEN if email else f"sandbox-jira-pat-{login}")
        settings = {
            "url": self.url,
            "email": email,
            "token_env": "JIRA_TOKEN",
            "projects": list(self.world.jira_projects),
            "site": self.world.site,
            **cfg,
        }
        config = JiraSourceConfig.model_validate(settings)
        return JiraSource("jira", config, StatusRules(), secret, policy=policy, clock=clock)

    def admin(self, method: str, path: str, body: dict[str, object] | None = None) -> requests.Response:
        response = requests.request(method, f"{self.url}/_sandbox{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response


NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _serve(flavour: str, plan: FaultPlan | None = None, scale: str = "small") -> Iterator[Site]:
    world = build_world(seed=7, scale=Scale.named(scale), now=NOW)
    app = create_app(world, JiraOptions(flavour=flavour, faults=plan))  # type: ignore[arg-type]
    with ServedApp(app) as served:
        yield Site(world, served.url, app.state.jira.store, flavour)


@pytest.fixture(params=["cloud", "server"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    yield from _serve(request.param)


@pytest.fixture
def cloud() -> Iterator[Site]:
    yield from _serve("cloud")


@pytest.fixture
def tiny_cloud() -> Iterator[Site]:
    yield from _serve("cloud", scale="tiny")


def stream(source: JiraSource, name: str) -> Stream:
    return next(s for s in source.streams() if s.name == name)


def read(source: JiraSource, name: str, cursor: str | None = None) -> list[Page]:
    return list(stream(source, name).pages(cursor))


def records(pages: list[Page]) -> list[AnyRecord]:
    return [m.record for page in pages for m in page.records]


def expected_item(world: World, issue: JiraIssue) -> dict[str, object]:
    project = world.jira_projects[issue.project]
    category = _CATEGORIES[project.status(issue.status).category]
    if category is StatusCategory.DONE and issue.resolution == "Won't Do":
        category = StatusCategory.CANCELLED
    person = world.person(issue.assignee) if issue.assignee else None

    def issue_id(key: str | None) -> str | None:
        return ids.jira(world.site, "issue", world.jira_issues[key].id) if key else None

    return {
        "key": issue.key,
        "type": _TYPES[issue.type],
        "title": issue.summary,
        "description": issue.description,
        "status": (category, issue.status),
        "parent_id": issue_id(issue.parent_key),
        "epic_id": issue_id(issue.epic_key),
        "assignee": person.display_name if person else None,
        "labels": tuple(issue.labels),
        "priority": issue.priority,
        "story_points": issue.story_points,
        "sprint_ids": (ids.jira(world.site, "sprint", issue.sprint_id),) if issue.sprint_id else (),
        "release_ids": tuple(ids.jira(world.site, "version", v) for v in issue.fix_versions),
        "created": _ms(issue.created),
        "updated": _ms(issue.updated),
        "resolved": _ms(issue.resolved) if issue.resolved else None,
    }


def _ms(moment: datetime) -> datetime:
    """Jira sends milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def actual_item(item: WorkItem) -> dict[str, object]:
    return {
        "key": item.source.key,
        "type": item.type,
        "title": item.title,
        "description": item.description,
        "status": (item.status.category, item.status.original),
        "parent_id": item.parent_id,
        "epic_id": item.epic_id,
        "assignee": item.assignee,
        "labels": item.labels,
        "priority": item.priority,
        "story_points": item.story_points,
        "sprint_ids": item.sprint_ids,
        "release_ids": item.release_ids,
        "created": item.created,
        "updated": item.updated,
        "resolved": item.resolved,
    }


# ---------------------------------------------------------------------------------------------------- full sync


def test_full_sync_equals_the_sandbox_world(site: Site) -> None:
    source = site.source()
    world = site.world

    items = {r.id: r for r in records(read(source, "issues")) if isinstance(r, WorkItem)}
    changes = [r for r in records(read(source, "status_changes")) if isinstance(r, StatusChange)]
    releases = {r.id: r for r in records(read(source, "versions")) if isinstance(r, Release)}
    sprints = {r.id: r for r in records(read(source, "sprints")) if isinstance(r, Sprint)}

    assert source.client.facts().cloud is (site.flavour == "cloud")
    assert len(items) == len(world.jira_issues)
    for issue in world.jira_issues.values():
        item = items[ids.jira(world.site, "issue", issue.id)]
        assert actual_item(item) == expected_item(world, issue), issue.key
    assert len(changes) == sum(len(i.changelog) for i in world.jira_issues.values())
    epic = next(i for i in world.jira_issues.values() if i.changelog)
    first = next(
        c
        for c in changes
        if c.item_id == ids.jira(world.site, "issue", epic.id) and c.updated == _ms(epic.changelog[0].at)
    )
    assert (first.from_status, first.to_status) == (epic.changelog[0].from_status, epic.changelog[0].to_status)
    assert len(releases) == len(world.versions)
    for version in world.versions.values():
        release = releases[ids.jira(world.site, "version", version.id)]
        assert (release.name, release.project, release.released) == (version.name, version.project, version.released)
        assert (release.start_date, release.release_date) == (version.start_date, version.release_date)
    assert len(sprints) == len(world.sprints)
    for sprint in world.sprints.values():
        got = sprints[ids.jira(world.site, "sprint", sprint.id)]
        assert (got.name, got.state, got.board_id) == (sprint.name, sprint.state, str(sprint.board_id))
        assert (got.start, got.end, got.completed) == (sprint.start, sprint.end, sprint.complete)


def test_remote_links_are_read_only_when_asked_for_one_request_per_issue(tiny_cloud: Site) -> None:
    cloud = tiny_cloud
    linked = {i.key: tuple(i.remote_links) for i in cloud.world.jira_issues.values() if i.remote_links}
    plain = cloud.source()
    with_links = cloud.source(remote_links=True)

    without = [r for r in records(read(plain, "issues")) if isinstance(r, WorkItem)]
    read_with = [r for r in records(read(with_links, "issues")) if isinstance(r, WorkItem)]

    assert linked
    assert all(r.remote_urls == () for r in without)
    assert {r.source.key: r.remote_urls for r in read_with if r.remote_urls} == linked
    assert with_links.stats.requests - plain.stats.requests == len(cloud.world.jira_issues)


def test_requests_are_pages_plus_a_constant_never_per_issue(cloud: Site) -> None:
    source = cloud.source(page_size=100)
    pages = read(source, "issues")

    issue_pages = math.ceil(len(cloud.world.jira_issues) / 100)
    assert len(pages) == issue_pages
    # serverInfo + myself + field + one id/key listing of the epics the Epic Link fields name
    assert source.stats.requests == 4 + issue_pages
    before = source.stats.requests
    assert len(list(stream(source, "issues").census() or ())) == len(cloud.world.jira_issues)
    assert source.stats.requests == before + 1  # id-only census pages hold up to 5,000 issues


def test_cloud_searches_only_search_jql_and_the_sandbox_counts_what_we_count(cloud: Site) -> None:
    source = cloud.source()
    for s in source.streams():
        list(s.pages(None))

    served = cloud.admin("GET", "/stats").json()

    assert served["by_route"].get("GET /rest/api/{api}/search/jql", 0) > 0
    assert "GET /rest/api/{api}/search" not in served["by_route"]
    assert "POST /rest/api/{api}/search" not in served["by_route"]
    assert served["total"] == source.stats.requests


@pytest.mark.parametrize("site", ["cloud", "server"], indirect=True)
def test_a_changelog_cut_short_in_search_is_completed_in_one_call_per_page(site: Site) -> None:
    source = site.source()
    issue = max(site.world.jira_issues.values(), key=lambda i: len(i.changelog))
    [answer] = source.client.search(f'key in ("{issue.key}")', ["updated"], page_size=1, expand="changelog")
    [raw] = answer["issues"]
    cut = {**raw, "changelog": {**raw["changelog"], "histories": raw["changelog"]["histories"][-1:]}}
    changes = stream(source, "status_changes")
    before = source.stats.requests

    completed = changes._build([cut])  # type: ignore[attr-defined]

    assert len(issue.changelog) > 1
    assert [m.record.to_status for m in completed[0]] == [t.to_status for t in issue.changelog]
    assert source.stats.requests == before + 1


def test_server_flavour_pages_with_start_at_and_is_detected_from_server_info() -> None:
    for site in _serve("server"):
        source = site.source(page_size=40)
        pages = read(source, "issues")

        assert not source.client.facts().cloud
        # each page after the first starts 4 issues early (see JiraClient.search) and the repeats are dropped
        assert len(pages) == math.ceil((len(site.world.jira_issues) - 4) / 36)
        assert sorted(r.id for r in records(pages)) == sorted(
            ids.jira(site.world.site, "issue", i.id) for i in site.world.jira_issues.values()
        )


# -------------------------------------------------------------------------------------------------- incremental


def test_incremental_after_an_admin_change_picks_exactly_that_change(site: Site) -> None:
    source = site.source(overlap_minutes=0)
    cursor = read(source, "issues")[-1].cursor
    changes_cursor = read(source, "status_changes")[-1].cursor
    issue = next(i for i in site.world.jira_issues.values() if i.status == "In Progress" or i.status == "Doing")

    site.admin("POST", f"/issues/{issue.key}/transition", {"to": "Done" if issue.project == "CHK" else "Shipped"})
    again = site.source(overlap_minutes=0)
    changed = records(read(again, "issues", cursor))
    transitions = records(read(again, "status_changes", changes_cursor))

    assert [r.source.key for r in changed] == [issue.key]
    assert isinstance(changed[0], WorkItem)
    assert changed[0].status.category is StatusCategory.DONE
    assert changed[0].updated == issue.updated
    newest = max((c for c in transitions if isinstance(c, StatusChange)), key=lambda c: c.updated)
    assert (newest.item_id, newest.to_status) == (changed[0].id, issue.status)


def test_resuming_at_the_cursor_without_changes_delivers_nothing_new(cloud: Site) -> None:
    source = cloud.source(overlap_minutes=0)
    cursor = read(source, "issues")[-1].cursor

    assert records(read(cloud.source(overlap_minutes=0), "issues", cursor)) == []


def test_server_read_misses_nothing_when_issues_change_while_it_pages() -> None:
    for site in _serve("server"):
        pages = stream(site.source(page_size=50), "issues").pages(None)
        first = next(pages)
        for mapped in first.records[:3]:  # each update moves an issue from before the next offset to the end
            site.admin("POST", f"/issues/{mapped.record.source.key}/touch")

        seen = {m.record.id for m in first.records} | {m.record.id for page in pages for m in page.records}

        assert seen == {ids.jira(site.world.site, "issue", i.id) for i in site.world.jira_issues.values()}


@pytest.mark.parametrize("login", ["linus", "margaret"], ids=["UTC+13", "UTC-10"])
def test_users_far_apart_in_time_both_see_an_update_one_minute_after_the_cursor(cloud: Site, login: str) -> None:
    source = cloud.source(login=login, overlap_minutes=0)
    cursor = IssueCursor.load(read(source, "issues")[-1].cursor)
    assert cursor is not None
    issue = next(i for i in cloud.world.jira_issues.values() if i.updated < cursor.updated - timedelta(days=1))

    cloud.store.touch(issue, cursor.updated + timedelta(minutes=1))
    later = records(read(cloud.source(login=login, overlap_minutes=0), "issues", cursor.dump()))

    assert source.client.facts().time_zone == {"linus": "Pacific/Tongatapu", "margaret": "Pacific/Honolulu"}[login]
    assert [r.source.key for r in later] == [issue.key]


def test_overlap_rereads_the_recent_window_and_nothing_older(cloud: Site) -> None:
    source = cloud.source(overlap_minutes=60 * 24)
    cursor = IssueCursor.load(read(source, "issues")[-1].cursor)
    assert cursor is not None

    reread = records(read(cloud.source(overlap_minutes=60 * 24), "issues", cursor.dump()))

    window_start = (cursor.updated - timedelta(days=1)).replace(second=0, microsecond=0)
    expected = {
        i.key for i in cloud.world.jira_issues.values() if window_start <= i.updated and str(i.id) not in cursor.ids
    }
    assert {r.source.key for r in reread} == expected


# ------------------------------------------------------------------------------------------------------ census


def test_deleted_issue_is_missing_from_the_census(site: Site) -> None:
    source = site.source()
    victim = next(iter(site.world.jira_issues.values()))
    victim_id = ids.jira(site.world.site, "issue", victim.id)
    assert victim_id in set(stream(source, "issues").census() or ())

    site.admin("DELETE", f"/issues/{victim.key}")
    present = set(stream(site.source(), "issues").census() or ())

    assert victim_id not in present
    assert len(present) == len(site.world.jira_issues)


def test_census_waits_for_its_interval_between_incremental_runs(cloud: Site) -> None:
    now = NOW
    source = cloud.source(clock=lambda: now, census_interval_minutes=60)

    every = {ids.jira(cloud.world.site, "issue", issue.id) for issue in cloud.world.jira_issues.values()}

    def poll(cursor: str | None) -> tuple[str | None, set[str] | None]:
        issues = stream(source, "issues")
        pages = list(issues.pages(cursor))
        listed = issues.census()
        return next((p.cursor for p in reversed(pages) if p.cursor), cursor), None if listed is None else set(listed)

    cursor, listed = poll(None)
    assert listed == every  # the first read lists every id
    now = NOW + timedelta(minutes=59)
    cursor, listed = poll(cursor)
    assert listed is None
    now = NOW + timedelta(minutes=60)
    cursor, listed = poll(cursor)
    assert listed == every


def test_server_census_survives_deletions_while_it_pages() -> None:
    for site in _serve("server"):
        census = stream(site.source(census_page_size=50), "issues").census()
        assert census is not None
        first_page = [next(census) for _ in range(50)]
        listed = [i for i in site.world.jira_issues.values() if ids.jira(site.world.site, "issue", i.id) in first_page]
        for issue in listed[:3]:  # each deletion before the next offset shifts the rest one place forward
            site.admin("DELETE", f"/issues/{issue.key}")

        present = set(first_page) | set(census)

        alive = {ids.jira(site.world.site, "issue", i.id) for i in site.world.jira_issues.values()}
        assert alive <= present


def test_listing_census_reuses_the_read(cloud: Site) -> None:
    source = cloud.source()
    versions = stream(source, "versions")
    list(versions.pages(None))
    before = source.stats.requests

    assert len(list(versions.census() or ())) == len(cloud.world.versions)
    assert source.stats.requests == before


# ------------------------------------------------------------------------------------------------------ errors


def test_refused_token_stops_with_the_env_var_named_and_never_the_token(site: Site) -> None:
    token = "not-the-right-token-0123456789"
    source = site.source(token=token)

    with pytest.raises(ConfigError) as caught:
        read(source, "issues")

    assert "JIRA_TOKEN" in str(caught.value)
    assert "401" in str(caught.value)
    assert token not in str(caught.value)
    assert token not in "".join(traceback.format_exception(caught.value))  # the whole chain, as a log would show it


def test_cloud_configured_as_server_meets_the_removed_search_and_says_to_fix_the_flavour(cloud: Site) -> None:
    source = cloud.source(flavour="server")

    with pytest.raises(ConfigError, match='is Jira Cloud, where /rest/api/2/search is removed; set flavour = "auto"'):
        read(source, "issues")


def test_unknown_project_is_a_config_error_naming_it(cloud: Site) -> None:
    source = cloud.source(projects=["NOPE"])

    with pytest.raises(ConfigError, match="NOPE"):
        read(source, "versions")


def test_with_injected_faults_the_result_equals_the_clean_run() -> None:
    for clean in _serve("cloud"):
        expected = _everything(clean.source())
    plan = FaultPlan.parse("jira:*=429:0@0.1;jira:*=503@0.1;jira:*=drop@0.05;jira:*=truncate@0.05", seed=3)
    for faulty in _serve("cloud", plan):
        policy = RetryPolicy(tool="jira", credential="JIRA_TOKEN", sleep=lambda _: None, max_attempts=20)
        source = faulty.source(policy=policy)

        assert _everything(source) == expected
        assert source.stats.retries > 0


def _everything(source: JiraSource) -> dict[str, dict[str, object]]:
    """Every record by id, without what differs run to run: the read time of versions and sprints, and the
    URLs (each sandbox listens on its own port)."""
    out: dict[str, dict[str, object]] = {}
    for s in source.streams():
        for record in records(list(s.pages(None))):
            data = record.model_dump()
            data["source"].pop("url")
            if isinstance(record, Release | Sprint):
                data.pop("updated")
            out[record.id] = data
    return out


# -------------------------------------------------------------------------------------------------- write-back


def test_write_back_transitions_and_comments(site: Site) -> None:
    source = site.source()
    issue = next(i for i in site.world.jira_issues.values() if i.project == "CHK" and i.status == "Backlog")

    source.transition(issue.key, "in progress")
    comment_id = source.add_comment(issue.key, "Readiness: blocked by CHK-2")

    assert issue.status == "In Progress"
    assert issue.comments[-1][2] == "Readiness: blocked by CHK-2"
    assert comment_id
    with pytest.raises(ConfigError, match="cannot move to 'Nowhere'"):
        source.transition(issue.key, "Nowhere")


def test_write_back_releases_a_version(cloud: Site) -> None:
    version = next(v for v in cloud.world.versions.values() if not v.released)

    cloud.source().release_version(str(version.id))

    assert version.released
