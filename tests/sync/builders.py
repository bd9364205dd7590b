"""Small record builders for the readiness, roadmap and reconciliation tests: one line per record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectors.base import Mapped
from schema import (
    AnyRecord,
    Check,
    CheckKind,
    CheckState,
    Link,
    MetricPoint,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    Status,
    StatusCategory,
    Tool,
    WorkItem,
    WorkItemType,
    ids,
)
from sync.store import Store

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SITE = "acme.atlassian.net"
REPO = "acme/shop"
VERSION_ID = ids.jira(SITE, "version", 500)
MILESTONE_ID = ids.github(REPO, "milestone", 1)

_CATEGORY = {
    "To Do": StatusCategory.TODO,
    "In Progress": StatusCategory.IN_PROGRESS,
    "Done": StatusCategory.DONE,
    "Won't Do": StatusCategory.CANCELLED,
}


def jira_item(
    number: int,
    status: str = "Done",
    *,
    type: WorkItemType = WorkItemType.STORY,
    points: float | None = None,
    priority: str | None = "Medium",
    assignee: str | None = None,
    release_ids: tuple[str, ...] = (VERSION_ID,),
    epic: int | None = None,
    parent: int | None = None,
    created: datetime | None = None,
    resolved: datetime | None = None,
    project: str = "SHOP",
) -> WorkItem:
    key = f"{project}-{number}"
    category = _CATEGORY[status]
    created = created or NOW - timedelta(days=30)
    if resolved is None and category is StatusCategory.DONE:
        resolved = NOW - timedelta(days=1)
    return WorkItem(
        id=ids.jira(SITE, "issue", number),
        source=SourceRef(
            tool=Tool.JIRA, instance=SITE, native_id=str(number), key=key, url=f"https://{SITE}/browse/{key}"
        ),
        updated=resolved or created,
        type=type,
        type_original=type.value.title(),
        title=f"Work {number}",
        status=Status(category=category, original=status),
        epic_id=ids.jira(SITE, "issue", epic) if epic else None,
        parent_id=ids.jira(SITE, "issue", parent) if parent else None,
        assignee=assignee,
        priority=priority,
        story_points=points,
        release_ids=release_ids,
        created=created,
        resolved=resolved,
    )


def github_issue(number: int, *, closed: bool, repo: str = REPO, release_ids: tuple[str, ...] = ()) -> WorkItem:
    return WorkItem(
        id=ids.github(repo, "issue", number),
        source=SourceRef(
            tool=Tool.GITHUB, instance=repo, native_id=str(number), url=f"https://github.com/{repo}/issues/{number}"
        ),
        updated=NOW - timedelta(days=2),
        type=WorkItemType.ISSUE,
        type_original="issue",
        title=f"Issue {number}",
        status=Status(
            category=StatusCategory.DONE if closed else StatusCategory.TODO, original="closed" if closed else "open"
        ),
        release_ids=release_ids,
        created=NOW - timedelta(days=20),
        resolved=NOW - timedelta(days=2) if closed else None,
    )


def pull(
    number: int,
    state: PullRequestState = PullRequestState.MERGED,
    *,
    author: str | None = "dev",
    repo: str = REPO,
    release_ids: tuple[str, ...] = (MILESTONE_ID,),
) -> PullRequest:
    category = {
        PullRequestState.OPEN: StatusCategory.IN_PROGRESS,
        PullRequestState.MERGED: StatusCategory.DONE,
        PullRequestState.CLOSED: StatusCategory.CANCELLED,
    }[state]
    closed = NOW - timedelta(days=1) if state is not PullRequestState.OPEN else None
    return PullRequest(
        id=ids.github(repo, "pr", number),
        source=SourceRef(
            tool=Tool.GITHUB, instance=repo, native_id=str(number), url=f"https://github.com/{repo}/pull/{number}"
        ),
        updated=closed or NOW - timedelta(days=3),
        number=number,
        title=f"PR {number}",
        state=state,
        status=Status(category=category, original=state.value),
        author=author,
        head_ref=f"feature/{number}",
        base_ref="main",
        release_ids=release_ids,
        created=NOW - timedelta(days=10),
        closed_at=closed,
        merged_at=closed if state is PullRequestState.MERGED else None,
    )


def check(
    name: str, state: CheckState = CheckState.SUCCESS, *, ref: str = "release/2.4.0", at: datetime | None = None
) -> Check:
    return Check(
        id=ids.github(REPO, "check", f"{ref}:run:{name}"),
        source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id=name),
        updated=at or NOW - timedelta(hours=2),
        check_kind=CheckKind.CHECK_RUN,
        name=name,
        ref=ref,
        sha="abc123",
        state=state,
        conclusion_original=state.value,
        details_url=f"https://github.com/{REPO}/runs/{name}",
    )


def version(
    name: str = "2.4.0",
    *,
    released: bool = False,
    start: date | None = date(2026, 10, 1),
    release: date | None = date(2026, 11, 26),
    native: int = 500,
    project: str = "SHOP",
) -> Release:
    return Release(
        id=ids.jira(SITE, "version", native),
        source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id=str(native)),
        updated=NOW - timedelta(days=5),
        release_kind=ReleaseKind.JIRA_VERSION,
        name=name,
        project=project,
        released=released,
        start_date=start,
        release_date=release,
    )


def milestone(name: str = "2.4.0", *, number: int = 1, released: bool = False, due: date | None = None) -> Release:
    return Release(
        id=ids.github(REPO, "milestone", number),
        source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id=str(number), key=name),
        updated=NOW - timedelta(days=5),
        release_kind=ReleaseKind.GITHUB_MILESTONE,
        name=name,
        project=REPO,
        released=released,
        release_date=due,
    )


def github_release(tag: str = "v2.4.0", *, notes: str = "## Changes\n- faster", draft: bool = False) -> Release:
    return Release(
        id=ids.github(REPO, "release", tag),
        source=SourceRef(
            tool=Tool.GITHUB, instance=REPO, native_id=tag, url=f"https://github.com/{REPO}/releases/{tag}"
        ),
        updated=NOW - timedelta(days=1),
        release_kind=ReleaseKind.GITHUB_RELEASE,
        name=tag.removeprefix("v"),
        project=REPO,
        description=notes,
        released=not draft,
        draft=draft,
        tag_name=tag,
    )


def link(from_id: str, to_id: str, kind: str = "mentions") -> Link:
    link_id = ids.link(from_id, to_id, kind)
    return Link(
        id=link_id,
        source=SourceRef(tool=Tool.PMHUB, instance="linker", native_id=link_id),
        updated=NOW - timedelta(days=1),
        from_id=from_id,
        to_id=to_id,
        link_kind=kind,
        evidence_field="title",
        evidence_text="…",
    )


def metric(name: str, value: float, day: date, *, tool: Tool = Tool.POSTHOG) -> MetricPoint:
    bucket = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return MetricPoint(
        id=ids.metric(tool.value, "1", name, bucket, {}),
        source=SourceRef(tool=tool, instance="1", native_id=f"{name}:{day}"),
        updated=bucket,
        metric=name,
        bucket=bucket,
        value=value,
    )


def fresh(*sources: str, age: timedelta = timedelta(minutes=5)) -> dict[tuple[str, str], datetime]:
    return {(source, "all"): NOW - age for source in sources}


def large_release_work() -> tuple[list[WorkItem], list[PullRequest]]:
    """10,000 work items (every fifth open, some blocker bugs) and 2,000 pull requests (every tenth open)."""
    items = [
        jira_item(
            n,
            "Done" if n % 5 else "In Progress",
            points=float(n % 8),
            priority="Highest" if n % 97 == 0 else "Low",
            type=WorkItemType.BUG if n % 3 == 0 else WorkItemType.STORY,
            assignee=f"dev{n % 17}",
            created=NOW - timedelta(days=n % 120 + 1),
        )
        for n in range(1, 10_001)
    ]
    prs = [pull(n, PullRequestState.OPEN if n % 10 == 0 else PullRequestState.MERGED) for n in range(1, 2_001)]
    return items, prs


def put(store: Store, records: list[AnyRecord]) -> None:
    store.records.upsert([Mapped(record=r, raw={}) for r in records], source="test", stream="records")
