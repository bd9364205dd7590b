"""Launch readiness of one release: configurable checks over its scope, CI, metrics and sync freshness → a verdict.

:func:`evaluate` is pure: a :class:`sync.scope.ReleaseScope`, the metric points, the sync history and the previous
report in, a :class:`schema.readiness.ReadinessReport` out. :func:`readiness_for` is the thin shell that gathers
those inputs from the store and keeps the newest report per release in the store's audit table (action
``readiness_report``, one entry each time the verdict or a check's outcome changes), so the next evaluation can say
what changed.

The checks (ids are stable; severities and thresholds come from :class:`ReadinessConfig`):

- ``scope_complete`` — at least ``items_pct`` % of the work items and ``points_pct`` % of the story points done;
- ``no_open_blockers`` — no open item of a blocker priority (of the configured types, bugs by default);
- ``prs_merged`` — no pull request in scope still open (closed unmerged ones were abandoned, not pending);
- ``ci_green`` — the newest result of every check on the release's refs succeeded (none at all fails);
- ``github_release`` — each linked repo has a GitHub release for it, with notes (and published, if required);
- ``release_dates`` — a release date is set, not passed while unreleased, and the start date is not after it;
- ``metric:<name>`` — one per guardrail: the recent value against a threshold or a % of a baseline window;
- ``freshness`` — every source synced within its maximum age; a stale or never-synced source fails.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from statistics import fmean
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schema import (
    Check,
    CheckState,
    MetricPoint,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    StatusCategory,
    WorkItem,
)
from schema.readiness import (
    BurnupPoint,
    CheckChange,
    CheckResult,
    Evidence,
    Freshness,
    MetricSeries,
    Outcome,
    ReadinessDiff,
    ReadinessReport,
    Severity,
    verdict_of,
)
from sync.collector import collector_paused
from sync.metrics import MetricSelector, Op, compare, covers, metric_points, point_evidence, selected, window
from sync.overview import CiState, ci_state, latest_checks, release_ref, scope_summary
from sync.scope import ReleaseScope, release_scope
from sync.store import Store

REPORT_ACTION = "readiness_report"
_AUDIT_SCAN = 200  # newest audit entries of a release searched for its last report

# ------------------------------------------------------------------------------------------------------ config


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSettings(_Config):
    enabled: bool = Field(True, description="A disabled check is reported as skipped.")
    severity: Severity = Severity.WARNING


class ScopeCheck(CheckSettings):
    items_pct: float = Field(100.0, ge=0, le=100, description="Share of work items that must be done (or cancelled).")
    points_pct: float = Field(100.0, ge=0, le=100, description="Share of story points that must be done.")


class BlockerCheck(CheckSettings):
    severity: Severity = Severity.BLOCKER
    priorities: list[str] = Field(
        default_factory=lambda: ["Blocker", "Highest", "Critical"], description="Case-insensitive priority names."
    )
    types: list[str] = Field(
        default_factory=lambda: ["bug"], description="Work item types that count (bug, story, task …); [] = all."
    )


class CiCheck(CheckSettings):
    severity: Severity = Severity.BLOCKER
    pending_fails: bool = Field(True, description="A check still running on the release ref fails the gate.")


class GitHubReleaseCheck(CheckSettings):
    require_notes: bool = True
    require_published: bool = False


class MetricGuardrail(MetricSelector):
    """``metric op threshold``, the threshold absolute or ``baseline_pct`` % of the baseline window's mean."""

    op: Op
    threshold: float | None = None
    baseline_pct: float | None = Field(None, gt=0, description="e.g. 90 → at least 90 % of the baseline (op >=).")
    current_days: int = Field(1, ge=1, description="Days of points averaged into the value that is judged.")
    baseline_days: int = Field(28, ge=1, description="Days before the current window averaged into the baseline.")
    lag_days: int = Field(0, ge=0, description="Newest days left out: analytics numbers settle late.")
    applies_to: list[str] = Field(
        default_factory=list, description="Jira project keys / GitHub repos whose releases it judges; [] = all."
    )
    severity: Severity = Severity.WARNING

    def judges(self, release: Release) -> bool:
        return covers(self.applies_to, release)

    @property
    def title(self) -> str:
        limit = f"{self.threshold:g}" if self.threshold is not None else f"{self.baseline_pct:g} % of baseline"
        return f"Guardrail {self.metric} {self.op} {limit}"

    @model_validator(mode="after")
    def _one_threshold(self) -> Self:
        if (self.threshold is None) == (self.baseline_pct is None):
            raise ValueError(f"guardrail {self.metric}: set exactly one of threshold or baseline_pct")
        return self


