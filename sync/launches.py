"""Launch reviews: did a release move the numbers, and do its guardrails still hold?

A **launch** is a Jira version with a published GitHub release (the day it was published) or released with a
release date (that day), or a published GitHub release that is no Jira version's (drafts and pre-releases are not
launches). For every launch, each tracked metric — ``[[launch_review.metrics]]`` and the metric of every guardrail
that judges the release — is compared over ``before_days`` days before the launch day and ``after_days`` days
after it, leaving out the first ``settle_days`` days after it (the spike of a fresh release) and the newest
``lag_days`` days (numbers still settling). The change of the daily mean gets a 95 % interval from a percentile
bootstrap (``resamples`` resamples of each window's daily points, a fixed ``seed``: the same data always gives the
same interval); it counts as up or down when the interval excludes 0 and the change is at least
``min_change_pct`` % of the mean before; a window with fewer than ``min_days`` points is not enough data.

Each guardrail of ``[readiness]`` that judges the release is judged again over the after-window (its threshold, or
``baseline_pct`` % of the before-window's mean): failed when broken or without data, skipped while the window has
no data yet. Pure functions (:func:`find_launches`, :func:`review`); :func:`reviews_from_store` is the shell.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean

from pydantic import BaseModel, ConfigDict, Field

from schema import Link, MetricPoint, Release, ReleaseKind, release_key
from schema.planning import ChangeDirection, LaunchesReport, LaunchReview, MetricChange, MetricWindow
from schema.readiness import CheckResult, Outcome
from sync.metrics import MetricSelector, covers, metric_points, selected, settled_until, window
from sync.overview import release_ref
from sync.readiness import MetricGuardrail, judge
from sync.scope import twins
from sync.store import Store


class LaunchMetric(MetricSelector):
    """A metric every launch of the listed projects is reviewed on (``[[launch_review.metrics]]``)."""

    applies_to: list[str] = Field(
        default_factory=list, description="Jira project keys / GitHub repos whose launches it reviews; [] = all."
    )


class LaunchReviewConfig(BaseModel):
    """``[launch_review]`` in pmhub.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before_days: int = Field(14, ge=1, description="Days before the launch day compared.")
    after_days: int = Field(14, ge=1, description="Days after the settling days compared.")
    settle_days: int = Field(3, ge=0, description="Days right after the launch left out.")
    lag_days: int = Field(2, ge=0, description="Newest days left out: analytics numbers settle late.")
    min_days: int = Field(5, ge=2, description="Fewer daily points in a window than this is not enough data.")
    min_change_pct: float = Field(5.0, ge=0, description="Smallest change (% of the mean before) that counts.")
    resamples: int = Field(2000, ge=100, description="Bootstrap resamples.")
    seed: int = Field(0, description="Bootstrap seed: the same data always gives the same interval.")
    recent_days: int = Field(60, ge=1, description="Launches this recent are in the status report and the digest.")
    metrics: list[LaunchMetric] = Field(default_factory=list)

    def method(self) -> str:
        return (
            f"percentile bootstrap of the change in the daily mean ({self.resamples} resamples, seed {self.seed}), "
            f"95 % interval; a change counts when the interval excludes 0 and it is at least "
            f"{self.min_change_pct:g} % of the mean before"
        )


@dataclass(frozen=True)
class Launch:
    release: Release
    day: date
    source: str


# -------------------------------------------------------------------------------------------------- launches


def find_launches(releases: Iterable[Release], links: Iterable[Link]) -> list[Launch]:
    """Every launch, newest first (see the module docstring); ``links`` are the ``same_release`` links."""
    by_id = {r.id: r for r in releases}
    own: dict[str, list[Link]] = {}
    for link in links:
        if link.link_kind == "same_release":
            own.setdefault(link.from_id, []).append(link)
            own.setdefault(link.to_id, []).append(link)
    found: list[Launch] = []
    claimed: set[str] = set()
    for version in (r for r in by_id.values() if r.release_kind is ReleaseKind.JIRA_VERSION):
        published = [(day, gh) for gh in twins(version, by_id, own.get(version.id, []))[1] if (day := _published(gh))]
        claimed.update(gh.id for _, gh in published)
        if published:
            day, first = min(published, key=lambda pair: pair[0])
            found.append(Launch(version, day, f"GitHub release {first.project} {first.tag_name} published {day}"))
        elif version.released and version.release_date is not None:
            found.append(Launch(version, version.release_date, f"Jira release date {version.release_date}"))
    for gh in by_id.values():
        day = _published(gh) if gh.release_kind is ReleaseKind.GITHUB_RELEASE and gh.id not in claimed else None
        if day is not None:
            found.append(Launch(gh, day, f"GitHub release {gh.project} {gh.tag_name} published {day}"))
    return sorted(found, key=lambda lc: (lc.day, lc.release.project, lc.release.name), reverse=True)


