"""Launch readiness: each check's pass and fail, the verdict rules, burn-up, guardrails, freshness and the diff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from hub.sources import build_source
from sandbox.runner import Sandbox
from schema import CheckState, PullRequestState, Release, WorkItemType
from schema.readiness import CheckResult, Outcome, ReadinessReport, Severity, Verdict
from sync.engine import relink, sync_source
from sync.readiness import (
    REPORT_ACTION,
    CheckSettings,
    CiCheck,
    FreshnessCheck,
    GitHubReleaseCheck,
    MetricGuardrail,
    ReadinessConfig,
    ScopeCheck,
    burnup,
    evaluate,
    readiness_for,
)
from sync.scope import ReleaseScope, find_release
from sync.store import Store
from tests.conftest import Synced, sync_into
from tests.sync.builders import (
    NOW,
    check,
    fresh,
    github_release,
    jira_item,
    large_release_work,
    metric,
    milestone,
    pull,
    put,
    version,
)

CONFIG = ReadinessConfig()


def ready_scope(**changes: object) -> ReleaseScope:
    """A release that passes every default check."""
    scope = ReleaseScope(
        release=version(),
        milestones=[milestone()],
        github_releases=[github_release()],
        items=[jira_item(1, points=3), jira_item(2, points=5), jira_item(3, "Won't Do")],
        pull_requests=[pull(10), pull(11, PullRequestState.CLOSED)],
        checks=[check("build"), check("e2e")],
    )
    return replace(scope, **changes)  # type: ignore[arg-type]


def run(scope: ReleaseScope, config: ReadinessConfig = CONFIG, **kwargs: object) -> ReadinessReport:
    arguments: dict[str, object] = {"freshness": fresh("jira", "github"), "config": config, "now": NOW}
    arguments.update(kwargs)
    return evaluate(scope, **arguments)  # type: ignore[arg-type]


def failing(report: ReadinessReport) -> set[str]:
    return {c.id for c in report.checks if c.outcome is Outcome.FAILED}


def by_id(report: ReadinessReport, check_id: str) -> CheckResult:
    return next(c for c in report.checks if c.id == check_id)


def test_a_release_with_everything_done_is_go() -> None:
    report = run(ready_scope())
    assert report.verdict is Verdict.GO
    assert failing(report) == set()
    assert [c.id for c in report.checks] == [
        "scope_complete",
        "no_open_blockers",
        "prs_merged",
        "ci_green",
        "github_release",
        "release_dates",
        "freshness",
    ]
    assert report.scope.items_done == 3
    assert report.scope.points_done == 8
    assert report.scope.by_category == {"cancelled": 1, "done": 2}
    assert (report.scope.prs_merged, report.scope.prs_closed, report.scope.ci) == (1, 1, "green")


def test_open_blocker_bug_is_no_go_with_a_link_and_its_owner() -> None:
    bug = jira_item(4, "In Progress", type=WorkItemType.BUG, priority="Highest", assignee="ada")
    story = jira_item(5, "In Progress", priority="Highest", assignee="ken")
    report = run(ready_scope(items=[jira_item(1), bug, story]))
    blockers = by_id(report, "no_open_blockers")
    assert report.verdict is Verdict.NO_GO
    assert blockers.outcome is Outcome.FAILED
    assert blockers.severity is Severity.BLOCKER
    assert [e.label for e in blockers.evidence] == ["SHOP-4"]
    assert blockers.evidence[0].url == "https://acme.atlassian.net/browse/SHOP-4"
    assert blockers.owner == "ada"
    assert failing(report) == {"no_open_blockers", "scope_complete"}


def test_blocker_types_and_priorities_are_configurable() -> None:
    story = jira_item(5, "To Do", priority="P0")
    config = ReadinessConfig(
        no_open_blockers={"priorities": ["P0"], "types": []}, scope_complete=ScopeCheck(items_pct=50)
    )
    report = run(ready_scope(items=[jira_item(1), story]), config)
    assert failing(report) == {"no_open_blockers"}


def test_open_pull_request_makes_the_release_at_risk_and_names_its_author() -> None:
    report = run(ready_scope(pull_requests=[pull(10), pull(12, PullRequestState.OPEN, author="grace")]))
    prs = by_id(report, "prs_merged")
    assert report.verdict is Verdict.AT_RISK
    assert prs.outcome is Outcome.FAILED
    assert prs.owner == "grace"
    assert [e.label for e in prs.evidence] == ["acme/shop#12"]
    assert prs.summary == "1/2 pull requests merged, 1 open"


def test_red_ci_is_no_go_and_only_the_newest_run_of_a_check_counts() -> None:
    rerun_green = [check("e2e", CheckState.FAILURE, at=NOW - timedelta(hours=5)), check("e2e")]
    assert "ci_green" not in failing(run(ready_scope(checks=rerun_green)))

    report = run(ready_scope(checks=[check("build"), check("e2e", CheckState.FAILURE)]))
    ci = by_id(report, "ci_green")
    assert report.verdict is Verdict.NO_GO
    assert ci.summary == "1 of 2 checks failing on release/2.4.0"
    assert [e.label for e in ci.evidence] == ["e2e on release/2.4.0"]


def test_pending_ci_fails_unless_configured_and_no_ci_at_all_fails() -> None:
    pending = ready_scope(checks=[check("build"), check("e2e", CheckState.PENDING)])
    assert "ci_green" in failing(run(pending))
    assert "ci_green" not in failing(run(pending, ReadinessConfig(ci_green=CiCheck(pending_fails=False))))
    nothing = by_id(run(ready_scope(checks=[])), "ci_green")
    assert nothing.outcome is Outcome.FAILED
    assert nothing.summary == "No CI results on the release's refs."


def test_github_release_needs_notes_and_is_skipped_without_a_repo() -> None:
    draft = ready_scope(github_releases=[github_release(notes="", draft=True)])
    gh = by_id(run(draft), "github_release")
    assert gh.outcome is Outcome.FAILED
    assert gh.summary == "acme/shop v2.4.0 has no release notes"
    assert gh.evidence[0].detail == "draft · no notes"

    missing = by_id(run(ready_scope(github_releases=[])), "github_release")
    assert missing.outcome is Outcome.FAILED
    assert missing.summary == "no GitHub release in acme/shop"

    required = ReadinessConfig(github_release=GitHubReleaseCheck(require_published=True))
    drafted = ready_scope(github_releases=[github_release(draft=True)])
    assert by_id(run(drafted, required), "github_release").summary == "acme/shop v2.4.0 is still a draft"

    alone = by_id(run(ready_scope(milestones=[], github_releases=[])), "github_release")
    assert alone.outcome is Outcome.SKIPPED
    github_only = ready_scope(release=milestone(), milestones=[], github_releases=[])
    assert by_id(run(github_only), "github_release").summary == "no GitHub release in acme/shop"


@pytest.mark.parametrize(
    ("release", "problem"),
    [
        (version(release=None), "no release date set"),
        (version(release=date(2026, 11, 19)), "release date 2026-11-19 has passed and it is not released"),
        (version(start=date(2026, 12, 1)), "starts 2026-12-01, after its release date 2026-11-26"),
    ],
)
def test_insane_version_dates_fail(release: Release, problem: str) -> None:
    dates = by_id(run(ready_scope(release=release)), "release_dates")
    assert dates.outcome is Outcome.FAILED
    assert dates.summary == problem


def test_a_released_version_may_have_a_past_release_date() -> None:
    released = version(released=True, release=date(2026, 11, 1))
    assert by_id(run(ready_scope(release=released)), "release_dates").outcome is Outcome.PASSED


def test_scope_thresholds_in_items_and_points() -> None:
    items = [jira_item(1, points=8), jira_item(2, points=8), jira_item(3, points=8), jira_item(4, "To Do", points=8)]
    scope = ready_scope(items=items)
    default = by_id(run(scope), "scope_complete")
    assert default.outcome is Outcome.FAILED
    assert default.summary.startswith("3/4 items (75 %, need 100 %), 24/32 points (75 %")
    relaxed = ReadinessConfig(scope_complete=ScopeCheck(items_pct=75, points_pct=75))
    assert by_id(run(scope, relaxed), "scope_complete").outcome is Outcome.PASSED
    empty = by_id(run(ready_scope(items=[])), "scope_complete")
    assert empty.outcome is Outcome.FAILED
    assert empty.summary == "No work items are in this release's scope."


def test_stale_data_is_no_go_with_a_freshness_reason() -> None:
    synced = {**fresh("jira"), **fresh("github", age=timedelta(minutes=90))}
    report = run(ready_scope(), freshness=synced)
    freshness = by_id(report, "freshness")
    assert report.verdict is Verdict.NO_GO
    assert freshness.summary == "Stale: github all"
    assert freshness.evidence[0].detail == "synced 90 min ago (limit 60)"
    assert [f.source for f in report.freshness if f.stale] == ["github"]


def test_freshness_limits_per_source_and_required_sources_that_never_synced() -> None:
    config = ReadinessConfig(freshness=FreshnessCheck(per_source={"github": 120}, required_sources=["posthog"]))
    synced = {**fresh("jira"), **fresh("github", age=timedelta(minutes=90))}
    freshness = by_id(run(ready_scope(), config, freshness=synced), "freshness")
    assert freshness.summary == "Stale: posthog *"
    assert freshness.evidence[0].detail == "never synced"
    nothing = by_id(run(ready_scope(), freshness={}), "freshness")
    assert nothing.outcome is Outcome.FAILED
    assert nothing.summary == "No source has ever synced successfully."


def test_disabled_check_is_skipped_and_never_changes_the_verdict() -> None:
    config = ReadinessConfig(ci_green=CiCheck(enabled=False), prs_merged=CheckSettings(severity=Severity.INFO))
    scope = ready_scope(checks=[check("e2e", CheckState.FAILURE)], pull_requests=[pull(1, PullRequestState.OPEN)])
    report = run(scope, config)
    assert by_id(report, "ci_green").outcome is Outcome.SKIPPED
    assert by_id(report, "prs_merged").outcome is Outcome.FAILED
    assert report.verdict is Verdict.GO


def test_guardrail_against_an_absolute_threshold_with_late_settling_days_left_out() -> None:
    today = NOW.date()
    points = [metric("error_rate", 0.01, today - timedelta(days=n)) for n in range(2, 10)]
    points.append(metric("error_rate", 0.50, today))  # today's partial bucket, not settled
    rail = MetricGuardrail(metric="error_rate", op="<=", threshold=0.02, lag_days=1, current_days=2)
    report = run(ready_scope(), ReadinessConfig(guardrails=[rail]), metrics=points)
    result = by_id(report, "metric:error_rate")
    assert result.outcome is Outcome.PASSED
    assert result.summary == "error_rate = 0.01 (meets <= 0.02)"
    series = report.metrics[0]
    assert (series.metric, series.threshold, series.op, len(series.points)) == ("error_rate", 0.02, "<=", 9)

    unsettled = MetricGuardrail(metric="error_rate", op="<=", threshold=0.02)
    assert (
        by_id(run(ready_scope(), ReadinessConfig(guardrails=[unsettled]), metrics=points), "metric:error_rate").outcome
        is Outcome.FAILED
    )


def test_guardrail_against_a_share_of_the_baseline() -> None:
    today = NOW.date()
    baseline = [metric("activation", 0.40, today - timedelta(days=n)) for n in range(2, 20)]
    rail = MetricGuardrail(metric="activation", op=">=", baseline_pct=90, current_days=1, baseline_days=14)
    healthy = run(
        ready_scope(), ReadinessConfig(guardrails=[rail]), metrics=[*baseline, metric("activation", 0.37, today)]
    )
    assert by_id(healthy, "metric:activation").outcome is Outcome.PASSED
    assert healthy.metrics[0].threshold == pytest.approx(0.36)
    dropped = run(
        ready_scope(), ReadinessConfig(guardrails=[rail]), metrics=[*baseline, metric("activation", 0.30, today)]
    )
    assert by_id(dropped, "metric:activation").outcome is Outcome.FAILED
    assert dropped.verdict is Verdict.AT_RISK


def test_guardrail_reads_only_its_analytics_project_and_judges_only_its_products() -> None:
    today = NOW.date()
    ours = metric("error_rate", 0.01, today - timedelta(days=1))
    theirs = metric("error_rate", 0.90, today - timedelta(days=1)).model_copy(
        update={"source": ours.source.model_copy(update={"instance": "2"}), "id": "other"}
    )
    rail = MetricGuardrail(metric="error_rate", op="<=", threshold=0.02, project="1", current_days=2)
    report = run(ready_scope(), ReadinessConfig(guardrails=[rail]), metrics=[ours, theirs])
    assert by_id(report, "metric:error_rate").outcome is Outcome.PASSED
    elsewhere = rail.model_copy(update={"applies_to": ["MOB"]})
    assert "metric:error_rate" not in {c.id for c in run(ready_scope(), ReadinessConfig(guardrails=[elsewhere])).checks}


def test_guardrail_without_data_fails_rather_than_passing_silently() -> None:
    rail = MetricGuardrail(metric="error_rate", op="<=", threshold=0.02, severity=Severity.BLOCKER)
    report = run(ready_scope(), ReadinessConfig(guardrails=[rail]), metrics=[])
    assert by_id(report, "metric:error_rate").summary.startswith("No error_rate data between")
    assert report.verdict is Verdict.NO_GO
    with pytest.raises(ValueError, match="exactly one of threshold or baseline_pct"):
        MetricGuardrail(metric="x", op="<=")


def test_burnup_accumulates_points_by_day_and_leaves_cancelled_work_out() -> None:
    start = NOW - timedelta(days=3)
    items = [
        jira_item(1, points=3, created=start, resolved=start + timedelta(days=1)),
        jira_item(2, "In Progress", points=5, created=start + timedelta(days=2)),
        jira_item(3, "Won't Do", points=8, created=start),
    ]
    series = burnup(items, start.date(), NOW.date(), max_days=30)
    assert [(p.day.day, p.done, p.total) for p in series] == [(17, 0, 3), (18, 3, 3), (19, 3, 8), (20, 3, 8)]
    assert len(burnup(items, start.date() - timedelta(days=100), NOW.date(), max_days=10)) == 10


def test_diff_lists_what_changed_since_the_previous_report() -> None:
    before = run(ready_scope(checks=[check("e2e", CheckState.FAILURE)]))
    after = run(ready_scope(), previous=before)
    assert after.diff.previous_verdict is Verdict.NO_GO
    assert after.diff.previous_at == NOW
    assert [(c.id, c.before, c.after) for c in after.diff.changes] == [("ci_green", Outcome.FAILED, Outcome.PASSED)]


def test_readiness_for_keeps_the_last_report_only_when_something_changed(store: Store) -> None:
    put(store, [version(), jira_item(1), jira_item(2, "In Progress")])
    run_id = store.runs.start("jira", "issues")
    store.runs.finish(run_id, "ok", {})
    release = find_release(store, "2.4.0")[0]
    now = store.runs.last_success("jira")
    assert now is not None
    first = readiness_for(store, release, CONFIG, now)
    assert first.diff.previous_verdict is None
    assert first.scope.items_total == 2
    again = readiness_for(store, release, CONFIG, now + timedelta(minutes=1))
    assert again.diff.previous_at == first.evaluated_at
    assert again.diff.changes == []
    put(store, [jira_item(2, "Done")])
    changed = readiness_for(store, release, CONFIG, now + timedelta(minutes=2))
    assert [c.id for c in changed.diff.changes] == ["scope_complete"]
    kept = [e for e in store.audit.log(target_id=release.id) if e.action == REPORT_ACTION]
    assert len(kept) == 2


# -------------------------------------------------------------------------------------------------- performance


def test_ten_thousand_items_and_two_thousand_prs_keep_counts_exact_and_evidence_capped() -> None:
    items, prs = large_release_work()
    checks = [check(f"job-{n}") for n in range(50)]
    scope = ready_scope(items=items, pull_requests=prs, checks=checks)
    report = run(scope)
    assert report.scope.items_total == 10_000
    assert report.scope.prs_open == 200
    assert len(by_id(report, "scope_complete").evidence) == CONFIG.max_evidence


# ------------------------------------------------------------------------------------- the synced sandbox (HTTP)


def test_synced_sandbox_seeded_releases_get_their_verdict_with_the_exact_failing_checks(synced: Synced) -> None:
    assert_seeded_verdicts(synced)


def test_the_tiny_sandbox_seeds_every_verdict_too(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_seeded_verdicts(sync_into(fresh_sandbox, tmp_path, monkeypatch))


def assert_seeded_verdicts(synced: Synced) -> None:
    """Under the sandbox's own readiness config, each release the world seeds a verdict for gets it, failing
    exactly the checks the world's data implies."""
    world = synced.sandbox.world
    today = datetime.now(UTC).date()
    assert sorted(world.verdicts.values()) == ["AT RISK", "GO", "NO-GO"]
    for (project_key, name), verdict in world.verdicts.items():
        wanted = next(v for v in world.versions.values() if (v.project, v.name) == (project_key, name))
        product = next(p for p in world.products if p.jira_project == project_key)
        [release] = find_release(synced.store, name, project_key)
        report = readiness_for(synced.store, release, synced.settings.readiness, datetime.now(UTC), persist=False)
        repo = world.repos[product.repo]
        project = world.jira_projects[project_key]
        milestone_number = next(n for n, m in repo.milestones.items() if m.title == name)
        open_prs = [p for p in repo.pulls.values() if p.milestone == milestone_number and p.state == "open"]
        items = [i for i in world.jira_issues.values() if wanted.id in i.fix_versions]
        issues = [i for i in repo.issues.values() if i.milestone == milestone_number]
        still_open = [i for i in items if project.status(i.status).category != "done"]
        refs = {repo.branches[f"release/{name}"], repo.branches[f"v{name}"]}
        drafted = next(r for r in repo.releases if r.tag_name == f"v{name}")
        expected = set()
        if still_open or any(i.state == "open" for i in issues):
            expected.add("scope_complete")
        if any(i.type == "Bug" and i.priority == "Highest" for i in still_open):
            expected.add("no_open_blockers")
        if open_prs:
            expected.add("prs_merged")
        if any(run.conclusion != "success" for run in repo.check_runs if run.sha in refs):
            expected.add("ci_green")
        if not drafted.body:
            expected.add("github_release")
        if wanted.release_date is not None and wanted.release_date < today:
            expected.add("release_dates")
        assert (report.verdict.value, failing(report)) == (verdict, expected), f"{project_key} {name}"
        assert report.scope.items_total == len(items) + len(issues)
        assert report.scope.prs_open == len(open_prs)
        assert by_id(report, "freshness").outcome is Outcome.PASSED
        if "ci_green" in expected:
            assert [e.label for e in by_id(report, "ci_green").evidence] == [f"e2e-tests on release/{name}"]