class FreshnessCheck(CheckSettings):
    severity: Severity = Severity.BLOCKER
    max_age_minutes: float = Field(60.0, gt=0, description="Default maximum age of a source's last successful sync.")
    per_source: dict[str, float] = Field(default_factory=dict, description="Maximum age per source name.")
    required_sources: list[str] = Field(
        default_factory=list, description="Sources that must have synced; every source that ever synced counts too."
    )

    def limit(self, source: str) -> float:
        return self.per_source.get(source, self.max_age_minutes)


class ReadinessConfig(_Config):
    """``[readiness]`` in pmhub.toml."""

    scope_complete: ScopeCheck = ScopeCheck()
    no_open_blockers: BlockerCheck = BlockerCheck()
    prs_merged: CheckSettings = CheckSettings()
    ci_green: CiCheck = CiCheck()
    github_release: GitHubReleaseCheck = GitHubReleaseCheck()
    release_dates: CheckSettings = CheckSettings()
    guardrails: list[MetricGuardrail] = Field(default_factory=list)
    freshness: FreshnessCheck = FreshnessCheck()
    max_evidence: int = Field(25, ge=1, description="Evidence records listed per check; the summary counts all.")
    burnup_days: int = Field(120, ge=1, description="Longest burn-up series, in days up to the evaluation.")
    metric_days: int = Field(30, ge=1, description="Days of metric points shown per guardrail.")


# ---------------------------------------------------------------------------------------------------- evidence


def item_evidence(item: WorkItem) -> Evidence:
    parts = [item.status.original]
    if item.priority:
        parts.append(item.priority)
    if item.assignee:
        parts.append(f"assignee {item.assignee}")
    return Evidence(record_id=item.id, label=item.source.key or item.id, url=item.source.url, detail=" · ".join(parts))


def pr_evidence(pr: PullRequest) -> Evidence:
    state = "draft" if pr.draft and pr.state is PullRequestState.OPEN else pr.state.value
    detail = f"{state} · by {pr.author}" if pr.author else state
    return Evidence(record_id=pr.id, label=f"{pr.source.instance}#{pr.number}", url=pr.source.url, detail=detail)


def check_evidence(check: Check) -> Evidence:
    return Evidence(
        record_id=check.id,
        label=f"{check.name} on {check.ref}",
        url=check.details_url,
        detail=f"{check.source.instance} · {check.state.value} ({check.conclusion_original})",
    )


def release_evidence(release: Release) -> Evidence:
    label = f"{release.project} {release.name}"
    dates = f"start {release.start_date or '—'} · release {release.release_date or '—'}"
    kind = "draft" if release.draft else ("released" if release.released else "unreleased")
    return Evidence(record_id=release.id, label=label, url=release.source.url, detail=f"{kind} · {dates}")


TITLES = {
    "scope_complete": "Scope complete",
    "no_open_blockers": "No open blockers",
    "prs_merged": "Linked pull requests merged",
    "ci_green": "CI green on the release ref",
    "github_release": "GitHub release drafted with notes",
    "release_dates": "Version dates sane",
    "freshness": "Data freshness",
}


def _owner(owners: Iterable[str | None]) -> str | None:
    """The person most of the failing evidence belongs to (ties: alphabetical)."""
    counts = Counter(o for o in owners if o)
    if not counts:
        return None
    return min(counts, key=lambda o: (-counts[o], o))


def _pct(part: float, whole: float) -> float:
    return 100.0 if whole == 0 else 100.0 * part / whole


def _skipped(check_id: str, settings: CheckSettings, summary: str) -> CheckResult:
    return CheckResult(
        id=check_id, title=TITLES[check_id], outcome=Outcome.SKIPPED, severity=settings.severity, summary=summary
    )


_OPEN_ORDER = {StatusCategory.IN_PROGRESS: 0, StatusCategory.TODO: 1}


