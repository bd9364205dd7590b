"""The roadmap timeline: one row per roadmap item, then one per upcoming release that no roadmap item links — each
with its start, target date, forecast and state, and whether it slipped.

Pure: the roadmap's statuses, the releases' forecasts (:func:`sync.roadmap.plan`) and their readiness reports in,
:class:`schema.planning.TimelineRow` s out. A roadmap row's state is done, at risk or on track (as the roadmap
judges it); a release row's is its verdict (GO on track, AT RISK at risk, NO-GO blocked). A row has **slipped** when
its forecast lands after its target date, or the target date has passed while its work remains (a release: while it
is unreleased); ``slip_days`` is how far past the target the forecast (or, when later, today) is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from schema.planning import TimelineRow, TimelineState
from schema.readiness import Outcome, ReadinessReport, RoadmapStatus, Verdict
from sync.roadmap import CONFIGURED

_VERDICT_STATE = {
    Verdict.GO: TimelineState.ON_TRACK,
    Verdict.AT_RISK: TimelineState.AT_RISK,
    Verdict.NO_GO: TimelineState.BLOCKED,
}


def _slip(status: RoadmapStatus, today: date, finished: bool) -> int | None:
    """Days past the target date, or None when the row has not slipped."""
    target = status.target_date
    if target is None or finished:
        return None
    late = [(d - target).days for d in (status.forecast_date, today) if d is not None and d > target]
    return max(late) if late else None


def _row(kind: str, status: RoadmapStatus, state: TimelineState, today: date, detail: str) -> TimelineRow:
    # a release is finished when it is released (every upcoming release is not), a roadmap item when its work is done
    slip = _slip(status, today, finished=kind == "roadmap" and status.category == "done")
    return TimelineRow(
        kind=kind,
        id=status.id,
        label=status.title,
        start=status.start_date,
        target=status.target_date,
        forecast=status.forecast_date,
        state=state,
        slipped=slip is not None,
        slip_days=slip,
        detail=detail,
    )


def roadmap_state(status: RoadmapStatus) -> TimelineState:
    if status.category == "done":
        return TimelineState.DONE
    return TimelineState.AT_RISK if status.at_risk else TimelineState.ON_TRACK


def timeline(
    roadmap: Sequence[RoadmapStatus],
    release_forecasts: Sequence[RoadmapStatus],
    releases: Sequence[ReadinessReport],
    today: date,
) -> list[TimelineRow]:
    """The configured roadmap items (config order), the upcoming releases no item links (soonest first), then the
    items derived by rule (epics, milestones)."""
    rows = [_row("roadmap", s, roadmap_state(s), today, s.reason) for s in roadmap]
    configured = [r for r in rows if r.id.startswith(CONFIGURED)]
    linked = {release_id for s in roadmap for release_id in s.release_ids}
    forecasts = {s.id: s for s in release_forecasts}
    for report in releases:
        status = forecasts.get(report.release.id)
        if status is None or report.release.id in linked:
            continue
        failing = sum(c.outcome is Outcome.FAILED for c in report.checks)
        detail = report.verdict.value + (f": {failing} failing check{'s' if failing != 1 else ''}" if failing else "")
        configured.append(_row("release", status, _VERDICT_STATE[report.verdict], today, detail))
    return configured + [r for r in rows if not r.id.startswith(CONFIGURED)]


__all__ = ["roadmap_state", "timeline"]
