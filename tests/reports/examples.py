"""Realistic readiness and status reports built directly from the schema models, for rendering and delivery tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from schema.readiness import (
    BurnupPoint,
    CheckChange,
    CheckResult,
    Contradiction,
    Evidence,
    Freshness,
    MetricSeries,
    Outcome,
    ReadinessDiff,
    ReadinessReport,
    ReleaseRef,
    RoadmapStatus,
    ScopeSummary,
    Severity,
    StatusReport,
    Verdict,
    verdict_of,
)

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
JIRA = "https://acme.atlassian.net"
GITHUB = "https://github.com/acme/checkout"


def _issue(n: int, detail: str = "") -> Evidence:
    return Evidence(
        record_id=f"jira:acme:issue:{10000 + n}", label=f"CHK-{n}", url=f"{JIRA}/browse/CHK-{n}", detail=detail
    )


def _burnup(days: int, total: float, done_share: float) -> list[BurnupPoint]:
    start = NOW.date() - timedelta(days=days - 1)
    return [
        BurnupPoint(
            day=start + timedelta(days=i),
            done=round(total * done_share * i / (days - 1)),
            total=total * (0.9 + 0.1 * i / (days - 1)),
        )
        for i in range(days)
    ]


def _metric(name: str, hours: int, base: float, drift: float, threshold: float, op: str) -> MetricSeries:
    points = [
        (NOW - timedelta(hours=hours - i), round(base + drift * i / hours + (0.05 * base if i % 7 == 0 else 0), 4))
        for i in range(hours)
    ]
    return MetricSeries(metric=name, points=points, threshold=threshold, op=op)


def readiness(
    *,
    name: str = "2.4.0",
    items_total: int = 160,
    open_items: int = 20,
    hours: int = 72,
    evidence_rows: int = 3,
    hostile: bool = False,
) -> ReadinessReport:
    """A NO-GO release: open blocker bug, red CI, an unmerged PR, an error-rate breach; scope and freshness fine."""
    title = "<script>alert('x')</script> | scope" if hostile else "Scope complete"
    scope_evidence = [_issue(100 + i, "In Progress · assignee dana") for i in range(open_items)]
    checks = [
        CheckResult(
            id="scope_complete",
            title=title,
            outcome=Outcome.FAILED if open_items else Outcome.PASSED,
            severity=Severity.WARNING,
            summary=f"{items_total - open_items} of {items_total} items done; {open_items} still open",
            evidence=scope_evidence,
            owner="dana",
        ),
        CheckResult(
            id="no_blocker_bugs",
            title="No open blocker or critical bugs",
            outcome=Outcome.FAILED,
            severity=Severity.BLOCKER,
            summary="1 open blocker: payment retries double-charge",
            evidence=[_issue(12, "Bug · Blocker · In Progress")],
            owner="alice",
        ),
        CheckResult(
            id="prs_merged",
            title="Every linked PR merged",
            outcome=Outcome.FAILED,
            severity=Severity.BLOCKER,
            summary="1 of 41 linked PRs is open",
            evidence=[
                Evidence(
                    record_id="github:acme/checkout:pr:7",
                    label="acme/checkout#7",
                    url=f"{GITHUB}/pull/7",
                    detail="open · fixes CHK-12",
                )
            ],
            owner="bob",
        ),
        CheckResult(
            id="ci_green",
            title="CI green on the release ref",
            outcome=Outcome.FAILED,
            severity=Severity.BLOCKER,
            summary="e2e-tests failed on v2.4.0",
            evidence=[
                Evidence(
                    record_id=f"github:acme/checkout:check:{i}",
                    label=f"e2e-tests #{i} on v2.4.0",
                    url=f"{GITHUB}/runs/{i}",
                    detail="failure",
                )
                for i in range(evidence_rows)
            ],
        ),
        CheckResult(
            id="github_release",
            title="GitHub release published with notes",
            outcome=Outcome.PASSED,
            severity=Severity.WARNING,
            summary="draft v2.4.0 has notes",
            evidence=[
                Evidence(
                    record_id="github:acme/checkout:release:v2.4.0", label="v2.4.0", url=f"{GITHUB}/releases/v2.4.0"
                )
            ],
        ),
        CheckResult(
            id="metric:error_rate",
            title="Error rate ≤ 2%",
            outcome=Outcome.FAILED,
            severity=Severity.WARNING,
            summary="error rate 2.6% over the last 24 h (threshold ≤ 2%)",
        ),
        CheckResult(
            id="metric:activation",
            title="Activation ≥ 95% of baseline",
            outcome=Outcome.PASSED,
            severity=Severity.WARNING,
            summary="activation 41.2% (baseline 40.0%)",
        ),
        CheckResult(
            id="freshness",
            title="Data freshness",
            outcome=Outcome.PASSED,
            severity=Severity.BLOCKER,
            summary="every source synced within 30 minutes",
        ),
        CheckResult(
            id="version_dates",
            title="Version dates sane",
            outcome=Outcome.SKIPPED,
            severity=Severity.INFO,
            summary="no start date on the version",
        ),
    ]
    return ReadinessReport(
        release=ReleaseRef(
            id="jira:acme:version:10200",
            name=name,
            project="CHK",
            release_date=NOW.date() + timedelta(days=2),
            url=f"{JIRA}/projects/CHK/versions/10200",
        ),
        evaluated_at=NOW,
        verdict=verdict_of(checks),
        checks=checks,
        scope=ScopeSummary(
            items_done=items_total - open_items,
            items_total=items_total,
            points_done=(items_total - open_items) * 2.5,
            points_total=items_total * 2.5,
            by_category={
                "done": items_total - open_items - 2,
                "in_progress": open_items - 5,
                "todo": 5,
                "cancelled": 2,
            },
            prs_open=1,
            prs_merged=40,
            prs_closed=2,
            ci="red",
        ),
        burnup=_burnup(30, items_total, (items_total - open_items) / items_total),
        metrics=[
            _metric("error_rate", hours, 1.5, 1.1, 2.0, "<="),
            _metric("activation", hours, 40.0, 1.2, 38.0, ">="),
        ],
        freshness=[
            Freshness(
                source="jira", stream="issues", last_success=NOW - timedelta(minutes=4), age_minutes=4, stale=False
            ),
            Freshness(
                source="github", stream="pulls", last_success=NOW - timedelta(minutes=12), age_minutes=12, stale=False
            ),
            Freshness(source="posthog", stream="metrics", last_success=None, age_minutes=None, stale=True),
        ],
        diff=ReadinessDiff(
            previous_at=NOW - timedelta(days=1),
            previous_verdict=Verdict.AT_RISK,
            changes=[
                CheckChange(
                    id="ci_green", title="CI green on the release ref", before=Outcome.PASSED, after=Outcome.FAILED
                ),
                CheckChange(
                    id="metric:activation", title="Activation ≥ 95% of baseline", before=None, after=Outcome.PASSED
                ),
            ],
        ),
    )


def go_release() -> ReadinessReport:
    checks = [
        CheckResult(
            id="scope_complete",
            title="Scope complete",
            outcome=Outcome.PASSED,
            severity=Severity.WARNING,
            summary="48 of 48 items done",
        ),
        CheckResult(
            id="ci_green",
            title="CI green on the release ref",
            outcome=Outcome.PASSED,
            severity=Severity.BLOCKER,
            summary="all 6 checks green on v2.3.1",
        ),
    ]
    return ReadinessReport(
        release=ReleaseRef(id="jira:acme:version:10190", name="2.3.1", project="CHK", release_date=NOW.date()),
        evaluated_at=NOW,
        verdict=verdict_of(checks),
        checks=checks,
        scope=ScopeSummary(
            items_done=48,
            items_total=48,
            points_done=96,
            points_total=96,
            by_category={"done": 48},
            prs_open=0,
            prs_merged=12,
            prs_closed=0,
            ci="green",
        ),
        burnup=_burnup(14, 48, 1.0),
    )


def status(*, hostile: bool = False) -> StatusReport:
    nogo = readiness(hostile=hostile)
    return StatusReport(
        generated_at=NOW,
        releases=[nogo, go_release()],
        roadmap=[
            RoadmapStatus(
                id="roadmap:one-click",
                title="One-click checkout",
                owner="dana",
                target_date=date(2026, 12, 1),
                category="in_progress",
                items_done=30,
                items_total=42,
                points_done=70,
                points_total=100,
                last_activity=NOW - timedelta(hours=3),
                at_risk=True,
                forecast_date=date(2026, 12, 9),
                reason="12 items left at 1.4 items/day",
            ),
            RoadmapStatus(
                id="roadmap:wallets",
                title="Wallet payments",
                category="done",
                items_done=12,
                items_total=12,
                points_done=30,
                points_total=30,
                last_activity=NOW - timedelta(days=2),
            ),
        ],
        contradictions=[
            Contradiction(
                rule="done_but_pr_open",
                subject_id="jira:acme:issue:10012",
                subject_label="CHK-12",
                summary="Jira says Done but the linked PR is open",
                evidence=[
                    _issue(12, "Done"),
                    Evidence(
                        record_id="github:acme/checkout:pr:7",
                        label="acme/checkout#7",
                        url=f"{GITHUB}/pull/7",
                        detail="open",
                    ),
                ],
                fix="Merge acme/checkout#7 or move CHK-12 back to In Progress",
            )
        ],
        freshness=nogo.freshness,
    )


def synced_freshness(*, stale: tuple[str, ...] = ("jira/sprints",), never: str | None = None) -> list[Freshness]:
    """The 21 streams a sync of the sandbox leaves, 1 to 21 minutes old; ``stale`` ones 2 to 3 hours old (limit 60),
    and ``never`` a required source that never synced."""
    streams = {
        "jira": ["issues", "status_changes", "versions", "sprints"],
        "github": ["issues", "pull_requests", "milestones", "releases", "checks"],
        **{
            source: [f"metric:{m}" for m in ("activation_rate", "daily_active_users", "error_rate", "errors")]
            for source in ("posthog-checkout", "amplitude-mobile-app", "mixpanel-checkout")
        },
    }
    rows = []
    for n, (source, stream) in enumerate((s, t) for s, names in streams.items() for t in names):
        name = f"{source}/{stream}"
        minutes = 120.0 + 30 * stale.index(name) if name in stale else float(n + 1)
        rows.append(
            Freshness(
                source=source,
                stream=stream,
                last_success=NOW - timedelta(minutes=minutes),
                age_minutes=minutes,
                stale=name in stale,
            )
        )
    if never is not None:
        rows.append(Freshness(source=never, stream="*", last_success=None, age_minutes=None, stale=True))
    return rows
