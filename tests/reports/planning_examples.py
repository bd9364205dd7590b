"""Realistic planning views built directly from the schema models: objectives, priorities, the timeline, launches."""

from __future__ import annotations

from datetime import date, timedelta

from schema.planning import (
    ChangeDirection,
    ForecastProgress,
    KpiProgress,
    LaunchesReport,
    LaunchReview,
    MetricChange,
    MetricWindow,
    ObjectiveProgress,
    ObjectivesReport,
    ObjectiveState,
    PrioritiesReport,
    ProductPriorities,
    RankedItem,
    ScoreInput,
    ScoreMethod,
    TimelineRow,
    TimelineState,
    UnscoredItem,
    WorkProgress,
)
from schema.readiness import CheckResult, Evidence, Outcome, ReleaseRef, Severity, StatusReport
from tests.reports import examples

NOW = examples.NOW
TODAY = NOW.date()
HOSTILE = "<script>alert('x')</script> | pipe"


def objective(
    state: ObjectiveState = ObjectiveState.AT_RISK, *, title: str = "More shoppers activate"
) -> ObjectiveProgress:
    at_risk = state is ObjectiveState.AT_RISK
    forecast = TODAY + timedelta(days=40 if at_risk else 10)
    item = Evidence(record_id="pmhub:roadmap:checkout", label="Checkout 2.4.0", detail=f"forecast {forecast}")
    return ObjectiveProgress(
        id="conversion" if at_risk else "engagement",
        title=title,
        owner="Ada Lovelace",
        target_date=TODAY + timedelta(days=30),
        state=state,
        reasons=[f"its last item's forecast {forecast} is after {TODAY + timedelta(days=30)}"] if at_risk else [],
        work=WorkProgress(
            items_done=30,
            items_total=40,
            points_done=70,
            points_total=100,
            share_done=0.7,
            summary="70% done: 70/100 points, 30/40 items, across 1 roadmap item",
            evidence=[Evidence(record_id="pmhub:roadmap:checkout", label="Checkout 2.4.0", detail="in progress")],
        ),
        forecast=ForecastProgress(
            forecast_date=forecast,
            target_date=TODAY + timedelta(days=30),
            on_time=not at_risk,
            summary=f"last item (Checkout 2.4.0) forecast {forecast}",
            evidence=[item],
        ),
        kpi=KpiProgress(
            metric="activation_rate",
            op=">=",
            target=0.6,
            value=0.55,
            met=False,
            summary="activation_rate = 0.55 (mean of 7 days to 2026-11-23); target >= 0.6",
            evidence=[Evidence(record_id="posthog:1:metric:activation_rate:x", label="activation_rate 2026-11-23")],
        ),
    )


def objectives() -> ObjectivesReport:
    return ObjectivesReport(
        generated_at=NOW,
        objectives=[objective(), objective(ObjectiveState.ON_TRACK, title="Mobile grows its daily users")],
    )


def _inputs(origin: str) -> list[ScoreInput]:
    values = {"reach": 500.0, "impact": 2.0, "confidence": 0.8, "effort": 3.0}
    return [
        ScoreInput(name=n, value=v, origin=origin if origin != "label" else f"label {n}:{v:g}")
        for n, v in values.items()
    ]


def product(name: str = "checkout", *, ranked: int = 3, hostile: bool = False) -> ProductPriorities:
    return ProductPriorities(
        product=name,
        method=ScoreMethod.RICE,
        formula="RICE = reach × impact × confidence / effort",
        weights={"reach": 1, "impact": 1, "confidence": 1, "effort": 1},
        tie_break="equal scores: the smaller effort (job size) first, then the older item, then the key",
        ranked=[
            RankedItem(
                record_id=f"jira:acme:issue:{n}",
                label=f"CHK-{n}",
                title=HOSTILE if hostile and n == 1 else f"Item {n}",
                url=f"{examples.JIRA}/browse/CHK-{n}",
                status="To Do",
                inputs=_inputs("Jira field" if n % 2 else "label"),
                rank=n,
                score=800.0 / n,
                formula=f"500 × 2 × 0.8 / {n} = {800 / n:.4g}",
            )
            for n in range(1, ranked + 1)
        ],
        unscored=[
            UnscoredItem(
                record_id="github:acme/checkout:issue:50",
                label="acme/checkout#50",
                title="Harden session timeout",
                url=f"{examples.GITHUB}/issues/50",
                status="open",
                inputs=_inputs("label")[:3],
                missing=["effort"],
                problems=["effort 'lots' is not a number (label effort:lots)"],
            )
        ],
        ranked_total=ranked + 4,
        unscored_total=3,
    )


