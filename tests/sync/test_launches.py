"""Launch reviews: which releases launched and when, each tracked metric before and after with a bootstrap
interval, the guardrails judged again after the launch; and the sandbox's launches moving the numbers as seeded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schema import MetricPoint, Release, Tool
from schema.planning import ChangeDirection, LaunchReview
from schema.readiness import Outcome
from sync.launches import (
    LaunchMetric,
    LaunchReviewConfig,
    bootstrap_interval,
    find_launches,
    matching,
    review,
    reviews_from_store,
)
from sync.readiness import MetricGuardrail
from tests.conftest import Synced
from tests.sync.builders import NOW, github_release, link, metric, milestone, version

LAUNCHED = date(2026, 10, 1)
CONFIG = LaunchReviewConfig(metrics=[LaunchMetric(metric="activation")])


def series(name: str, before: float, after: float, *, wobble: float = 0.01, days: int = 60) -> list[MetricPoint]:
    """Daily points around LAUNCHED: ``before`` until it, ``after`` from it, alternating by ±``wobble``."""
    points = []
    for n in range(-days // 2, days // 2):
        day = LAUNCHED + timedelta(days=n)
        base = before if n < 0 else after
        points.append(metric(name, base + (wobble if n % 2 else -wobble), day))
    return points


def published(tag: str, day: date, *, draft: bool = False, prerelease: bool = False) -> Release:
    at = None if draft else datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    return github_release(tag, draft=draft).model_copy(update={"released_at": at, "prerelease": prerelease})


def launch_of(
    points: list[MetricPoint],
    guardrails: list[MetricGuardrail] | None = None,
    *,
    now: datetime = NOW,
    config: LaunchReviewConfig = CONFIG,
) -> LaunchReview:
    [launch] = find_launches([version(released=True, release=LAUNCHED)], [])
    return review(launch, points, guardrails or [], config, now)


def test_a_jira_version_launches_when_its_github_release_is_published_else_on_its_release_date() -> None:
    shipped = version("2.3.0", released=True, release=date(2026, 10, 1), native=1)
    twinned = version("2.4.0", released=False, release=date(2026, 11, 1), native=2)
    ms = milestone("2.4.0", number=4)
    releases = [shipped, twinned, ms, published("v2.4.0", date(2026, 11, 3))]
    launches = find_launches(releases, [link(twinned.id, ms.id, "same_release")])
    assert [(lc.release.name, lc.day, lc.source) for lc in launches] == [
        ("2.4.0", date(2026, 11, 3), "GitHub release acme/shop v2.4.0 published 2026-11-03"),
        ("2.3.0", date(2026, 10, 1), "Jira release date 2026-10-01"),
    ]


def test_a_github_release_of_no_jira_version_is_a_launch_of_its_own_and_drafts_and_prereleases_are_not() -> None:
    releases = [
        published("v1.0.0", date(2026, 9, 1)),
        published("v1.1.0-rc1", date(2026, 9, 5), prerelease=True),
        published("v1.1.0", date(2026, 9, 9), draft=True),
        version("9.9.9", released=False, release=date(2026, 9, 1)),
    ]
    launches = find_launches(releases, [])
    assert [(lc.release.project, lc.release.name, lc.day) for lc in launches] == [
        ("acme/shop", "1.0.0", date(2026, 9, 1))
    ]
    assert matching(launches, "acme/shop v1.0.0") == launches
    assert matching(launches, "1.0.0", "acme/other") == []


def test_a_clear_shift_is_up_with_an_interval_around_the_true_change() -> None:
    [change] = launch_of(series("activation", 0.40, 0.50)).metrics
    assert change.direction is ChangeDirection.UP
    assert change.change == pytest.approx(0.10, abs=0.005)
    assert change.change_pct == pytest.approx(25, abs=1.5)
    assert change.interval is not None
    assert change.interval[0] <= 0.10 <= change.interval[1]
    assert (change.before.days, change.after.days) == (14, 14)
    assert change.summary.endswith(": up")


def test_no_shift_or_one_smaller_than_min_change_pct_is_no_change() -> None:
    [flat] = launch_of(series("activation", 0.40, 0.40)).metrics
    assert flat.direction is ChangeDirection.NO_CHANGE
    [tiny] = launch_of(series("activation", 0.40, 0.404, wobble=0.0001)).metrics
    assert tiny.interval is not None
    assert tiny.interval[0] > 0, "the interval alone would call it a change"
    assert tiny.direction is ChangeDirection.NO_CHANGE, "but 1 % is under min_change_pct"


def test_the_bootstrap_is_the_same_for_the_same_data_and_seed() -> None:
    before, after = [1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 4.0, 5.0, 6.0, 7.0]
    first = bootstrap_interval(before, after, resamples=500, seed=0)
    assert first == bootstrap_interval(before, after, resamples=500, seed=0)
    assert first != bootstrap_interval(before, after, resamples=500, seed=1)
    assert first[0] < 2.0 < first[1]


def test_the_after_window_leaves_out_the_settling_days_and_the_unsettled_newest_days() -> None:
    spike = [metric("activation", 9.0, LAUNCHED + timedelta(days=n)) for n in range(3)]
    points = [p for p in series("activation", 0.4, 0.4) if p.bucket.date() not in {s.bucket.date() for s in spike}]
    [change] = launch_of([*points, *spike]).metrics
    assert change.after.start == LAUNCHED + timedelta(days=3)
    assert change.after.mean == pytest.approx(0.4)
    soon = datetime(2026, 10, 12, 9, tzinfo=UTC)  # 11 days after: 8 of the 14 after-days are settled (lag 2)
    early = launch_of(series("activation", 0.4, 0.6), now=soon)
    assert not early.complete
    assert (early.metrics[0].after.days, early.metrics[0].after.end) == (7, date(2026, 10, 10))
    later = launch_of(series("activation", 0.4, 0.6), now=soon, config=CONFIG.model_copy(update={"min_days": 8}))
    assert later.metrics[0].direction is ChangeDirection.NOT_ENOUGH_DATA


def test_guardrails_are_judged_again_over_the_after_window_against_the_before_window() -> None:
    points = [*series("error_rate", 0.01, 0.03), *series("activation", 0.5, 0.4)]
    rails = [
        MetricGuardrail(metric="error_rate", op="<=", threshold=0.02),
        MetricGuardrail(metric="activation", op=">=", baseline_pct=90),
        MetricGuardrail(metric="activation", op=">=", threshold=0.1, applies_to=["OTHER"]),
    ]
    done = launch_of(points, rails)
    assert [(g.id, g.outcome) for g in done.guardrails] == [
        ("metric:error_rate", Outcome.FAILED),
        ("metric:activation", Outcome.FAILED),
    ]
    assert done.guardrails[0].title == "Guardrail error_rate <= 0.02 after launch"
    assert done.guardrails[1].summary == "activation = 0.4 (breaks >= 0.45)"
    assert [g.id for g in done.broken] == ["metric:error_rate", "metric:activation"]
    assert {m.metric for m in done.metrics} == {"activation", "error_rate"}, "guardrail metrics are tracked too"
    collecting = launch_of([], rails, now=datetime(2026, 10, 3, tzinfo=UTC))
    assert {g.outcome for g in collecting.guardrails} == {Outcome.SKIPPED}
    missing = launch_of([], rails)
    assert {g.outcome for g in missing.guardrails} == {Outcome.FAILED}, "no data long after the launch fails"


def test_a_metric_of_another_tool_is_not_mixed_in() -> None:
    mixpanel = {"source": metric("activation", 0, LAUNCHED).source.model_copy(update={"tool": Tool.MIXPANEL})}
    other = [p.model_copy(update=mixpanel) for p in series("activation", 9.0, 9.0)]
    config = LaunchReviewConfig(metrics=[LaunchMetric(metric="activation", tool=Tool.POSTHOG)])
    [change] = launch_of([*series("activation", 0.4, 0.4), *other], config=config).metrics
    assert change.where == "posthog"
    assert change.before.mean == pytest.approx(0.4)


# ------------------------------------------------------------------------------------- the synced sandbox (HTTP)


def test_the_sandboxs_launches_move_the_numbers_the_world_seeds_and_no_others(synced: Synced) -> None:
    cfg, world = synced.settings, synced.sandbox.world
    report = reviews_from_store(synced.store, cfg.launch_review, cfg.readiness.guardrails, world.now, recent=False)
    by_release = {(r.release.project, r.release.name): r for r in report.launches}
    assert {"CHK 2.2.0", "CHK 2.3.0", "MOB 2.2.0", "MOB 2.3.0"} <= {f"{p} {n}" for p, n in by_release}
    for effect in world.launch_effects:
        found = by_release[(effect.project, effect.version)]
        if effect.shows.startswith("guardrail"):
            metric_name = effect.shows.split()[1]
            assert f"metric:{metric_name}" in {g.id for g in found.broken}, effect
        else:
            metric_name = effect.shows.split()[0]
            [change] = [m for m in found.metrics if m.metric == metric_name]
            assert change.direction is ChangeDirection.UP, change.summary
    for (project, name), found in by_release.items():
        seeded = {e.shows for e in world.launch_effects if (e.project, e.version) == (project, name)}
        if not seeded:  # the 2.2.0 launches: no KPI moved, every guardrail held
            assert {m.metric: m.direction for m in found.metrics if m.metric == "activation_rate"} == {
                "activation_rate": ChangeDirection.NO_CHANGE
            }, found.metrics
            assert found.broken == []
        assert found.complete