def test_the_verdict_moves_to_go_once_the_sandbox_fixes_everything_and_a_sync_runs(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = sync_into(fresh_sandbox, tmp_path, monkeypatch)
    config = ReadinessConfig(github_release=GitHubReleaseCheck(require_notes=False, require_published=True))
    world = fresh_sandbox.world
    product = world.products[0]
    wanted = world.next_release(product)
    [release] = find_release(synced.store, wanted.name, product.jira_project)
    before = readiness_for(synced.store, release, config, datetime.now(UTC))
    assert before.verdict is Verdict.NO_GO

    jira, github = fresh_sandbox.urls["jira"], f"{fresh_sandbox.urls['github']}/_sandbox/repos/{product.repo}"
    project = world.jira_projects[product.jira_project]
    for issue in [i for i in world.jira_issues.values() if wanted.id in i.fix_versions]:
        if project.status(issue.status).category != "done":
            admin(f"{jira}/_sandbox/issues/{issue.key}/transition", {"to": "Done"})
    repo = world.repos[product.repo]
    milestone_number = next(n for n, m in repo.milestones.items() if m.title == wanted.name)
    for pr in [p for p in repo.pulls.values() if p.milestone == milestone_number and p.state == "open"]:
        admin(f"{github}/pulls/{pr.number}/merge")
    for gh_issue in [i for i in repo.issues.values() if i.milestone == milestone_number and i.state == "open"]:
        admin(f"{github}/issues/{gh_issue.number}/close")
    admin(f"{github}/commits/release/{wanted.name}/check-runs/e2e-tests", {"conclusion": "success"})
    admin(f"{github}/releases/v{wanted.name}/publish")
    for name in ("jira", "github"):
        assert sync_source(synced.store, build_source(name, synced.settings)).ok
    relink(synced.store, synced.settings.link_rules())

    after = readiness_for(synced.store, release, config, datetime.now(UTC))
    assert [(c.id, c.summary) for c in after.checks if c.outcome is Outcome.FAILED] == []
    assert after.verdict is Verdict.GO
    assert after.diff.previous_verdict is Verdict.NO_GO
    assert {c.id for c in after.diff.changes} == failing(before)


def admin(url: str, body: dict[str, str] | None = None) -> None:
    requests.post(url, json=body or {}, timeout=10).raise_for_status()


def test_guardrails_judge_the_synced_analytics_of_their_own_product(synced: Synced) -> None:
    rails = [
        MetricGuardrail(metric="error_rate", op="<=", threshold=0.05, project="1000", applies_to=["CHK"], lag_days=2),
        MetricGuardrail(metric="activation_rate", op=">=", baseline_pct=80, project="1000", applies_to=["CHK"]),
    ]
    config = ReadinessConfig(guardrails=rails)
    [checkout] = find_release(synced.store, "2.4.0", "CHK")
    report = readiness_for(synced.store, checkout, config, datetime.now(UTC), persist=False)
    assert [(c.id, c.outcome) for c in report.checks if c.id.startswith("metric:")] == [
        ("metric:error_rate", Outcome.PASSED),
        ("metric:activation_rate", Outcome.PASSED),
    ]
    assert [len(m.points) for m in report.metrics] == [config.metric_days, config.metric_days]
    [mobile] = find_release(synced.store, "2.4.0", "MOB")
    assert readiness_for(synced.store, mobile, config, datetime.now(UTC), persist=False).metrics == []