def priorities(*, hostile: bool = False) -> PrioritiesReport:
    return PrioritiesReport(generated_at=NOW, products=[product(hostile=hostile), product("mobile-app", ranked=0)])


def _row(
    kind: str, ident: str, label: str, days: tuple[int, int, int | None], state: TimelineState, slip: int | None = None
) -> TimelineRow:
    """A row from day offsets to today: (start, target, forecast or None)."""
    start, target, forecast = (None if d is None else TODAY + timedelta(days=d) for d in days)
    return TimelineRow(
        kind=kind,
        id=ident,
        label=label,
        start=start,
        target=target,
        forecast=forecast,
        state=state,
        slipped=slip is not None,
        slip_days=slip,
    )


def timeline_rows(count: int = 4) -> list[TimelineRow]:
    rows = [
        _row("roadmap", "pmhub:roadmap:checkout", "Checkout 2.4.0", (-40, 2, 28), TimelineState.AT_RISK, 26),
        _row("roadmap", "pmhub:roadmap:mobile", "Mobile App 2.4.0", (-40, 2, None), TimelineState.DONE),
        _row("release", "jira:acme:version:3", "CHK 2.3.1", (-45, -6, 400), TimelineState.BLOCKED, 406),
        _row(
            "roadmap",
            "jira:acme:issue:3",
            "CHK-3 A rather long epic title that the chart has to shorten",
            (-120, 30, 20),
            TimelineState.ON_TRACK,
        ),
    ]
    extra = [
        rows[n % len(rows)].model_copy(update={"id": f"row:{n}", "label": f"{rows[n % len(rows)].label} #{n}"})
        for n in range(len(rows), count)
    ]
    return (rows + extra)[:count]


def _window(start: date, mean: float | None, days: int = 14) -> MetricWindow:
    return MetricWindow(start=start, end=start + timedelta(days=days - 1), days=days, mean=mean)


def launch(*, broken: bool = True) -> LaunchReview:
    day = date(2026, 10, 11)
    before, after = _window(day - timedelta(days=14), 0.406), _window(day + timedelta(days=3), 0.568)
    guardrail = CheckResult(
        id="metric:error_rate",
        title="Guardrail error_rate <= 0.02 after launch",
        outcome=Outcome.FAILED if broken else Outcome.PASSED,
        severity=Severity.WARNING,
        summary="error_rate = 0.02446 (breaks <= 0.02)" if broken else "error_rate = 0.0065 (meets <= 0.02)",
    )
    return LaunchReview(
        release=ReleaseRef(
            id="jira:acme:version:2",
            name="2.3.0" if broken else "2.2.0",
            project="CHK",
            released=True,
            release_date=day,
        ),
        launched_on=day,
        launch_source=f"Jira release date {day}",
        complete=True,
        method="percentile bootstrap of the change in the daily mean (2000 resamples, seed 0), 95 % interval",
        metrics=[
            MetricChange(
                metric="activation_rate",
                where="posthog 1000",
                before=before,
                after=after,
                change=0.162,
                change_pct=39.8,
                interval=(0.151, 0.172),
                direction=ChangeDirection.UP,
                summary="activation_rate +39.8 %: up",
            ),
            MetricChange(
                metric="daily_active_users",
                where="posthog 1000",
                before=_window(day - timedelta(days=14), 1050),
                after=_window(day + timedelta(days=3), 1104),
                change=54,
                change_pct=5.1,
                interval=(-60, 170),
                direction=ChangeDirection.NO_CHANGE,
                summary="daily_active_users +5.1 %: no change",
            ),
        ],
        guardrails=[guardrail],
    )


def launches() -> LaunchesReport:
    return LaunchesReport(generated_at=NOW, launches=[launch(), launch(broken=False)])


def status(*, hostile: bool = False) -> StatusReport:
    """The status example with every planning section filled."""
    return examples.status(hostile=hostile).model_copy(
        update={
            "objectives": objectives().objectives,
            "timeline": timeline_rows(),
            "priorities": priorities(hostile=hostile).products,
            "launches": launches().launches,
        }
    )