@dataclass
class _Tally:
    """One pass over a scope's work items: what the checks, the summary and the burn-up need (10,000 items are
    read once, not once per check)."""

    by_category: Counter[StatusCategory] = field(default_factory=Counter)
    points_done: float = 0.0
    points_total: float = 0.0
    open_items: list[WorkItem] = field(default_factory=list)
    created: dict[date, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    finished: dict[date, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))

    @classmethod
    def of(cls, items: Iterable[WorkItem]) -> _Tally:
        tally = cls()
        for item in items:
            category = item.status.category
            tally.by_category[category] += 1
            if category is StatusCategory.CANCELLED:
                continue
            points = item.story_points or 0.0
            tally.points_total += points
            created = tally.created[item.created.date()]
            created[0] += 1
            created[1] += points
            if category is StatusCategory.DONE:
                tally.points_done += points
                finished = tally.finished[(item.resolved or item.updated).date()]
                finished[0] += 1
                finished[1] += points
            else:
                tally.open_items.append(item)
        tally.open_items.sort(key=lambda i: (_OPEN_ORDER.get(i.status.category, 2), i.source.key or i.id))
        return tally

    @property
    def items_done(self) -> int:
        return self.by_category[StatusCategory.DONE] + self.by_category[StatusCategory.CANCELLED]

    @property
    def items_total(self) -> int:
        return sum(self.by_category.values())


