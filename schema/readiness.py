"""The launch-readiness verdict of a release, the consolidated status report and the status overview, as stable data.

These models are what ``sync.readiness`` and ``sync.overview`` compute and what ``reports`` renders (Markdown,
HTML, JSON); their JSON form (``model_dump(mode="json")``) is the documented ``--format json`` output of
``pmhub readiness``, ``pmhub report`` and ``pmhub status``, so field names are part of the public interface: add
fields, never rename them.

Verdict rules: any failed check of severity ``blocker`` → NO-GO; else any failed ``warning`` → AT RISK; else GO.
A check that cannot be evaluated for lack of data fails (stale or missing data is never a silent pass) unless it
is not applicable to the release (``skipped``, e.g. no metric guardrails configured).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from schema.evidence import CheckResult, Evidence, FrozenModel, Outcome, ReleaseRef, Severity
from schema.planning import LaunchReview, ObjectiveProgress, ProductPriorities, TimelineRow


class Verdict(StrEnum):
    GO = "GO"
    AT_RISK = "AT RISK"
    NO_GO = "NO-GO"


class BurnupPoint(FrozenModel):
    day: date
    done: float
    total: float


class MetricSeries(FrozenModel):
    metric: str
    points: list[tuple[AwareDatetime, float]]
    threshold: float | None = None
    op: str | None = Field(None, description="How the threshold is applied: '<=', '>=', '<', '>'.")


class Freshness(FrozenModel):
    source: str
    stream: str
    last_success: AwareDatetime | None
    age_minutes: float | None
    stale: bool


class CheckChange(FrozenModel):
    id: str
    title: str
    before: Outcome | None
    after: Outcome


class ReadinessDiff(FrozenModel):
    """What changed since the previous evaluation of the same release."""

    previous_at: AwareDatetime | None = None
    previous_verdict: Verdict | None = None
    changes: list[CheckChange] = Field(default_factory=list)


class ScopeSummary(FrozenModel):
    items_done: int
    items_total: int
    points_done: float
    points_total: float
    by_category: dict[str, int] = Field(description="Work items per status category (todo, in_progress, …).")
    prs_open: int
    prs_merged: int
    prs_closed: int
    ci: str = Field(description="green, red, pending or none")


class ReadinessReport(FrozenModel):
    release: ReleaseRef
    evaluated_at: AwareDatetime
    verdict: Verdict
    checks: list[CheckResult]
    scope: ScopeSummary
    burnup: list[BurnupPoint] = Field(default_factory=list)
    metrics: list[MetricSeries] = Field(default_factory=list)
    freshness: list[Freshness] = Field(default_factory=list)
    diff: ReadinessDiff = Field(default_factory=ReadinessDiff)


def verdict_of(checks: list[CheckResult]) -> Verdict:
    failed = {c.severity for c in checks if c.outcome is Outcome.FAILED}
    if Severity.BLOCKER in failed:
        return Verdict.NO_GO
    if Severity.WARNING in failed:
        return Verdict.AT_RISK
    return Verdict.GO


class Contradiction(FrozenModel):
    """Two tools disagree about the same work; ``fix`` is the suggested write-back."""

    rule: str = Field(description="e.g. 'done_but_pr_open', 'github_closed_jira_open', 'past_due_version'.")
    subject_id: str
    subject_label: str
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)
    fix: str = Field(description="What would resolve it, in words.")


class RoadmapStatus(FrozenModel):
    id: str
    title: str
    owner: str | None = None
    target_date: date | None = None
    category: str = Field(description="todo, in_progress or done, derived from the linked work.")
    items_done: int
    items_total: int
    points_done: float
    points_total: float
    last_activity: AwareDatetime | None = None
    at_risk: bool = False
    forecast_date: date | None = Field(None, description="When the remaining work ends at recent throughput.")
    reason: str = ""
    key: str | None = Field(
        None, description="How the configuration names it: the [roadmap.<name>] key, the epic's key, 'repo@milestone'."
    )
    start_date: date | None = Field(None, description="When its work began: configured, else its versions' start.")
    release_ids: list[str] = Field(default_factory=list, description="The releases (versions, milestones) it links.")


class StatusReport(FrozenModel):
    """The consolidated status across releases and roadmap items."""

    generated_at: AwareDatetime
    releases: list[ReadinessReport]
    roadmap: list[RoadmapStatus] = Field(default_factory=list)
    contradictions: list[Contradiction] = Field(default_factory=list)
    freshness: list[Freshness] = Field(default_factory=list)
    objectives: list[ObjectiveProgress] = Field(default_factory=list)
    timeline: list[TimelineRow] = Field(default_factory=list, description="Roadmap items, then releases no item links.")
    priorities: list[ProductPriorities] = Field(
        default_factory=list, description="Per product, the top of the ranked backlog and the first unscored items."
    )
    launches: list[LaunchReview] = Field(default_factory=list, description="Launches of the last recent_days days.")


class WebhookFailure(FrozenModel):
    """A delivery that did not apply: ``failed`` (retried until its attempts run out) or ``rejected`` (its payload
    lacks what its event needs; never retried), with the reason."""

    delivery_id: str
    tool: str
    event: str
    status: str = Field(description="failed or rejected")
    received_at: AwareDatetime
    attempts: int
    last_error: str | None = None


class ReleaseOverview(FrozenModel):
    """One upcoming release as ``pmhub status`` shows it: scope, open blockers, pull requests, CI."""

    release: ReleaseRef
    overdue: bool = Field(description="Its release date has passed while it is unreleased.")
    scope: ScopeSummary
    blockers: list[Evidence] = Field(default_factory=list, description="Open work items of a blocker priority.")


class StatusOverview(FrozenModel):
    """``pmhub status``: every upcoming release, how fresh each stream is, the webhook deliveries not applied."""

    generated_at: AwareDatetime
    releases: list[ReleaseOverview]
    freshness: list[Freshness] = Field(default_factory=list)
    webhooks: list[WebhookFailure] = Field(default_factory=list)


__all__ = [
    "BurnupPoint",
    "CheckChange",
    "CheckResult",
    "Contradiction",
    "Evidence",
    "Freshness",
    "MetricSeries",
    "Outcome",
    "ReadinessDiff",
    "ReadinessReport",
    "ReleaseOverview",
    "ReleaseRef",
    "RoadmapStatus",
    "ScopeSummary",
    "Severity",
    "StatusOverview",
    "StatusReport",
    "Verdict",
    "WebhookFailure",
    "verdict_of",
]
