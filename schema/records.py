"""Record types of the unified model.

Every record has a namespaced ``id``, a :class:`SourceRef` back to where it came from and an ``updated`` instant
that decides which of two writes of the same record wins. ``kind`` is the discriminator used to store and reload
records (:func:`parse_record`).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from schema.status import Status


class Tool(StrEnum):
    JIRA = "jira"
    GITHUB = "github"
    POSTHOG = "posthog"
    AMPLITUDE = "amplitude"
    MIXPANEL = "mixpanel"
    PMHUB = "pmhub"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(_Frozen):
    """Where a record came from: tool, instance (Jira site, ``owner/repo``, analytics project), native id."""

    tool: Tool
    instance: str
    native_id: str
    key: str | None = None
    url: str | None = None


class Record(_Frozen):
    id: str
    source: SourceRef
    updated: AwareDatetime


class WorkItemType(StrEnum):
    EPIC = "epic"
    STORY = "story"
    TASK = "task"
    BUG = "bug"
    SUBTASK = "subtask"
    ISSUE = "issue"


class WorkItem(Record):
    """A Jira issue of any type, or a GitHub issue (pull requests are :class:`PullRequest`)."""

    kind: Literal["work_item"] = "work_item"
    type: WorkItemType
    type_original: str
    title: str
    description: str = ""
    status: Status
    parent_id: str | None = None
    epic_id: str | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    priority: str | None = None
    story_points: float | None = None
    sprint_ids: tuple[str, ...] = ()
    release_ids: tuple[str, ...] = Field(default=(), description="Jira fix versions or the GitHub milestone.")
    remote_urls: tuple[str, ...] = Field(default=(), description="Jira remote links (e.g. GitHub PR URLs).")
    score_fields: dict[str, str] = Field(
        default_factory=dict,
        description="Prioritisation inputs kept in the tool's own fields, by role (reach, impact, confidence, effort, "
        "business_value, time_criticality, risk_reduction, job_size), as the tool shows them (a Jira number or "
        "option value); sync.priorities reads them, and labels, into scores.",
    )
    created: AwareDatetime
    resolved: AwareDatetime | None = None


class ReleaseKind(StrEnum):
    JIRA_VERSION = "jira_version"
    GITHUB_RELEASE = "github_release"
    GITHUB_MILESTONE = "github_milestone"


class Release(Record):
    kind: Literal["release"] = "release"
    release_kind: ReleaseKind
    name: str
    project: str = Field(description="The Jira project key or the GitHub 'owner/repo' the release belongs to.")
    description: str = ""
    released: bool
    draft: bool = False
    prerelease: bool = False
    archived: bool = False
    tag_name: str | None = None
    start_date: date | None = None
    release_date: date | None = None
    released_at: AwareDatetime | None = None


def release_key(name: str) -> str:
    """A release name as the tools' names are compared: ``v2.4.0``, ``V2.4.0``, ``2.4.0`` and ``2.4.0 `` are one."""
    return name.strip().casefold().removeprefix("v")


class Sprint(Record):
    kind: Literal["sprint"] = "sprint"
    name: str
    state: str
    board_id: str | None = None
    goal: str = ""
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    completed: AwareDatetime | None = None


class PullRequestState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MERGED = "merged"


class PullRequest(Record):
    kind: Literal["pull_request"] = "pull_request"
    number: int
    title: str
    body: str = ""
    state: PullRequestState
    status: Status
    draft: bool = False
    author: str | None = None
    head_ref: str
    head_sha: str | None = None
    base_ref: str
    labels: tuple[str, ...] = ()
    release_ids: tuple[str, ...] = Field(default=(), description="The GitHub milestone, if any.")
    created: AwareDatetime
    closed_at: AwareDatetime | None = None
    merged_at: AwareDatetime | None = None


class CheckKind(StrEnum):
    CHECK_RUN = "check_run"
    COMMIT_STATUS = "commit_status"


class CheckState(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    NEUTRAL = "neutral"


class Check(Record):
    """One CI result on a ref: a check run or a commit status."""

    kind: Literal["check"] = "check"
    check_kind: CheckKind
    name: str
    ref: str
    sha: str
    state: CheckState
    conclusion_original: str
    details_url: str | None = None
    completed_at: AwareDatetime | None = None


class StatusChange(Record):
    """One status transition from a Jira changelog (``updated`` is when it happened)."""

    kind: Literal["status_change"] = "status_change"
    item_id: str
    author: str | None = None
    from_status: str | None
    to_status: str


class MetricPoint(Record):
    kind: Literal["metric"] = "metric"
    metric: str
    bucket: AwareDatetime = Field(description="Start of the bucket the value covers.")
    granularity: Literal["hour", "day", "week"] = "day"
    value: float
    dimensions: dict[str, str] = Field(default_factory=dict)


class MetricTarget(_Frozen):
    metric: str
    op: Literal["<=", ">=", "<", ">"]
    value: float


class RoadmapItem(Record):
    kind: Literal["roadmap_item"] = "roadmap_item"
    title: str
    owner: str | None = None
    target_date: date | None = None
    linked_ids: tuple[str, ...] = ()
    metric_targets: tuple[MetricTarget, ...] = ()


class Link(Record):
    """The same work seen in two records, with the evidence that says so."""

    kind: Literal["link"] = "link"
    from_id: str
    to_id: str
    link_kind: str = Field(description="e.g. 'mentions', 'implements', 'same_release', 'remote_link'.")
    evidence_field: str
    evidence_text: str


AnyRecord = Annotated[
    WorkItem | Release | Sprint | PullRequest | Check | StatusChange | MetricPoint | RoadmapItem | Link,
    Field(discriminator="kind"),
]
RecordKind = Literal[
    "work_item", "release", "sprint", "pull_request", "check", "status_change", "metric", "roadmap_item", "link"
]

_ADAPTER: TypeAdapter[AnyRecord] = TypeAdapter(AnyRecord)


def parse_record(data: dict[str, Any] | str | bytes) -> AnyRecord:
    """Load a record dumped with ``model_dump(mode="json")`` (or its JSON text)."""
    if isinstance(data, dict):
        return _ADAPTER.validate_python(data)
    return _ADAPTER.validate_json(data)
