"""The consolidated status a PM reads: per release scope, blockers, pull requests and CI; per source freshness.

Pure summaries of :class:`sync.scope.ReleaseScope` plus the store's sync history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schema import Check, CheckState, PullRequestState, Release, ReleaseKind, StatusCategory, WorkItem
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


@dataclass(frozen=True)
class ReleaseStatus:
    scope: ReleaseScope
    items_done: int
    items_total: int
    points_done: float
    points_total: float
    blockers: list[WorkItem]
    prs_open: int
    prs_merged: int
    ci: CiState

    @property
    def release(self) -> Release:
        return self.scope.release


def summarize(scope: ReleaseScope) -> ReleaseStatus:
    points_done, points_total = scope.points()
    return ReleaseStatus(
        scope=scope,
        items_done=len(scope.done()),
        items_total=len(scope.items),
        points_done=points_done,
        points_total=points_total,
        blockers=blockers(scope.items),
        prs_open=sum(p.state is PullRequestState.OPEN for p in scope.pull_requests),
        prs_merged=sum(p.state is PullRequestState.MERGED for p in scope.pull_requests),
        ci=ci_state(scope.checks),
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


@dataclass(frozen=True)
class Freshness:
    source: str
    stream: str
    last_success: datetime
    age_minutes: float


def freshness(store: Store, now: datetime) -> list[Freshness]:
    return [
        Freshness(source, stream, at, (now - at).total_seconds() / 60)
        for (source, stream), at in sorted(store.runs.last_successes().items())
    ]


def release_statuses(store: Store) -> list[ReleaseStatus]:
    # each scope's records die by reference counting once summarized, before the collector resumes
    with collector_paused():
        return [summarize(release_scope(store, release)) for release in upcoming_releases(store)]
