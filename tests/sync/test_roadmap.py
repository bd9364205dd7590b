"""The roadmap: configured and rule-derived items, status from linked work, and the throughput forecast."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest

from hub.settings import RoadmapItemSettings
from sandbox.world import Scale, build_world
from schema import MetricTarget, PullRequestState, Record, StatusCategory, Tool, WorkItemType
from schema.readiness import RoadmapStatus
from sync.roadmap import RoadmapConfig, roadmap, roadmap_from_store
from sync.store import Store
from tests.sync.builders import (
    MILESTONE_ID,
    NOW,
    VERSION_ID,
    github_issue,
    jira_item,
    link,
    metric,
    milestone,
    pull,
    put,
    version,
)
from tests.sync.world_records import NOW as WORLD_NOW
from tests.sync.world_records import seeded_world, world_records

CONFIG = RoadmapConfig(from_epics=False, from_milestones=False)


def entry(*links: str, target: date | None = None, metrics: list[MetricTarget] | None = None) -> RoadmapItemSettings:
    return RoadmapItemSettings(
        title="Faster checkout", owner="pm", target_date=target, links=list(links), metrics=metrics or []
    )


def status_of(
    records: Sequence[Record], *links: str, config: RoadmapConfig = CONFIG, target: date | None = None
) -> RoadmapStatus:
    """The status of one configured item over ``records`` and the SHOP 2.4.0 version they belong to."""
    [found] = roadmap({"faster": entry(*links, target=target)}, [version(), *records], config=config, now=NOW)
    return found


def done_days_ago(number: int, days: float, points: float | None = None) -> Record:
    return jira_item(number, "Done", resolved=NOW - timedelta(days=days), points=points)


def test_every_link_syntax_resolves_and_unresolved_links_are_named() -> None:
    records: list[Record] = [
        version(),
        milestone(),
        jira_item(1, "Done"),
        jira_item(2, "In Progress", release_ids=()),
        github_issue(9, closed=False, release_ids=(MILESTONE_ID,)),
        pull(7, PullRequestState.OPEN, release_ids=()),
    ]
    status = status_of(records, "SHOP@2.4.0", "shop-2", "acme/shop#7", "acme/shop@2.4.0", "SHOP-99", "nonsense")
    assert (status.items_done, status.items_total) == (1, 4)
    assert status.reason.endswith("unresolved links: SHOP-99, nonsense")
    assert status.id == "pmhub:roadmap:faster"
    assert (status.title, status.owner) == ("Faster checkout", "pm")


def test_an_epic_brings_its_children_and_their_subtasks_and_cancelled_work_counts_for_nothing() -> None:
    records: list[Record] = [
        jira_item(1, "In Progress", type=WorkItemType.EPIC, release_ids=()),
        jira_item(2, "Done", epic=1, points=3),
        jira_item(3, "In Progress", epic=1, points=5),
        jira_item(4, "To Do", type=WorkItemType.SUBTASK, parent=3, points=1),
        jira_item(5, "Won't Do", epic=1, points=8),
    ]
    status = status_of(records, "SHOP-1")
    assert (status.items_done, status.items_total, status.points_done, status.points_total) == (1, 3, 3, 9)
    assert status.category == StatusCategory.IN_PROGRESS.value


def test_a_github_twin_of_a_counted_jira_issue_is_not_counted_twice() -> None:
    item, twin = jira_item(1, "Done"), github_issue(9, closed=True, release_ids=(MILESTONE_ID,))
    records: list[Record] = [version(), milestone(), item, twin, link(twin.id, item.id)]
    assert status_of(records, "SHOP@2.4.0", "acme/shop@2.4.0").items_total == 1


def test_category_is_derived_from_the_linked_work() -> None:
    todo = [jira_item(1, "To Do"), jira_item(2, "To Do")]
    assert status_of(todo, "SHOP@2.4.0").category == "todo"
    assert status_of([jira_item(1, "Done"), jira_item(2, "Done")], "SHOP@2.4.0").category == "done"
    assert status_of([jira_item(1, "Done"), jira_item(2, "To Do")], "SHOP@2.4.0").category == "in_progress"
    assert status_of([], "SHOP@2.4.0").category == "todo"


def test_forecast_extrapolates_recent_throughput_to_the_target_date() -> None:
    finished = [done_days_ago(n, n) for n in range(1, 5)]  # 4 items in the last 28 days: one a week
    remaining = [jira_item(n, "To Do") for n in range(10, 12)]
    on_time = status_of([*finished, *remaining], "SHOP@2.4.0", target=NOW.date() + timedelta(days=20))
    assert on_time.forecast_date == NOW.date() + timedelta(days=14)
    assert not on_time.at_risk
    assert on_time.reason == "2 items left at 1.0/week → 2026-12-04"

    late = status_of([*finished, *remaining], "SHOP@2.4.0", target=NOW.date() + timedelta(days=10))
    assert late.at_risk
    assert late.reason.endswith("misses target 2026-11-30")

    fast = RoadmapConfig(from_epics=False, from_milestones=False, throughput_days=7)
    assert status_of([*finished, *remaining], "SHOP@2.4.0", config=fast).forecast_date == NOW.date() + timedelta(days=4)


def test_no_recent_throughput_or_a_passed_target_is_at_risk_and_finished_work_never_is() -> None:
    stalled = [done_days_ago(1, 60), jira_item(2, "In Progress")]
    status = status_of(stalled, "SHOP@2.4.0", target=NOW.date() + timedelta(days=30))
    assert status.at_risk
    assert status.forecast_date is None
    assert status.reason.startswith("1 items left, none finished in the last 28 days")
    passed = status_of(
        [done_days_ago(1, 1), jira_item(2, "To Do")], "SHOP@2.4.0", target=NOW.date() - timedelta(days=1)
    )
    assert passed.at_risk
    assert "target 2026-11-19 has passed" in passed.reason
    finished = status_of([done_days_ago(1, 90)], "SHOP@2.4.0", target=NOW.date() - timedelta(days=1))
    assert not finished.at_risk


def test_forecast_in_points_when_configured() -> None:
    records: list[Record] = [done_days_ago(1, 2, points=14.0), jira_item(2, "To Do", points=7.0)]
    config = RoadmapConfig(from_epics=False, from_milestones=False, forecast_unit="points", throughput_days=14)
    status = status_of(records, "SHOP@2.4.0", config=config)
    assert status.forecast_date == NOW.date() + timedelta(days=7)
    assert status.reason.startswith("7 points left")


def test_last_activity_is_the_newest_update_of_the_linked_work() -> None:
    records: list[Record] = [done_days_ago(1, 3), done_days_ago(2, 1)]
    assert status_of(records, "SHOP@2.4.0").last_activity == NOW - timedelta(days=1)


def test_metric_targets_are_reported_in_the_reason() -> None:
    records: list[Record] = [jira_item(1, "Done")]
    targets = [MetricTarget(metric="activation", op=">=", value=0.4), MetricTarget(metric="nps", op=">=", value=30)]
    [status] = roadmap(
        {"faster": entry("SHOP-1", metrics=targets)},
        records,
        config=CONFIG,
        now=NOW,
        metrics=[metric("activation", 0.31, NOW.date())],
    )
    assert status.reason == "activation 0.31 misses >= 0.4; no nps data"

    other = metric("activation", 0.5, NOW.date(), tool=Tool.AMPLITUDE)
    [both] = roadmap(
        {"faster": entry("SHOP-1", metrics=targets[:1])},
        records,
        config=CONFIG,
        now=NOW,
        metrics=[metric("activation", 0.31, NOW.date()), other],
    )
    assert both.reason == "activation (posthog 1) 0.31 misses >= 0.4"


def test_rule_items_come_from_open_epics_and_untwinned_milestones() -> None:
    records: list[Record] = [
        jira_item(1, "In Progress", type=WorkItemType.EPIC, release_ids=(), assignee="ada"),
        jira_item(2, "In Progress", epic=1),
        jira_item(3, "Done", type=WorkItemType.EPIC, release_ids=()),
        version(),
        milestone(),  # the twin of the version: a release, not a roadmap item
        link(VERSION_ID, MILESTONE_ID, "same_release"),
        milestone("Q1 polish", number=2, due=date(2027, 3, 31)),
    ]
    items = roadmap({}, records, config=RoadmapConfig(), now=NOW)
    assert [(s.title, s.owner, s.target_date) for s in items] == [
        ("SHOP-1 Work 1", "ada", date(2026, 11, 26)),
        ("acme/shop Q1 polish", None, date(2027, 3, 31)),
    ]
    with_done = roadmap({}, records, config=RoadmapConfig(include_done=True, from_milestones=False), now=NOW)
    assert [s.title for s in with_done] == ["SHOP-1 Work 1", "SHOP-3 Work 3"]
    claimed = roadmap({"x": entry("SHOP-1")}, records, config=RoadmapConfig(from_milestones=False), now=NOW)
    assert [s.id for s in claimed] == ["pmhub:roadmap:x"]


def test_roadmap_from_store_reads_what_a_sync_stored(store: Store) -> None:
    put(store, [version(), jira_item(1, "Done"), jira_item(2, "To Do")])
    [status] = roadmap_from_store(store, {"faster": entry("SHOP@2.4.0")}, CONFIG, NOW)
    assert (status.items_done, status.items_total, status.category) == (1, 2, "in_progress")


def test_the_seeded_worlds_epics_are_on_the_roadmap_and_its_next_release_is_at_risk() -> None:
    world = seeded_world()
    records = world_records(world)
    entries = {"checkout": entry("CHK@2.4.0", target=WORLD_NOW.date() + timedelta(days=2))}
    statuses = roadmap(entries, records, config=RoadmapConfig(), now=WORLD_NOW)
    checkout = statuses[0]
    assert checkout.category == "in_progress"
    assert checkout.at_risk
    epics = [s for s in statuses[1:] if s.id.startswith("jira:")]
    open_epics = {
        i.key
        for i in world.jira_issues.values()
        if i.type == "Epic" and world.jira_projects[i.project].status(i.status).category != "done"
    }
    assert {s.title.split()[0] for s in epics} == open_epics
    assert all(isinstance(s.last_activity, datetime) for s in epics)


@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_the_seeded_worlds_roadmap_goals_are_on_track_at_risk_and_done_as_seeded(scale: str) -> None:
    world = build_world(seed=7, scale=Scale.named(scale), now=WORLD_NOW)
    entries = {
        goal.key: RoadmapItemSettings(
            title=goal.title, owner=goal.owner, target_date=goal.target_date, links=list(goal.links)
        )
        for goal in world.roadmap
    }
    statuses = roadmap(entries, world_records(world), config=CONFIG, now=WORLD_NOW)
    shown = {
        s.title: "at risk" if s.at_risk else ("done" if s.category == "done" else "on track") for s in statuses
    }
    assert shown == {goal.title: goal.expected for goal in world.roadmap}
    assert sorted(shown.values()) == ["at risk", "done", "on track"]
