"""Use cases shared by the CLI, the Prefect flows and the web app: readiness, the status report, reconciliation
write-back and delivery — the digest at each target's depth, and guardrails broken after a launch (each once) —,
each composed from sync/, reports/ and connectors/ with the configured settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from connectors.notify import (
    DeliveryResult,
    Message,
    deliver,
    launch_message,
    leadership_message,
    readiness_message,
    record,
    status_message,
)
from connectors.notify_config import Audience, NotifyEvent
from hub.settings import Settings
from hub.sources import Sources, SourcesWriteBack, comment_posters
from hub.web.status import inbox_problems
from schema import ConfigError, Release
from schema.planning import LaunchReview
from schema.readiness import ReadinessReport, StatusOverview, StatusReport
from sync import status as sync_status
from sync.overview import release_statuses
from sync.readiness import FreshnessCheck, freshness_rows, readiness_for
from sync.scope import find_release
from sync.store import Store

Format = Literal["md", "html", "json"]
LAUNCH_ALERT = "launch_guardrail_broken"  # audit action: a guardrail found broken after a launch, delivered once
_AUDIT_SCAN = 200


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
    """The consolidated status; each release's readiness is kept as the baseline of its next notification."""
    return sync_status.status_report(store, cfg.status_config(), now, persist=True)


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
    store: Store,
    cfg: Settings,
    message: Message,
    *,
    event: NotifyEvent,
    subject_id: str,
    audience: Audience | None = None,
) -> list[DeliveryResult]:
    """Deliver to every target subscribed to ``event`` (of ``audience``, when given); every result is recorded in
    the audit table."""
    wanted = {
        name: t for name, t in cfg.notify.items() if event in t.events and audience in (None, t.audience)
    }
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


def digest(store: Store, cfg: Settings, report: StatusReport) -> list[DeliveryResult]:
    """The status digest to every target subscribed to ``digest``: the whole report to the team's, one screen to
    leadership's (``[notify.<name>] audience``)."""
    messages: dict[Audience, Message] = {
        "team": status_message_for(report, cfg),
        "leadership": leadership_message(report, report_url=page_url(cfg)),
    }
    return [
        result
        for audience, message in messages.items()
        for result in notify(store, cfg, message, event="digest", subject_id="pmhub:status", audience=audience)
    ]


def launch_alerts(store: Store, cfg: Settings, launches: Sequence[LaunchReview], now: datetime) -> list[str]:
    """Deliver each launch whose guardrails broke after it to the ``readiness`` targets — a guardrail once: it is
    recorded in the audit table (action ``launch_guardrail_broken``) and never delivered again. Returns the
    launches delivered, as 'PROJECT NAME since launch: <guardrails>'."""
    sent = []
    for review in launches:
        release_id = review.release.id
        known = {
            entry.detail.get("check")
            for entry in store.audit.log(target_id=release_id, limit=_AUDIT_SCAN)
            if entry.action == LAUNCH_ALERT
        }
        new = [g for g in review.broken if g.id not in known]
        if not new:
            continue
        for check in new:
            store.audit.add(LAUNCH_ALERT, release_id, {"check": check.id, "summary": check.summary})
        url = page_url(cfg)
        notify(store, cfg, launch_message(review, now, report_url=url), event="readiness", subject_id=release_id)
        sent.append(f"{review.release.project} {review.release.name} since launch: {', '.join(g.id for g in new)}")
    return sent


def write_report(text: str, out: Path | None, default_stem: str, fmt: Format) -> Path:
    path = out or Path(".pmhub") / "reports" / f"{default_stem}.{fmt}"
    if path.is_dir():
        path = path / f"{default_stem}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
