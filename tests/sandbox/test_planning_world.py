"""What the world seeds for the PM's planning views: prioritisation inputs on part of the backlog (Jira fields served
by name, GitHub labels), launches that move the analytics and launches that do not, objectives per product."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandbox.analytics.data import FLAG, AnalyticsData
from sandbox.jira import DEFAULT_API_TOKEN, JiraOptions, create_app
from sandbox.jira.store import SCORE_FIELDS
from sandbox.world import Scale, World, build_world
from serving import ServedApp

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(now=NOW)


@pytest.fixture(scope="module")
def jira(world: World) -> Iterator[str]:
    with ServedApp(create_app(world, JiraOptions())) as served:
        yield served.url


def test_part_of_each_backlog_carries_its_products_inputs_and_part_lacks_some(world: World) -> None:
    for product in world.products:
        project = world.jira_projects[product.jira_project]
        backlog = [
            i
            for i in world.jira_issues.values()
            if i.project == project.key
            and i.type in ("Story", "Task", "Bug")
            and project.status(i.status).category == "new"
        ]
        inputs = {
            "rice": {"reach", "impact", "confidence", "effort"},
            "wsjf": {"business_value", "time_criticality", "risk_reduction", "job_size"},
        }[product.score_method]
        assert any(set(i.scores) == inputs for i in backlog), product
        assert any(i.scores and set(i.scores) < inputs for i in backlog), f"{product.name}: some lack one input"
        assert any(not i.scores for i in backlog), f"{product.name}: some have none"
        keys = {i.key for i in backlog}
        assert all(not i.scores for i in world.jira_issues.values() if i.project == project.key and i.key not in keys)
    assert [p.score_method for p in world.products] == ["rice", "wsjf"]


def test_github_issues_of_no_jira_issue_carry_inputs_in_labels_one_of_them_not_a_number(world: World) -> None:
    checkout = world.repos[world.products[0].repo]
    labelled = [i for i in checkout.issues.values() if any(":" in label for label in i.labels)]
    assert labelled
    assert all(not i.title.startswith("[") and i.state == "open" for i in labelled)
    assert any({"reach:" in lb for lb in i.labels} and any(lb.endswith("%") for lb in i.labels) for i in labelled)
    assert sum("effort:lots" in i.labels for i in labelled) == 1
    mobile = world.repos[world.products[1].repo]
    assert any(lb.startswith("job-size:") for i in mobile.issues.values() for lb in i.labels)


def test_jira_serves_the_inputs_in_custom_fields_named_as_teams_name_them(world: World, jira: str) -> None:
    auth = ("ada@acme.example", DEFAULT_API_TOKEN)
    catalogue = {f["name"]: f for f in requests.get(f"{jira}/rest/api/3/field", auth=auth, timeout=10).json()}
    for name in SCORE_FIELDS.values():
        assert catalogue[name]["custom"] is True
        assert catalogue[name]["schema"]["type"] == "number"
    issue = next(i for i in world.jira_issues.values() if len(i.scores) == 4 and "reach" in i.scores)
    fields = requests.get(f"{jira}/rest/api/3/issue/{issue.key}", auth=auth, timeout=10).json()["fields"]
    assert fields[catalogue["Reach"]["id"]] == issue.scores["reach"]
    assert fields[catalogue["Confidence"]["id"]] == issue.scores["confidence"]
    assert fields[catalogue["Job Size"]["id"]] is None


def _rate(data: AnalyticsData, product: str, start: datetime, days: int) -> float:
    first, last = start.date(), (start + timedelta(days=days - 1)).date()
    activated = sum(data.series(product, "activated", first, last, "uniques").values())
    return activated / sum(data.series(product, "signed_up", first, last, "uniques").values())


def test_a_launch_effect_moves_its_event_for_its_users_and_a_launch_without_one_moves_nothing(world: World) -> None:
    data = AnalyticsData.generate(world)
    checkout, mobile = world.products[0], world.products[1]
    launched = {(v.project, v.name): v.release_date for v in world.versions.values() if v.released}
    day = launched[(checkout.jira_project, "2.3.0")]
    assert day is not None
    assert {(e.project, e.version, e.event) for e in world.launch_effects} == {
        (checkout.jira_project, "2.3.0", "activated"),
        (checkout.jira_project, "2.3.0", "error"),
        (mobile.jira_project, "2.3.0", "app_opened"),
    }

    def on(release: str) -> object:
        return lambda props: props["release"] == release and props[FLAG] == "false"

    # the same day, users still on 2.2.0 against those on 2.3.0 (the flag held off): the lift is the release's
    later = day + timedelta(days=1)
    new = data.value(checkout.name, "activated", later, "uniques", on("2.3.0"))  # type: ignore[arg-type]
    signed = data.value(checkout.name, "signed_up", later, "uniques", on("2.3.0"))  # type: ignore[arg-type]
    assert new / signed == pytest.approx(0.4 * 1.25, abs=0.06)
    errors_soon = data.value(checkout.name, "error", day + timedelta(days=10), "totals")
    errors_later = data.value(checkout.name, "error", day + timedelta(days=30), "totals")
    assert errors_soon > 2.5 * errors_later, "errors quadruple for three weeks, then settle"
    before = _rate(data, mobile.name, datetime.combine(day - timedelta(days=14), datetime.min.time(), UTC), 14)
    after = _rate(data, mobile.name, datetime.combine(day + timedelta(days=3), datetime.min.time(), UTC), 14)
    assert after == pytest.approx(before, rel=0.03), "no flag and no effect in the mobile app: activation holds"


def test_each_product_has_an_objective_over_its_roadmap_items_and_the_flag_is_the_checkouts_alone(world: World) -> None:
    keys = {g.key for g in world.roadmap}
    assert [(o.product.jira_project, o.expected) for o in world.objectives] == [("CHK", "at_risk"), ("MOB", "on_track")]
    for goal in world.objectives:
        assert goal.roadmap
        assert set(goal.roadmap) <= keys
    data = AnalyticsData.generate(world)
    cells = data.cells(world.products[1].name, NOW.date() - timedelta(days=5))
    assert {c.flag for c in cells} == {False}


@pytest.mark.parametrize("scale", ["tiny", "small", "medium"])
def test_the_checkouts_next_release_has_a_forecast_in_every_scale(scale: str) -> None:
    seeded = build_world(now=NOW, scale=Scale.named(scale))
    project = seeded.jira_projects["CHK"]
    nxt = seeded.next_release(seeded.products[0])
    recent = NOW - timedelta(days=28)
    work = [i for i in seeded.jira_issues.values() if nxt.id in i.fix_versions]
    assert any(i.resolved and i.resolved >= recent and project.status(i.status).category == "done" for i in work)
    assert sum(project.status(i.status).category != "done" for i in work) >= 2
