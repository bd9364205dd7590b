"""Use cases shared by the CLI, the Prefect flows and the web app: readiness, the status report, reconciliation
write-back and delivery, each composed from sync/, reports/ and connectors/ with the configured settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from connectors.notify import (
    DeliveryResult,
    Message,
    deliver,
    readiness_message,
    record,
    status_message,
)
from connectors.notify_config import NotifyEvent
from hub.settings import Settings
from hub.sources import Sources, SourcesWriteBack, comment_posters
from hub.web.status import inbox_problems
from schema import ConfigError, Release
from schema.readiness import ReadinessReport, StatusOverview, StatusReport
from sync.overview import release_statuses, upcoming_releases
from sync.readiness import FreshnessCheck, freshness_rows, readiness_for
from sync.reconcile.write_back import reconcile_store
from sync.roadmap import roadmap_from_store
from sync.scope import find_release
from sync.store import Store

Format = Literal["md", "html", "json"]


def resolve_release(store: Store, name: str, project: str | None = None) -> Release:
    """The one release called ``name`` (``CHK 2.4.0`` or ``2.4.0`` with ``project``); ambiguity is an error."""
    if project is None and " " in name.strip():
        project, name = name.strip().split(" ", 1)
    found = find_release(store, name, project)
    if not found:
        raise ConfigError(f"no release {name!r}{f' in {project}' if project else ''} in the store; run `pmhub sync`")
    if len(found) > 1:
        choices = ", ".join(f"{r.project} {r.name}" for r in found)
        raise ConfigError(f"release {name!r} exists in several projects ({choices}); name one: 'PROJECT {name}'")
    return found[0]


def readiness(store: Store, cfg: Settings, release: Release, now: datetime) -> ReadinessReport:
    return readiness_for(store, release, cfg.readiness, now)


def reevaluate(store: Store, cfg: Settings, releases: Iterable[Release], now: datetime) -> list[str]:
    """Evaluate ``releases`` again; deliver each whose verdict or checks changed since its last report.

    Returns the changed releases as 'PROJECT NAME' (a first evaluation counts as changed but is not delivered).
    """
    changed = []
    for release in releases:
        report = readiness(store, cfg, release, now)
        if report.diff.previous_at is not None and not report.diff.changes:
            continue
        changed.append(f"{release.project} {release.name}")
        if report.diff.previous_at is not None:
            notify(store, cfg, readiness_message_for(report, cfg), event="readiness", subject_id=release.id)
    return changed


def reevaluate_ids(store: Store, cfg: Settings, release_ids: Iterable[str]) -> list[str]:
    """:func:`reevaluate` for the releases a webhook touched (the web app's change hook)."""
    releases = [r for r in map(store.records.get, sorted(release_ids)) if isinstance(r, Release)]
    return reevaluate(store, cfg, releases, datetime.now(UTC))


def status_report(store: Store, cfg: Settings, now: datetime) -> StatusReport:
    return StatusReport(
        generated_at=now,
        releases=[readiness_for(store, release, cfg.readiness, now) for release in upcoming_releases(store)],
        roadmap=roadmap_from_store(store, cfg.roadmap_items, cfg.roadmap_rules, now),
        contradictions=reconcile_store(store, cfg.reconcile, now).contradictions,
        freshness=freshness_rows(store.runs.last_successes(), cfg.readiness.freshness, now),
    )


def overview(store: Store, cfg: Settings, now: datetime, stale_after: float | None = None) -> StatusOverview:
    """What ``pmhub status`` shows; a stream is stale after ``stale_after`` minutes, else by the readiness
    freshness limits."""
    limits = cfg.readiness.freshness
    if stale_after is not None:
        limits = FreshnessCheck(max_age_minutes=stale_after, required_sources=limits.required_sources)
    return StatusOverview(
        generated_at=now,
        releases=release_statuses(store, now.date()),
        freshness=freshness_rows(store.runs.last_successes(), limits, now),
        webhooks=inbox_problems(store),
    )


def write_back(cfg: Settings) -> SourcesWriteBack:
    """The reconciliation executor over every configured Jira site and GitHub repository."""
    return SourcesWriteBack(Sources(cfg))


def notify(
    store: Store, cfg: Settings, message: Message, *, event: NotifyEvent, subject_id: str
) -> list[DeliveryResult]:
    """Deliver to every target subscribed to ``event``; every result is recorded in the audit table."""
    wanted = {name: t for name, t in cfg.notify.items() if event in t.events}
    if not wanted:
        return []
    posters = comment_posters(Sources(cfg)) if any(t.kind != "apprise" for t in wanted.values()) else {}
    results = deliver(message, wanted, event=event, posters=posters)
    record(results, store.audit, subject_id=subject_id)
    return results


def page_url(cfg: Settings, path: str = "/") -> str | None:
    """``path`` on the status page, when pmhub's public URL is configured."""
    return f"{cfg.serve.public_url.rstrip('/')}{path}" if cfg.serve.public_url else None


def readiness_message_for(report: ReadinessReport, cfg: Settings) -> Message:
    release = report.release
    return readiness_message(report, report_url=page_url(cfg, f"/releases/{release.project}/{release.name}"))


def status_message_for(report: StatusReport, cfg: Settings) -> Message:
    return status_message(report, report_url=page_url(cfg))


def write_report(text: str, out: Path | None, default_stem: str, fmt: Format) -> Path:
    path = out or Path(".pmhub") / "reports" / f"{default_stem}.{fmt}"
    if path.is_dir():
        path = path / f"{default_stem}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