class _Checks:
    """Builds the check results of one evaluation; the inputs never change while it runs."""

    def __init__(self, scope: ReleaseScope, tally: _Tally, config: ReadinessConfig, now: datetime) -> None:
        self.scope = scope
        self.tally = tally
        self.config = config
        self.now = now

    def result(
        self,
        check_id: str,
        settings: CheckSettings,
        failed: bool,
        summary: str,
        evidence: Iterable[Evidence] = (),
        owners: Iterable[str | None] = (),
    ) -> CheckResult:
        return CheckResult(
            id=check_id,
            title=TITLES[check_id],
            outcome=Outcome.FAILED if failed else Outcome.PASSED,
            severity=settings.severity,
            summary=summary,
            evidence=list(islice(evidence, self.config.max_evidence)),
            owner=_owner(owners) if failed else None,
        )

    def scope_complete(self) -> CheckResult:
        cfg = self.config.scope_complete
        tally = self.tally
        done, total = tally.items_done, tally.items_total
        if not total:
            return self.result("scope_complete", cfg, True, "No work items are in this release's scope.")
        items_pct, points_pct = _pct(done, total), _pct(tally.points_done, tally.points_total)
        failed = items_pct < cfg.items_pct or points_pct < cfg.points_pct
        open_items = tally.open_items
        summary = (
            f"{done}/{total} items ({items_pct:.0f} %, need {cfg.items_pct:.0f} %), "
            f"{tally.points_done:g}/{tally.points_total:g} points ({points_pct:.0f} %, need {cfg.points_pct:.0f} %); "
            f"{len(open_items)} open"
        )
        evidence = (item_evidence(i) for i in open_items)
        return self.result("scope_complete", cfg, failed, summary, evidence, (i.assignee for i in open_items))

    def no_open_blockers(self) -> CheckResult:
        cfg = self.config.no_open_blockers
        priorities = {p.casefold() for p in cfg.priorities}
        types = {t.casefold() for t in cfg.types}
        found = [
            i
            for i in self.tally.open_items
            if (i.priority or "").casefold() in priorities and (not types or i.type.value in types)
        ]
        kinds = "/".join(cfg.types) if cfg.types else "item"
        summary = f"{len(found)} open {'/'.join(cfg.priorities)} {kinds}(s)" if found else f"No open blocker {kinds}s."
        return self.result(
            "no_open_blockers",
            cfg,
            bool(found),
            summary,
            (item_evidence(i) for i in found),
            (i.assignee for i in found),
        )

    def prs_merged(self) -> CheckResult:
        cfg = self.config.prs_merged
        prs = self.scope.pull_requests
        still_open = [p for p in prs if p.state is PullRequestState.OPEN]
        merged = sum(p.state is PullRequestState.MERGED for p in prs)
        summary = f"{merged}/{len(prs)} pull requests merged, {len(still_open)} open"
        return self.result(
            "prs_merged",
            cfg,
            bool(still_open),
            summary,
            (pr_evidence(p) for p in still_open),
            (p.author for p in still_open),
        )

    def ci_green(self) -> CheckResult:
        cfg = self.config.ci_green
        newest = latest_checks(self.scope.checks)
        state = ci_state(newest)
        if state is CiState.NONE:
            return self.result("ci_green", cfg, True, "No CI results on the release's refs.")
        red = [c for c in newest if c.state is CheckState.FAILURE]
        pending = [c for c in newest if c.state is CheckState.PENDING]
        failing = red + (pending if cfg.pending_fails else [])
        refs = sorted({c.ref for c in newest})
        if red:
            summary = f"{len(red)} of {len(newest)} checks failing on {', '.join(refs)}"
        elif pending:
            summary = f"{len(pending)} of {len(newest)} checks still running on {', '.join(refs)}"
        else:
            summary = f"All {len(newest)} checks green on {', '.join(refs)}"
        return self.result("ci_green", cfg, bool(failing), summary, [check_evidence(c) for c in failing])

    def github_release(self) -> CheckResult:
        cfg = self.config.github_release
        release = self.scope.release
        own = {release.project.lower()} if release.release_kind is ReleaseKind.GITHUB_MILESTONE else set()
        repos = sorted(self.scope.repos | own | {r.project.lower() for r in self.scope.github_releases})
        if not repos:
            return _skipped("github_release", cfg, "No GitHub repository is linked to this release.")
        problems: list[str] = []
        evidence: list[Evidence] = []
        for repo in repos:
            found = [r for r in self.scope.github_releases if r.project.lower() == repo]
            if not found:
                problems.append(f"no GitHub release in {repo}")
                continue
            gh = max(found, key=lambda r: (not r.draft, r.updated))
            evidence.append(
                Evidence(
                    record_id=gh.id,
                    label=f"{repo} {gh.tag_name or gh.name}",
                    url=gh.source.url,
                    detail=("draft" if gh.draft else "published") + ("" if gh.description.strip() else " · no notes"),
                )
            )
            if cfg.require_notes and not gh.description.strip():
                problems.append(f"{repo} {gh.tag_name or gh.name} has no release notes")
            if cfg.require_published and gh.draft:
                problems.append(f"{repo} {gh.tag_name or gh.name} is still a draft")
        summary = "; ".join(problems) if problems else f"Release ready in {', '.join(repos)}"
        return self.result("github_release", cfg, bool(problems), summary, evidence)

    def release_dates(self) -> CheckResult:
        cfg = self.config.release_dates
        release = self.scope.release
        problems: list[str] = []
        if release.release_date is None:
            problems.append("no release date set")
        elif not release.released and release.release_date < self.now.date():
            problems.append(f"release date {release.release_date} has passed and it is not released")
        if release.start_date and release.release_date and release.start_date > release.release_date:
            problems.append(f"starts {release.start_date}, after its release date {release.release_date}")
        summary = "; ".join(problems) if problems else f"Release date {release.release_date}"
        return self.result("release_dates", cfg, bool(problems), summary, [release_evidence(release)])

    def freshness(self, rows: list[Freshness]) -> CheckResult:
        cfg = self.config.freshness
        stale = [f for f in rows if f.stale]
        evidence = [
            Evidence(
                record_id=f"{f.source}/{f.stream}",
                label=f"{f.source} {f.stream}",
                detail="never synced"
                if f.last_success is None
                else f"synced {f.age_minutes:.0f} min ago (limit {cfg.limit(f.source):g})",
            )
            for f in stale
        ]
        if not rows:
            summary = "No source has ever synced successfully."
        elif stale:
            summary = f"Stale: {', '.join(e.label for e in evidence)}"
        else:
            summary = f"All {len(rows)} streams synced within their limits"
        return self.result("freshness", cfg, not rows or bool(stale), summary, evidence)


# ------------------------------------------------------------------------------------------------- freshness


def freshness_rows(
    last_successes: Mapping[tuple[str, str], datetime], config: FreshnessCheck, now: datetime
) -> list[Freshness]:
    rows = []
    for (source, stream), at in sorted(last_successes.items()):
        age = (now - at).total_seconds() / 60
        rows.append(
            Freshness(source=source, stream=stream, last_success=at, age_minutes=age, stale=age > config.limit(source))
        )
    synced = {source for source, _ in last_successes}
    for source in sorted(set(config.required_sources) - synced):
        rows.append(Freshness(source=source, stream="*", last_success=None, age_minutes=None, stale=True))
    return rows


