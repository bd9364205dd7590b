"""The Jira sandbox's search index agrees with a brute-force scan of the world, whatever changes came before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.jira.jql import parse, to_ms
from sandbox.jira.store import JiraStore
from sandbox.world import JiraIssue, Scale, World, build_world

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Pacific/Tongatapu")
_WORLD_SCALE = Scale(jira_issues=80, github_issues=8, pull_requests=8, products=2)

changes = st.lists(
    st.tuples(st.sampled_from(["touch", "transition", "create", "delete"]), st.integers(0, 10_000)), max_size=25
)
windows = st.tuples(st.integers(0, 160), st.integers(0, 160))


def _expected(world: World, project: str, low: datetime, high: datetime) -> list[int]:
    chosen = [i for i in world.jira_issues.values() if i.project == project and low <= i.updated <= high]
    return [i.id for i in sorted(chosen, key=lambda i: (to_ms(i.updated), i.id), reverse=True)]


def _apply(store: JiraStore, kind: str, pick: int) -> None:
    issues: list[JiraIssue] = list(store.world.jira_issues.values())
    issue = issues[pick % len(issues)]
    if kind == "touch":
        store.touch(issue)
    elif kind == "transition":
        project = store.world.jira_projects[issue.project]
        target = next(s for s in project.statuses if s.name != issue.status)
        store.transition(issue, target.name, issue.reporter)
    elif kind == "create":
        store.create(issue.project, "Task", "Created in a property test", issue.reporter)
    elif len(issues) > 1:
        store.delete(issue)


@settings(max_examples=30, deadline=None)
@given(changes, windows)
def test_index_matches_a_scan_after_any_changes(steps: list[tuple[str, int]], window: tuple[int, int]) -> None:
    world = build_world(3, _WORLD_SCALE, now=NOW)
    store = JiraStore(world, clock=lambda: NOW + timedelta(seconds=1))
    for kind, pick in steps:
        _apply(store, kind, pick)
    low = (NOW - timedelta(days=max(window))).replace(second=0)
    high = (NOW - timedelta(days=min(window)) + timedelta(days=1)).replace(second=0)
    text = (
        f'project = CHK AND updated >= "{low.astimezone(ZONE):%Y-%m-%d %H:%M}" '
        f'AND updated <= "{high.astimezone(ZONE):%Y-%m-%d %H:%M}" ORDER BY updated DESC'
    )
    assert store.search(parse(text, world, ZONE)) == _expected(world, "CHK", low, high)


def test_changes_get_strictly_increasing_updated_even_with_a_frozen_clock() -> None:
    world = build_world(3, _WORLD_SCALE, now=NOW)
    store = JiraStore(world, clock=lambda: NOW)
    first, second = list(world.jira_issues.values())[:2]
    store.touch(first)
    store.touch(second)
    assert NOW <= first.updated < second.updated
