"""The PM's planning views as stable data: objectives, the prioritised backlog, the roadmap timeline, launch reviews.

What ``sync.objectives``, ``sync.priorities``, ``sync.timeline`` and ``sync.launches`` compute and ``reports``
renders. Like :mod:`schema.readiness`, their JSON form (``model_dump(mode="json")``) is the documented
``--format json`` output: add fields, never rename them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from schema.evidence import CheckResult, Evidence, FrozenModel, Outcome, ReleaseRef

# -------------------------------------------------------------------------------------------------- objectives


class ObjectiveState(StrEnum):
    ACHIEVED = "achieved"  # the KPI meets its target and the work is done
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"


class WorkProgress(FrozenModel):
    """The share of the objective's work done, from the roadmap items that serve it."""

    items_done: int
    items_total: int
    points_done: float
    points_total: float
    share_done: float | None = Field(description="0..1, in story points when the work has any, else in items.")
    summary: str
    evidence: list[Evidence] = Field(default_factory=list, description="One per roadmap item.")


class ForecastProgress(FrozenModel):
    """When the objective's last item ends at recent throughput, against the objective's date."""

    forecast_date: date | None = Field(description="The latest forecast of its items; None when one has none.")
    target_date: date
    on_time: bool | None = Field(description="None: no forecast (work remains but none was finished lately).")
    summary: str
    evidence: list[Evidence] = Field(default_factory=list, description="The item that ends last, first.")


class KpiProgress(FrozenModel):
    """The KPI's current value (the mean of its recent window) against its target."""

    metric: str
    op: str
    target: float
    value: float | None = Field(description="None: no data in the window.")
    met: bool | None
    summary: str
    evidence: list[Evidence] = Field(default_factory=list, description="The newest point of the window.")


class ObjectiveProgress(FrozenModel):
    id: str = Field(description="The key of [objectives.<name>].")
    title: str
    owner: str | None = None
    target_date: date
    state: ObjectiveState
    reasons: list[str] = Field(default_factory=list, description="Why it is at risk (empty otherwise).")
    work: WorkProgress
    forecast: ForecastProgress
    kpi: KpiProgress


class ObjectivesReport(FrozenModel):
    generated_at: AwareDatetime
    objectives: list[ObjectiveProgress]


# ------------------------------------------------------------------------------------------------- priorities


class ScoreMethod(StrEnum):
    RICE = "rice"
    WSJF = "wsjf"


class ScoreInput(FrozenModel):
    name: str = Field(description="reach, impact, confidence, effort, business_value, …")
    value: float = Field(description="As used by the formula (confidence as a share, 0..1).")
    origin: str = Field(description="Where it was read: 'Jira field', 'label reach:500', 'override in pmhub.toml'.")


class BacklogItem(FrozenModel):
    record_id: str
    label: str = Field(description="CHK-12, acme/checkout#7")
    title: str
    url: str | None = None
    status: str = Field(description="The tool's own status.")
    inputs: list[ScoreInput] = Field(default_factory=list, description="The inputs found, in formula order.")


class RankedItem(BacklogItem):
    rank: int
    score: float
    formula: str = Field(description="The formula with this item's numbers, e.g. '500 × 2 × 0.8 / 3 = 266.7'.")


class UnscoredItem(BacklogItem):
    missing: list[str] = Field(description="Inputs the method needs that the item lacks.")
    problems: list[str] = Field(default_factory=list, description="Values found but not usable, with why.")


class ProductPriorities(FrozenModel):
    product: str
    method: ScoreMethod
    formula: str = Field(description="The method's formula with the configured weights.")
    weights: dict[str, float]
    tie_break: str = Field(description="How equal scores are ordered.")
    ranked: list[RankedItem]
    unscored: list[UnscoredItem]
    ranked_total: int = Field(description="Ranked items in all (``ranked`` may show the first few only).")
    unscored_total: int


class PrioritiesReport(FrozenModel):
    generated_at: AwareDatetime
    products: list[ProductPriorities]


# --------------------------------------------------------------------------------------------------- timeline


class TimelineState(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BLOCKED = "blocked"  # a release judged NO-GO


class TimelineRow(FrozenModel):
    kind: str = Field(description="roadmap or release")
    id: str
    label: str
    start: date | None = None
    target: date | None = None
    forecast: date | None = None
    state: TimelineState
    slipped: bool = Field(description="Its forecast lands after its target, or the target passed with work open.")
    slip_days: int | None = Field(None, description="Days past the target the forecast (or today) is.")
    detail: str = ""


# ------------------------------------------------------------------------------------------------ launch review


class ChangeDirection(StrEnum):
    UP = "up"
    DOWN = "down"
    NO_CHANGE = "no change"
    NOT_ENOUGH_DATA = "not enough data"


class MetricWindow(FrozenModel):
    start: date
    end: date = Field(description="The last day of the window.")
    days: int = Field(description="Daily points found in it.")
    mean: float | None


class MetricChange(FrozenModel):
    """One tracked metric before and after a launch, with a 95 % interval on the change of its daily mean."""

    metric: str
    where: str = Field(description="The analytics tool and project the points come from ('any' when unfiltered).")
    before: MetricWindow
    after: MetricWindow
    change: float | None = Field(description="after.mean − before.mean")
    change_pct: float | None = Field(description="change as a percentage of before.mean")
    interval: tuple[float, float] | None = Field(description="Bootstrap interval of the change (same units).")
    direction: ChangeDirection
    summary: str


class LaunchReview(FrozenModel):
    release: ReleaseRef
    launched_on: date
    launch_source: str = Field(description="What dated the launch: the GitHub release published, or Jira's date.")
    complete: bool = Field(description="The whole after-window has passed (else the numbers are still coming in).")
    method: str = Field(description="How the interval is computed.")
    metrics: list[MetricChange]
    guardrails: list[CheckResult] = Field(description="Each guardrail judged again over the after-window.")

    @property
    def broken(self) -> list[CheckResult]:
        """The guardrails broken after the launch."""
        return [g for g in self.guardrails if g.outcome is Outcome.FAILED]


class LaunchesReport(FrozenModel):
    generated_at: AwareDatetime
    launches: list[LaunchReview]