# --------------------------------------------------------------------------------------------------- metrics


def judge(
    guardrail: MetricGuardrail,
    current: Sequence[MetricPoint],
    baseline: Sequence[MetricPoint],
    *,
    no_data: str,
    no_baseline: str,
    title: str | None = None,
) -> tuple[CheckResult, float | None]:
    """The guardrail's result over the ``current`` points (the ``baseline`` points set a ``baseline_pct``
    threshold), and the threshold applied; ``no_data`` and ``no_baseline`` say what is missing when it fails so."""
    g = guardrail
    threshold = g.threshold
    if threshold is None and g.baseline_pct is not None:
        threshold = fmean(p.value for p in baseline) * g.baseline_pct / 100 if baseline else None
    evidence: list[Evidence] = []
    if not current:
        failed, summary = True, no_data
    elif threshold is None:
        failed, summary = True, no_baseline
    else:
        value = fmean(p.value for p in current)
        failed = not compare(value, g.op, threshold)
        summary = f"{g.metric} = {value:.4g} ({'breaks' if failed else 'meets'} {g.op} {threshold:.4g})"
        evidence.append(point_evidence(current[-1]))
    result = CheckResult(
        id=f"metric:{g.metric}",
        title=title or g.title,
        outcome=Outcome.FAILED if failed else Outcome.PASSED,
        severity=g.severity,
        summary=summary,
        evidence=evidence,
    )
    return result, threshold


def guardrail_check(
    guardrail: MetricGuardrail, metrics: Iterable[MetricPoint], now: datetime, series_days: int
) -> tuple[CheckResult, MetricSeries]:
    g = guardrail
    points = selected(g, metrics)
    end = now - timedelta(days=g.lag_days)
    start = end - timedelta(days=g.current_days)
    result, threshold = judge(
        g,
        window(points, start, end),
        window(points, start - timedelta(days=g.baseline_days), start),
        no_data=f"No {g.metric} data between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC.",
        no_baseline=f"No {g.metric} baseline in the {g.baseline_days} days before {start:%Y-%m-%d}.",
    )
    shown = [(p.bucket, p.value) for p in points if p.bucket >= now - timedelta(days=series_days)]
    return result, MetricSeries(metric=g.metric, points=shown, threshold=threshold, op=g.op)


# ----------------------------------------------------------------------------------------------- burn-up, diff


def _burnup(tally: _Tally, start: date | None, end: date, max_days: int) -> list[BurnupPoint]:
    if not tally.created:
        return []
    unit = 1 if tally.points_total > 0 else 0  # index into the [items, points] pairs
    earliest = min(tally.created)
    first = max(min(start or earliest, earliest), end - timedelta(days=max_days - 1))
    if first > end:
        return []
    total = sum(pair[unit] for day, pair in tally.created.items() if day < first)
    done = sum(pair[unit] for day, pair in tally.finished.items() if day < first)
    series = []
    for n in range((end - first).days + 1):
        day = first + timedelta(days=n)
        total += tally.created[day][unit] if day in tally.created else 0.0
        done += tally.finished[day][unit] if day in tally.finished else 0.0
        series.append(BurnupPoint(day=day, done=done, total=total))
    return series


def burnup(items: Iterable[WorkItem], start: date | None, end: date, max_days: int) -> list[BurnupPoint]:
    """Done and total per day, in story points when the scope has any, else in items; cancelled work is left out."""
    return _burnup(_Tally.of(items), start, end, max_days)


def diff(checks: Sequence[CheckResult], previous: ReadinessReport | None) -> ReadinessDiff:
    if previous is None:
        return ReadinessDiff()
    before = {c.id: c.outcome for c in previous.checks}
    changes = [
        CheckChange(id=c.id, title=c.title, before=before.get(c.id), after=c.outcome)
        for c in checks
        if before.get(c.id) is not c.outcome
    ]
    return ReadinessDiff(previous_at=previous.evaluated_at, previous_verdict=previous.verdict, changes=changes)


# ------------------------------------------------------------------------------------------------------ verdict