def _published(release: Release) -> date | None:
    """The day a GitHub release was published (UTC); None for a draft, a pre-release or one never published."""
    if not release.released or release.draft or release.prerelease or release.released_at is None:
        return None
    return release.released_at.astimezone(UTC).date()


def matching(launches: Sequence[Launch], name: str, project: str | None = None) -> list[Launch]:
    """The launches of a release called ``name`` (``CHK 2.3.0``, or ``2.3.0`` with ``project``)."""
    if project is None and " " in name.strip():
        project, name = name.strip().split(" ", 1)
    wanted = release_key(name)
    return [
        lc
        for lc in launches
        if wanted in (release_key(lc.release.name), release_key(lc.release.tag_name or ""))
        and (project is None or lc.release.project.casefold() == project.casefold())
    ]


# ---------------------------------------------------------------------------------------------------- review


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _percentile(ordered: Sequence[float], share: float) -> float:
    """The ``share`` quantile of sorted values, interpolated linearly."""
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def bootstrap_interval(
    before: Sequence[float], after: Sequence[float], *, resamples: int, seed: int
) -> tuple[float, float]:
    """The 95 % percentile-bootstrap interval of ``mean(after) − mean(before)``."""
    rng = random.Random(seed)
    changes = sorted(
        fmean(rng.choices(after, k=len(after))) - fmean(rng.choices(before, k=len(before))) for _ in range(resamples)
    )
    return _percentile(changes, 0.025), _percentile(changes, 0.975)


@dataclass(frozen=True)
class _Windows:
    before: tuple[datetime, datetime]
    after: tuple[datetime, datetime]
    complete: bool


def _windows(day: date, config: LaunchReviewConfig, now: datetime) -> _Windows:
    cutoff = settled_until(now, config.lag_days)
    after_start = _midnight(day + timedelta(days=config.settle_days))
    after_end = after_start + timedelta(days=config.after_days)
    return _Windows(
        before=(_midnight(day - timedelta(days=config.before_days)), _midnight(day)),
        after=(after_start, min(after_end, cutoff)),
        complete=after_end <= cutoff,
    )


def _stats(points: Sequence[MetricPoint], bounds: tuple[datetime, datetime]) -> MetricWindow:
    start, end = bounds
    last = max(start, end - timedelta(days=1))
    return MetricWindow(
        start=start.date(), end=last.date(), days=len(points), mean=fmean(p.value for p in points) if points else None
    )


def metric_change(
    selector: MetricSelector, points: Sequence[MetricPoint], windows: _Windows, config: LaunchReviewConfig
) -> MetricChange:
    taken = selected(selector, points)
    before_points, after_points = window(taken, *windows.before), window(taken, *windows.after)
    before, after = _stats(before_points, windows.before), _stats(after_points, windows.after)
    common = {"metric": selector.metric, "where": selector.where(), "before": before, "after": after}
    if before.mean is None or after.mean is None or min(before.days, after.days) < config.min_days:
        summary = (
            f"{selector.metric}: not enough data ({before.days} days before, {after.days} after; "
            f"need {config.min_days})"
        )
        none = ChangeDirection.NOT_ENOUGH_DATA
        return MetricChange(**common, change=None, change_pct=None, interval=None, direction=none, summary=summary)
    change = after.mean - before.mean
    pct = 100 * change / before.mean if before.mean else None
    low, high = bootstrap_interval(
        [p.value for p in before_points], [p.value for p in after_points], resamples=config.resamples, seed=config.seed
    )
    big_enough = pct is None or abs(pct) >= config.min_change_pct
    if low > 0 and big_enough:
        direction = ChangeDirection.UP
    elif high < 0 and big_enough:
        direction = ChangeDirection.DOWN
    else:
        direction = ChangeDirection.NO_CHANGE
    relative = f" {pct:+.1f} %" if pct is not None else ""
    summary = (
        f"{selector.metric}{relative} ({before.mean:.4g} → {after.mean:.4g}; 95 % interval {low:+.4g} to "
        f"{high:+.4g}): {direction.value}"
    )
    return MetricChange(
        **common, change=change, change_pct=pct, interval=(low, high), direction=direction, summary=summary
    )


