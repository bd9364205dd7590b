"""The unified product model: every record pmhub keeps, whichever tool it came from.

Pure pydantic v2, no I/O. Records are immutable value objects with stable namespaced ids (see ``ids``), a reference
back to their source, and timezone-aware datetimes only.
"""

from schema import ids
from schema.errors import (
    BadDataError,
    ConfigError,
    PmhubError,
    RetryLaterError,
    StreamUnavailableError,
    UnmappedStatusError,
)
from schema.records import (
    AnyRecord,
    Check,
    CheckKind,
    CheckState,
    Link,
    MetricPoint,
    MetricTarget,
    PullRequest,
    PullRequestState,
    Record,
    RecordKind,
    Release,
    ReleaseKind,
    RoadmapItem,
    SourceRef,
    Sprint,
    StatusChange,
    Tool,
    WorkItem,
    WorkItemType,
    parse_record,
)
from schema.status import Status, StatusCategory, StatusRules, github_issue_status, github_pr_status, jira_status

__all__ = [
    "AnyRecord",
    "BadDataError",
    "Check",
    "CheckKind",
    "CheckState",
    "ConfigError",
    "Link",
    "MetricPoint",
    "MetricTarget",
    "PmhubError",
    "PullRequest",
    "PullRequestState",
    "Record",
    "RecordKind",
    "Release",
    "ReleaseKind",
    "RetryLaterError",
    "RoadmapItem",
    "SourceRef",
    "Sprint",
    "Status",
    "StatusCategory",
    "StatusChange",
    "StatusRules",
    "StreamUnavailableError",
    "Tool",
    "UnmappedStatusError",
    "WorkItem",
    "WorkItemType",
    "github_issue_status",
    "github_pr_status",
    "ids",
    "jira_status",
    "parse_record",
]