def evaluate(
    scope: ReleaseScope,
    *,
    metrics: Iterable[MetricPoint] = (),
    freshness: Mapping[tuple[str, str], datetime],
    config: ReadinessConfig,
    now: datetime,
    previous: ReadinessReport | None = None,
) -> ReadinessReport:
    """The readiness report of ``scope`` at ``now``; ``freshness`` is ``store.runs.last_successes()``."""
    tally = _Tally.of(scope.items)
    build = _Checks(scope, tally, config, now)
    named: list[tuple[str, CheckSettings, Callable[[], CheckResult]]] = [
        ("scope_complete", config.scope_complete, build.scope_complete),
        ("no_open_blockers", config.no_open_blockers, build.no_open_blockers),
        ("prs_merged", config.prs_merged, build.prs_merged),
        ("ci_green", config.ci_green, build.ci_green),
        ("github_release", config.github_release, build.github_release),
        ("release_dates", config.release_dates, build.release_dates),
    ]
    checks = [run() if cfg.enabled else _skipped(cid, cfg, "Disabled in config.") for cid, cfg, run in named]

    metric_points = list(metrics)
    series: list[MetricSeries] = []
    for guardrail in (g for g in config.guardrails if g.judges(scope.release)):
        result, points = guardrail_check(guardrail, metric_points, now, config.metric_days)
        checks.append(result)
        series.append(points)

    rows = freshness_rows(freshness, config.freshness, now)
    enabled = config.freshness.enabled
    checks.append(build.freshness(rows) if enabled else _skipped("freshness", config.freshness, "Disabled in config."))

    release = scope.release
    return ReadinessReport(
        release=release_ref(release),
        evaluated_at=now,
        verdict=verdict_of(checks),
        checks=checks,
        scope=scope_summary(scope),
        burnup=_burnup(tally, release.start_date, now.date(), config.burnup_days),
        metrics=series,
        freshness=rows,
        diff=diff(checks, previous),
    )


# -------------------------------------------------------------------------------------------------------- shell


def last_report(store: Store, release_id: str) -> ReadinessReport | None:
    for entry in store.audit.log(target_id=release_id, limit=_AUDIT_SCAN):
        if entry.action == REPORT_ACTION:
            return ReadinessReport.model_validate(entry.detail)
    return None


def _outcomes(report: ReadinessReport) -> tuple[str, dict[str, Outcome]]:
    return report.verdict.value, {c.id: c.outcome for c in report.checks}


def save_report(store: Store, report: ReadinessReport, previous: ReadinessReport | None) -> bool:
    """Keep ``report`` as the release's last one when its verdict or a check's outcome changed; True if kept."""
    if previous is not None and _outcomes(previous) == _outcomes(report):
        return False
    store.audit.add(REPORT_ACTION, report.release.id, report.model_dump(mode="json"))
    return True


def readiness_for(
    store: Store, release: Release, config: ReadinessConfig, now: datetime, *, persist: bool = True
) -> ReadinessReport:
    """Evaluate ``release`` from the store; the diff is against the last report kept for it."""
    # the scope's records die by reference counting when _evaluate_stored returns, before the collector resumes
    with collector_paused():
        report, previous = _evaluate_stored(store, release, config, now)
    if persist:
        save_report(store, report, previous)
    return report


def _evaluate_stored(
    store: Store, release: Release, config: ReadinessConfig, now: datetime
) -> tuple[ReadinessReport, ReadinessReport | None]:
    scope = release_scope(store, release)
    metrics = metric_points(store, (g.metric for g in config.guardrails if g.judges(release)))
    previous = last_report(store, release.id)
    report = evaluate(
        scope, metrics=metrics, freshness=store.runs.last_successes(), config=config, now=now, previous=previous
    )
    return report, previous


__all__ = [
    "REPORT_ACTION",
    "BlockerCheck",
    "CheckSettings",
    "CiCheck",
    "FreshnessCheck",
    "GitHubReleaseCheck",
    "MetricGuardrail",
    "ReadinessConfig",
    "ScopeCheck",
    "burnup",
    "check_evidence",
    "compare",
    "diff",
    "evaluate",
    "freshness_rows",
    "guardrail_check",
    "item_evidence",
    "judge",
    "last_report",
    "pr_evidence",
    "readiness_for",
    "release_evidence",
    "save_report",
]
