"""The roadmap timeline: rows, their order, states and what counts as slipped; and the sandbox's one slipped item."""

from __future__ import annotations

from datetime import date, timedelta

from schema.planning import TimelineState
from schema.readiness import RoadmapStatus, Verdict
from sync.overview import upcoming_releases
from sync.readiness import readiness_for
from sync.roadmap import plan_from_store
from sync.timeline import timeline
from tests.conftest import Synced
from tests.reports import examples

TODAY = date(2026, 11, 20)


def item(
    ident: str,
    *,
    target: date | None,
    forecast: date | None = None,
    category: str = "in_progress",
    at_risk: bool = False,
    releases: tuple[str, ...] = (),
) -> RoadmapStatus:
    return RoadmapStatus(
        id=ident,
        title=ident.rsplit(":", 1)[-1],
        category=category,
        items_done=1,
        items_total=2,
        points_done=0,
        points_total=0,
        target_date=target,
        forecast_date=forecast,
        at_risk=at_risk,
        start_date=TODAY - timedelta(days=30),
        release_ids=list(releases),
    )


def test_a_forecast_after_the_target_or_a_passed_target_with_work_open_has_slipped() -> None:
    rows = timeline(
        [
            item("pmhub:roadmap:late", target=TODAY + timedelta(days=2), forecast=TODAY + timedelta(days=9)),
            item("pmhub:roadmap:overdue", target=TODAY - timedelta(days=4)),
            item("pmhub:roadmap:fine", target=TODAY + timedelta(days=9), forecast=TODAY + timedelta(days=5)),
            item("pmhub:roadmap:shipped", target=TODAY - timedelta(days=4), category="done"),
        ],
        [],
        [],
        TODAY,
    )
    assert [(r.label, r.slipped, r.slip_days, r.state) for r in rows] == [
        ("late", True, 7, TimelineState.ON_TRACK),
        ("overdue", True, 4, TimelineState.ON_TRACK),
        ("fine", False, None, TimelineState.ON_TRACK),
        ("shipped", False, None, TimelineState.DONE),
    ]


def test_releases_no_item_links_follow_the_configured_items_in_their_verdicts_colour_and_rule_items_come_last() -> (
    None
):
    go, no_go = examples.go_release(), examples.readiness()
    linked = item("pmhub:roadmap:checkout", target=TODAY, releases=(go.release.id,), at_risk=True)
    epic = item("jira:acme:issue:3", target=TODAY + timedelta(days=40))
    forecasts = [
        item(go.release.id, target=TODAY),
        item(no_go.release.id, target=TODAY - timedelta(days=1), category="done"),
    ]
    rows = timeline([linked, epic], forecasts, [go, no_go], TODAY)
    assert [(r.kind, r.id, r.state) for r in rows] == [
        ("roadmap", linked.id, TimelineState.AT_RISK),
        ("release", no_go.release.id, TimelineState.BLOCKED),
        ("roadmap", epic.id, TimelineState.ON_TRACK),
    ]
    assert no_go.verdict is Verdict.NO_GO
    assert rows[1].slipped, "an unreleased release past its date has slipped, even with its work done"
    assert rows[1].detail.startswith("NO-GO: ")


def test_the_sandboxs_roadmap_has_one_slipped_item_and_it_is_the_one_at_risk(synced: Synced) -> None:
    cfg, store, world = synced.settings, synced.store, synced.sandbox.world
    upcoming = upcoming_releases(store)
    roadmap, forecasts = plan_from_store(store, cfg.roadmap_items, cfg.roadmap_rules, world.now, upcoming)
    reports = [readiness_for(store, r, cfg.readiness, world.now, persist=False) for r in upcoming]
    rows = timeline(roadmap, forecasts, reports, world.now.date())
    configured = {r.label: r for r in rows if r.id.startswith("pmhub:roadmap:")}
    assert set(configured) == {g.title for g in world.roadmap}
    slipped = [label for label, r in configured.items() if r.slipped]
    assert slipped == [g.title for g in world.roadmap if g.expected == "at risk"]
    [late] = slipped
    forecast, target = configured[late].forecast, configured[late].target
    assert forecast is not None
    assert target is not None
    assert forecast > target
    release_rows = [r for r in rows if r.kind == "release"]
    linked = {rid for s in roadmap for rid in s.release_ids}
    assert {r.id for r in release_rows} == {r.id for r in upcoming} - linked
    assert all(r.start is not None for r in rows)