def _guardrail(g: MetricGuardrail, points: Sequence[MetricPoint], windows: _Windows) -> CheckResult:
    taken = selected(g, points)
    current, baseline = window(taken, *windows.after), window(taken, *windows.before)
    title = f"{g.title} after launch"
    start, end = (d.date() for d in windows.after)
    if not current and not windows.complete:
        summary = f"No {g.metric} data after the launch yet (from {start})."
        return CheckResult(
            id=f"metric:{g.metric}", title=title, outcome=Outcome.SKIPPED, severity=g.severity, summary=summary
        )
    result, _ = judge(
        g,
        current,
        baseline,
        no_data=f"No {g.metric} data between {start} and {end}.",
        no_baseline=f"No {g.metric} baseline before the launch.",
        title=title,
    )
    return result


def _tracked(
    release: Release, config: LaunchReviewConfig, guardrails: Sequence[MetricGuardrail]
) -> list[MetricSelector]:
    """The review's metrics, each once: the configured ones for this release, then the guardrails'."""
    chosen: dict[tuple[object, ...], MetricSelector] = {}
    for selector in [*(m for m in config.metrics if covers(m.applies_to, release)), *guardrails]:
        plain = MetricSelector(
            metric=selector.metric, tool=selector.tool, project=selector.project, dimensions=selector.dimensions
        )
        chosen.setdefault((plain.metric, plain.tool, plain.project, tuple(sorted(plain.dimensions.items()))), plain)
    return list(chosen.values())


def review(
    launch: Launch,
    metrics: Sequence[MetricPoint],
    guardrails: Sequence[MetricGuardrail],
    config: LaunchReviewConfig,
    now: datetime,
) -> LaunchReview:
    judged = [g for g in guardrails if g.judges(launch.release)]
    windows = _windows(launch.day, config, now)
    return LaunchReview(
        release=release_ref(launch.release),
        launched_on=launch.day,
        launch_source=launch.source,
        complete=windows.complete,
        method=config.method(),
        metrics=[metric_change(s, metrics, windows, config) for s in _tracked(launch.release, config, judged)],
        guardrails=[_guardrail(g, metrics, windows) for g in judged],
    )


def reviews_from_store(
    store: Store,
    config: LaunchReviewConfig,
    guardrails: Sequence[MetricGuardrail],
    now: datetime,
    *,
    recent: bool = True,
    launches: Sequence[Launch] | None = None,
) -> LaunchesReport:
    """The reviews of ``launches`` (default: every launch; only those of the last ``recent_days`` when ``recent``)."""
    chosen = list(launches if launches is not None else launches_in_store(store))
    if recent:
        since = now.astimezone(UTC).date() - timedelta(days=config.recent_days)
        chosen = [lc for lc in chosen if lc.day >= since]
    names = {m.metric for m in config.metrics} | {g.metric for g in guardrails}
    points = metric_points(store, names) if chosen else []
    return LaunchesReport(generated_at=now, launches=[review(lc, points, guardrails, config, now) for lc in chosen])


def launches_in_store(store: Store) -> list[Launch]:
    releases = [r for r in store.records.iter(kind="release") if isinstance(r, Release)]
    links = [r for r in store.records.iter(kind="link") if isinstance(r, Link) and r.link_kind == "same_release"]
    return find_launches(releases, links)


__all__ = [
    "Launch",
    "LaunchMetric",
    "LaunchReviewConfig",
    "bootstrap_interval",
    "find_launches",
    "launches_in_store",
    "matching",
    "metric_change",
    "review",
    "reviews_from_store",
]
