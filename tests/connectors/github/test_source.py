"""The GitHub source against the GitHub sandbox over real HTTP: full and incremental reads, conditional polls,
census, auth, faults and request counts."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from typing import Any

import pytest
import requests

from connectors.base import Page
from connectors.github.config import GitHubSourceConfig, ReleaseRefs
from connectors.github.source import GitHubSource
from connectors.http import RetryPolicy
from sandbox.github.app import GitHubOptions, create_app
from sandbox.world import Scale, build_world
from schema import (
    AuthError,
    Check,
    CheckKind,
    CheckState,
    ConfigError,
    PullRequest,
    PullRequestState,
    Release,
    RetryLaterError,
    StatusCategory,
    WorkItem,
    ids,
)
from serving import ServedApp
from tests.connectors.github.support import (
    NOW,
    TOKEN,
    Clock,
    Run,
    Sandbox,
    cursors_of,
    no_sleep,
    records_of,
    release_refs,
    run,
    run_all,
    sec,
    serve,
    source_for,
    stream_of,
)

# ------------------------------------------------------------------------------------------------- full sync


def test_full_sync_equals_the_sandbox_world() -> None:
    for sandbox in serve(Scale.named("small")):
        world = sandbox.world
        runs = run_all(source_for(sandbox))
        for r in runs.values():
            assert all(not page.rejected for page in r.pages)

        issues = {ids.github(name, "issue", n): i for name, repo in world.repos.items() for n, i in repo.issues.items()}
        got_issues = runs["issues"].records
        assert set(got_issues) == set(issues)
        for rid, issue in issues.items():
            item = got_issues[rid].record
            assert isinstance(item, WorkItem)
            assert (item.title, item.description, item.updated, item.created) == (
                issue.title,
                issue.body,
                sec(issue.updated),
                sec(issue.created),
            )
            assert item.status.original == (
                "open"
                if issue.state == "open"
                else "closed"
                if issue.state_reason == "completed"
                else "closed (not_planned)"
            )
            assert item.labels == tuple(issue.labels)
            assert item.assignee == issue.assignee
            instance = item.source.instance
            assert item.release_ids == (
                (ids.github(instance, "milestone", issue.milestone),) if issue.milestone else ()
            )

        pulls = {ids.github(name, "pr", n): p for name, repo in world.repos.items() for n, p in repo.pulls.items()}
        got_pulls = runs["pull_requests"].records
        assert set(got_pulls) == set(pulls)
        for rid, pull in pulls.items():
            pr = got_pulls[rid].record
            assert isinstance(pr, PullRequest)
            expected = PullRequestState.MERGED if pull.merged_at else PullRequestState(pull.state)
            assert (pr.state, pr.draft, pr.head_ref, pr.head_sha, pr.base_ref, pr.author) == (
                expected,
                pull.draft,
                pull.head_ref,
                pull.head_sha,
                pull.base_ref,
                pull.user,
            )
            assert (pr.merged_at, pr.updated, pr.title) == (sec(pull.merged_at), sec(pull.updated), pull.title)
        states = {p.record.state for p in got_pulls.values() if isinstance(p.record, PullRequest)}
        assert states == set(PullRequestState)

        milestones = {
            ids.github(name, "milestone", n): m
            for name, repo in world.repos.items()
            for n, m in repo.milestones.items()
        }
        got_milestones = runs["milestones"].records
        assert set(got_milestones) == set(milestones)
        for rid, milestone in milestones.items():
            release = got_milestones[rid].record
            assert isinstance(release, Release)
            assert (release.name, release.released) == (milestone.title, milestone.state == "closed")
            assert release.release_date == (milestone.due_on.date() if milestone.due_on else None)

        releases = {ids.github(name, "release", r.id): r for name, repo in world.repos.items() for r in repo.releases}
        got_releases = runs["releases"].records
        assert set(got_releases) == set(releases)
        for rid, rel in releases.items():
            release = got_releases[rid].record
            assert isinstance(release, Release)
            assert (release.tag_name, release.draft, release.released) == (rel.tag_name, rel.draft, not rel.draft)
            assert release.released_at == (None if rel.draft else sec(rel.published_at))

        expected_checks: dict[tuple[str, str, str], str] = {}
        for name, repo in world.repos.items():
            for ref in release_refs(repo):
                sha = repo.branches[ref]
                for check_run in repo.check_runs:
                    if check_run.sha == sha:
                        expected_checks[(name, ref, check_run.name)] = check_run.conclusion or "pending"
                for status in repo.statuses:
                    if status.sha == sha:
                        expected_checks[(name, ref, status.context)] = status.state
        got_checks = [m.record for m in runs["checks"].records.values()]
        assert all(isinstance(c, Check) for c in got_checks)
        assert {
            (c.source.instance, c.ref, c.name): c.conclusion_original for c in got_checks if isinstance(c, Check)
        } == (expected_checks)
        red = [c for c in got_checks if isinstance(c, Check) and c.state is CheckState.FAILURE]
        assert red
        assert {c.ref for c in red} == {"release/2.4.0"}
        assert {c.check_kind for c in got_checks if isinstance(c, Check)} == set(CheckKind)

        # a full run's census comes from the pages just read
        assert runs["issues"].census == set(issues)
        assert runs["pull_requests"].census == set(pulls)
        assert runs["releases"].census == set(releases)


def test_a_page_of_100_is_one_request_and_requests_are_pages_plus_a_constant() -> None:
    scale = Scale(jira_issues=60, github_issues=300, pull_requests=160, products=2)
    for sandbox in serve(scale):
        source = source_for(sandbox)
        for name, expected_pages in [
            ("issues", sum(math.ceil((len(r.issues) + len(r.pulls)) / 100) for r in sandbox.world.repos.values())),
            ("pull_requests", sum(math.ceil(len(r.pulls) / 100) for r in sandbox.world.repos.values())),
        ]:
            before_served, before_counted = sandbox.requests_served(), source.stats.requests
            result = run(stream_of(source, name))
            served = sandbox.requests_served() - before_served
            assert served == expected_pages  # the census of a full run is read from the same pages
            assert source.stats.requests - before_counted == served
            assert len(result.pages) == expected_pages

        before = sandbox.requests_served()
        run(stream_of(source, "checks"))
        refs = sum(len(release_refs(repo)) for repo in sandbox.world.repos.values())
        # per repo: the repository and its releases, then check runs + combined status per release ref
        assert sandbox.requests_served() - before == 2 * len(sandbox.world.repos) + 2 * refs


def test_enterprise_base_url_reads_the_same_records(sandbox: Sandbox) -> None:
    cloud = run(stream_of(source_for(sandbox), "issues"))
    enterprise = run(stream_of(source_for(sandbox, base="/api/v3"), "issues"))
    assert {rid: m.record for rid, m in enterprise.records.items()} == {
        rid: m.record for rid, m in cloud.records.items()
    }


# ------------------------------------------------------------------------------------------------ incremental


def settled(source: GitHubSource) -> dict[str, str | None]:
    """Cursors after a full run and one more poll (which absorbs the inclusive ``since`` boundary)."""
    return cursors_of(run_all(source, cursors_of(run_all(source))))


def changed(runs: dict[str, Run], before: dict[str, Any]) -> set[str]:
    """Ids whose record differs from ``before`` (re-read boundary items of an inclusive ``since`` do not)."""
    return {rid for rid, record in records_of(runs).items() if before.get(rid) != record}


def test_no_change_poll_is_answered_304_and_costs_no_rate_limit(sandbox: Sandbox) -> None:
    source = source_for(sandbox)
    cursors = settled(source)
    used, not_modified, requests_before = sandbox.rate_limit_used(), source.stats.not_modified, source.stats.requests
    remaining = source.stats.rate_limit_remaining

    runs = run_all(source, cursors)

    assert records_of(runs) == {}
    assert source.stats.requests - requests_before == source.stats.not_modified - not_modified  # every answer a 304
    assert sandbox.rate_limit_used() == used
    assert source.stats.rate_limit_remaining == remaining
    assert cursors_of(runs)["issues"] == cursors["issues"]


def test_the_poll_right_after_reading_a_change_is_already_a_304(sandbox: Sandbox) -> None:
    source = source_for(sandbox)
    cursors = cursors_of(run_all(source))
    repo = next(iter(sandbox.world.repos.values()))
    sandbox.clock.now += timedelta(minutes=1)
    sandbox.admin("PATCH", f"/repos/{repo.full_name}/issues/{min(repo.issues)}", {"title": "Pay button hidden"})
    issues = run(stream_of(source, "issues"), cursors["issues"])
    assert ids.github(repo.full_name, "issue", min(repo.issues)) in issues.records
    requests_before, not_modified_before = source.stats.requests, source.stats.not_modified

    again = run(stream_of(source, "issues"), issues.cursor)

    assert again.records == {}
    assert source.stats.requests - requests_before == len(sandbox.world.repos)
    assert source.stats.not_modified - not_modified_before == len(sandbox.world.repos)


def test_incremental_after_an_admin_change_picks_exactly_it(sandbox: Sandbox) -> None:
    source = source_for(sandbox)
    first = run_all(source)
    before = records_of(first)
    cursors = cursors_of(run_all(source, cursors_of(first)))
    repo = next(iter(sandbox.world.repos.values()))
    number = min(repo.issues)
    sandbox.clock.now += timedelta(minutes=1)
    sandbox.admin("PATCH", f"/repos/{repo.full_name}/issues/{number}", {"title": "Checkout button overlaps footer"})
    pr_number = next(n for n, p in repo.pulls.items() if p.state == "open")
    sandbox.admin("POST", f"/repos/{repo.full_name}/pulls/{pr_number}/merge")

    runs = run_all(source, cursors)

    edited = ids.github(repo.full_name, "issue", number)
    merged = ids.github(repo.full_name, "pr", pr_number)
    assert edited in runs["issues"].records
    item = runs["issues"].records[edited].record
    assert isinstance(item, WorkItem)
    assert (item.title, item.updated) == ("Checkout button overlaps footer", sandbox.clock.now)
    assert changed(runs, before) == {edited, merged}
    pr = runs["pull_requests"].records[merged].record
    assert isinstance(pr, PullRequest)
    assert (pr.state, pr.status.category) == (PullRequestState.MERGED, StatusCategory.DONE)


def test_pull_requests_are_read_newest_first_only_down_to_the_cursor(sandbox: Sandbox) -> None:
    source = source_for(sandbox, per_page=5)
    full = run(stream_of(source, "pull_requests"))
    assert len(full.pages) > 2 * len(sandbox.world.repos)
    repo = next(iter(sandbox.world.repos.values()))
    pr_number = next(n for n, p in repo.pulls.items() if p.state == "open")
    sandbox.clock.now += timedelta(minutes=1)
    sandbox.admin("POST", f"/repos/{repo.full_name}/pulls/{pr_number}/close")
    before = sandbox.requests_served()

    result = run(stream_of(source, "pull_requests"), full.cursor)

    assert sandbox.requests_served() - before == len(sandbox.world.repos)  # one page, or one 304, per repo
    closed = result.records[ids.github(repo.full_name, "pr", pr_number)].record
    assert isinstance(closed, PullRequest)
    assert (closed.state, closed.status.category) == (PullRequestState.CLOSED, StatusCategory.CANCELLED)
    assert [p.cursor is not None for p in result.pages] == [True] * len(sandbox.world.repos)


def test_since_is_inclusive_for_a_change_in_the_same_second_as_the_cursor(sandbox: Sandbox) -> None:
    source = source_for(sandbox, per_page=2)  # small pages, so the cursor moves up to the newest change
    cursor = run(stream_of(source, "issues")).cursor
    repo = next(iter(sandbox.world.repos.values()))
    *edited, late = sorted(repo.issues)[:4]
    sandbox.clock.now += timedelta(minutes=1)
    for number in edited:
        sandbox.admin("PATCH", f"/repos/{repo.full_name}/issues/{number}", {"body": "edited"})
    after_first = run(stream_of(source, "issues"), cursor)
    assert {ids.github(repo.full_name, "issue", n) for n in edited} <= set(after_first.records)
    assert json.loads(after_first.cursor or "{}")["repos"][repo.full_name]["since"] == "2026-03-02T12:06:00Z"

    sandbox.admin("PATCH", f"/repos/{repo.full_name}/issues/{late}", {"body": "edited in the same second"})
    after_second = run(stream_of(source, "issues"), after_first.cursor)

    late_id = ids.github(repo.full_name, "issue", late)
    assert late_id in after_second.records
    record = after_second.records[late_id].record
    assert isinstance(record, WorkItem)
    assert record.description == "edited in the same second"


def test_deleted_and_transferred_issues_are_missing_from_the_census(sandbox: Sandbox) -> None:
    source = source_for(sandbox, census_interval_minutes=0)
    cursors = settled(source)
    repos = list(sandbox.world.repos.values())
    deleted, transferred, kept = sorted(repos[0].issues)[:3]
    sandbox.admin("DELETE", f"/repos/{repos[0].full_name}/issues/{deleted}")
    sandbox.admin(
        "POST", f"/repos/{repos[0].full_name}/issues/{transferred}/transfer", {"repository": repos[1].full_name}
    )

    result = run(stream_of(source, "issues"), cursors["issues"])

    assert result.census is not None
    assert ids.github(repos[0].full_name, "issue", deleted) not in result.census
    assert ids.github(repos[0].full_name, "issue", transferred) not in result.census
    assert ids.github(repos[0].full_name, "issue", kept) in result.census
    moved = repos[1].full_name
    assert any(rid.startswith(f"github:{moved}:issue:") and rid not in cursors for rid in result.census)


def test_census_waits_for_its_interval_between_incremental_runs(sandbox: Sandbox) -> None:
    source = source_for(sandbox, census_interval_minutes=60)
    cursors = cursors_of(run_all(source))
    assert run(stream_of(source, "issues"), cursors["issues"]).census is None
    assert run(stream_of(source, "pull_requests"), cursors["pull_requests"]).census is None


# ------------------------------------------------------------------------------------------ errors and faults


def test_bad_token_is_a_config_error_naming_the_env_var_not_the_token(sandbox: Sandbox) -> None:
    wrong = "ghp_notTheRightToken0000000000000000000000"
    source = source_for(sandbox, token=wrong, token_env="ACME_GITHUB_TOKEN")
    with pytest.raises(AuthError) as caught:
        run(stream_of(source, "issues"))
    assert isinstance(caught.value, ConfigError)
    assert "ACME_GITHUB_TOKEN" in str(caught.value)
    assert wrong not in str(caught.value)
    assert caught.value.status == 401


def test_unknown_repository_is_a_config_error_naming_it(sandbox: Sandbox) -> None:
    cfg = GitHubSourceConfig(base_url=sandbox.url, repos=("acme/nope",))
    with pytest.raises(ConfigError, match="acme/nope"):
        run(stream_of(GitHubSource("gh", cfg, TOKEN), "milestones"))


def test_with_injected_faults_the_result_equals_the_clean_run(sandbox: Sandbox) -> None:
    clean = records_of(run_all(source_for(sandbox)))
    sandbox.faults.plan.add("github:*=429:1@0.04;github:*=secondary@0.03;github:*=502@0.04;github:*=drop@0.03")
    sandbox.faults.plan.add("github:*=truncate@0.03")
    slept: list[float] = []
    cfg = GitHubSourceConfig(base_url=sandbox.url, repos=tuple(sandbox.world.repos))
    policy = RetryPolicy(tool="github", credential=cfg.token_env, sleep=slept.append, max_wait=120, max_attempts=8)
    source = GitHubSource("gh", cfg, TOKEN, policy=policy)

    faulty = records_of(run_all(source))

    assert faulty == clean
    assert sum(sandbox.faults.stats.faults.values()) > 0
    assert source.stats.retries == sum(sandbox.faults.stats.faults.values())
    assert max(slept) >= 60  # a secondary limit waits as long as GitHub asks (Retry-After: 60)


# ---------------------------------------------------------------------------------------------------- writes


def test_add_comment_writes_through_pygithub_and_writes_are_spaced(sandbox: Sandbox) -> None:
    source = source_for(sandbox)
    repo = next(iter(sandbox.world.repos.values()))
    number = min(repo.issues)
    started = time.monotonic()
    first = source.add_comment(repo.full_name, number, "Readiness for 2.4.0: blocked by e2e-tests")
    second = source.add_comment(repo.full_name, number, "Readiness for 2.4.0: ready")
    assert time.monotonic() - started >= 1.0
    assert (first["body"], second["body"]) == (
        "Readiness for 2.4.0: blocked by e2e-tests",
        "Readiness for 2.4.0: ready",
    )
    listed = requests.get(
        f"{sandbox.url}/repos/{repo.full_name}/issues/{number}/comments",
        headers={"Authorization": f"token {TOKEN}"},
        timeout=10,
    ).json()
    assert [c["body"] for c in listed][-2:] == [first["body"], second["body"]]


def test_reads_are_not_throttled(sandbox: Sandbox) -> None:
    source = source_for(sandbox, per_page=5)
    started = time.monotonic()
    result = run(stream_of(source, "issues"))
    assert len(result.pages) >= 8
    # PyGithub's default would sleep 0.25 s before each request
    assert time.monotonic() - started < 0.25 * len(result.pages)


def test_release_refs_can_be_narrowed_to_extra_refs_and_a_missing_ref_reads_as_no_checks(sandbox: Sandbox) -> None:
    refs = ReleaseRefs(default_branch=False, releases=False, extra=("v2.3.1", "release/9.9"))
    source = source_for(sandbox, release_refs=refs)
    checks = [m.record for m in run(stream_of(source, "checks")).records.values()]
    assert {c.ref for c in checks if isinstance(c, Check)} == {"v2.3.1"}
    assert len(checks) == 4 * len(sandbox.world.repos)


def test_publishing_a_release_moves_the_read_refs_and_keeps_the_checks_of_the_tag_no_longer_read() -> None:
    for sandbox in serve(Scale.named("tiny")):
        source = source_for(sandbox, release_refs=ReleaseRefs(published=1))
        name, repo = next(iter(sandbox.world.repos.items()))
        drafts = [r for r in repo.releases if r.draft]
        draft = drafts[-1]
        newest = release_refs(repo, published=1)[-1]
        first = run(stream_of(source, "checks"))
        ids_by_ref: dict[str, set[str]] = {}
        for mapped in first.records.values():
            assert isinstance(mapped.record, Check)
            if mapped.record.source.instance == name:
                ids_by_ref.setdefault(mapped.record.ref, set()).add(mapped.record.id)
        candidates = {ref for d in drafts for ref in (d.tag_name, d.target_commitish)}
        assert set(ids_by_ref) == {repo.default_branch, *candidates, newest}

        sandbox.admin("POST", f"/repos/{name}/releases/{draft.tag_name}/publish")
        before = sandbox.requests_served()
        second = run(stream_of(source, "checks"), first.cursor)
        assert second.census is not None
        assert first.census is not None

        # the published tag is now the newest and still read; the tag it displaced keeps its checks as last read;
        # the candidate branch is no release ref any more, so its checks leave the census
        assert ids_by_ref[newest] | ids_by_ref[draft.tag_name] <= second.census
        assert not ids_by_ref[draft.target_commitish] & second.census
        assert second.census == first.census - ids_by_ref[draft.target_commitish]
        # per repo: repository + releases (changed: 200 for the one, 304 for the rest), 2 reads per ref read
        refs_read = sum(len(release_refs(r, published=1)) for r in sandbox.world.repos.values())
        assert sandbox.requests_served() - before == 2 * len(sandbox.world.repos) + 2 * refs_read


def test_a_listing_of_several_pages_is_asked_page_by_page_and_costs_no_rate_limit_when_unchanged() -> None:
    for sandbox in serve(Scale.named("tiny")):
        source = source_for(sandbox, per_page=1)
        pages = sum(len(repo.releases) for repo in sandbox.world.repos.values())
        assert pages > len(sandbox.world.repos)  # more than one page per repo
        first = run(stream_of(source, "releases"))

        served, used = sandbox.requests_served(), sandbox.rate_limit_used()
        second = run(stream_of(source, "releases"), first.cursor)
        assert sandbox.requests_served() - served == pages + 1  # every page answered 304, plus /rate_limit
        assert sandbox.rate_limit_used() == used
        assert not second.records
        assert second.census == first.census

        name = next(iter(sandbox.world.repos))
        published = sandbox.admin("POST", f"/repos/{name}/releases/v9.9.9/publish")
        third = run(stream_of(source, "releases"), second.cursor)
        new_id = ids.github(name, "release", published["id"])
        # only the repository whose listing changed is read anew
        assert set(third.records) == {rid for rid in first.records if rid.startswith(f"github:{name}:")} | {new_id}
        assert third.census == (first.census or set()) | {new_id}


def test_primary_rate_limit_beyond_the_allowed_wait_stops_and_the_next_run_resumes_from_the_cursor() -> None:
    world = build_world(seed=11, scale=Scale.named("tiny"), now=NOW)
    app = create_app(world, GitHubOptions(rate_limit=5, clock=Clock(NOW)))
    with ServedApp(app) as served:
        cfg = GitHubSourceConfig(base_url=served.url, repos=tuple(world.repos), per_page=5)
        policy = RetryPolicy(tool="github", credential=cfg.token_env, sleep=no_sleep, max_wait=120)
        stream = stream_of(GitHubSource("gh", cfg, TOKEN, policy=policy), "issues")
        pages: list[Page] = []
        with pytest.raises(RetryLaterError, match="primary rate limit exhausted") as caught:
            pages.extend(stream.pages(None))
        assert len(pages) == 5
        assert (caught.value.retry_after or 0) > 120
        assert policy.stats.rate_limit_remaining == 0

        requests.post(f"{served.url}/_sandbox/rate-limit/reset", timeout=10).raise_for_status()
        cursor = pages[-1].cursor
        resumed = run(stream_of(GitHubSource("gh", cfg, TOKEN, policy=policy), "issues"), cursor)

    read = {m.record.id for page in pages for m in page.records} | set(resumed.records)
    assert read == {ids.github(name, "issue", n) for name, repo in world.repos.items() for n in repo.issues}
