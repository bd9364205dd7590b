"""The status a PM reads (``pmhub status``): per upcoming release its scope, blockers, pull requests and CI, as
:class:`schema.readiness.ReleaseOverview` — pure summaries of :class:`sync.scope.ReleaseScope` — and the summary of
a scope that readiness reports carry too (:func:`scope_summary`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from schema import Check, CheckState, PullRequestState, Release, ReleaseKind, StatusCategory, WorkItem
from schema.readiness import Evidence, ReleaseOverview, ReleaseRef, ScopeSummary
from sync.collector import collector_paused
from sync.scope import ReleaseScope, release_scope
from sync.store import Store

DEFAULT_BLOCKER_PRIORITIES = frozenset({"blocker", "highest", "critical"})


class CiState(StrEnum):
    GREEN = "green"
    RED = "red"
    PENDING = "pending"
    NONE = "none"


def latest_checks(checks: Iterable[Check]) -> list[Check]:
    """The newest result per (repo, ref, check name): a re-run replaces the run before it."""
    newest: dict[tuple[str, str, str], Check] = {}
    for check in checks:
        key = (check.source.instance, check.ref, check.name)
        if key not in newest or check.updated > newest[key].updated:
            newest[key] = check
    return sorted(newest.values(), key=lambda c: (c.source.instance, c.ref, c.name))


def ci_state(checks: Iterable[Check]) -> CiState:
    states = {c.state for c in latest_checks(checks)}
    if not states:
        return CiState.NONE
    if CheckState.FAILURE in states:
        return CiState.RED
    if CheckState.PENDING in states:
        return CiState.PENDING
    return CiState.GREEN


def is_open(item: WorkItem) -> bool:
    return item.status.category not in (StatusCategory.DONE, StatusCategory.CANCELLED)


def blockers(items: Iterable[WorkItem], priorities: Iterable[str] = DEFAULT_BLOCKER_PRIORITIES) -> list[WorkItem]:
    wanted = {p.casefold() for p in priorities}
    return [i for i in items if is_open(i) and (i.priority or "").casefold() in wanted]


def scope_summary(scope: ReleaseScope) -> ScopeSummary:
    """Items and points done, work items per status category, pull requests per state and CI of a scope."""
    points_done, points_total = scope.points()
    states = Counter(p.state for p in scope.pull_requests)
    categories = Counter(i.status.category for i in scope.items)
    return ScopeSummary(
        items_done=len(scope.done()),
        items_total=len(scope.items),
        points_done=points_done,
        points_total=points_total,
        by_category={category.value: n for category, n in sorted(categories.items())},
        prs_open=states[PullRequestState.OPEN],
        prs_merged=states[PullRequestState.MERGED],
        prs_closed=states[PullRequestState.CLOSED],
        ci=ci_state(scope.checks).value,
    )


def release_ref(release: Release) -> ReleaseRef:
    return ReleaseRef(
        id=release.id,
        name=release.name,
        project=release.project,
        start_date=release.start_date,
        release_date=release.release_date,
        released=release.released,
        url=release.source.url,
    )


def summarize(scope: ReleaseScope, today: date) -> ReleaseOverview:
    release = scope.release
    return ReleaseOverview(
        release=release_ref(release),
        overdue=release.release_date is not None and release.release_date < today and not release.released,
        scope=scope_summary(scope),
        blockers=[
            Evidence(record_id=b.id, label=b.source.key or b.id, url=b.source.url, detail=b.priority or "")
            for b in blockers(scope.items)
        ],
    )


def upcoming_releases(store: Store) -> list[Release]:
    """Unreleased, unarchived Jira versions (or milestones where no Jira is configured), soonest first."""
    found = [
        r
        for r in store.records.iter(kind="release")
        if isinstance(r, Release) and not r.released and not r.archived
    ]
    versions = [r for r in found if r.release_kind is ReleaseKind.JIRA_VERSION]
    chosen = versions or [r for r in found if r.release_kind is ReleaseKind.GITHUB_MILESTONE]
    return sorted(chosen, key=lambda r: (r.release_date is None, r.release_date, r.project, r.name))


def release_statuses(store: Store, today: date) -> list[ReleaseOverview]:
    # each scope's records die by reference counting once summarized, before the collector resumes
    with collector_paused():
        return [summarize(release_scope(store, release), today) for release in upcoming_releases(store)]
