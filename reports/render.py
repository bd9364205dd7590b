"""Render readiness and status reports as Markdown, self-contained HTML and JSON: pure functions of the models.

Two jinja environments share one template folder: Markdown (no autoescape; every data string goes through ``cell``
or ``link``, which neutralise table pipes, line breaks, link brackets and HTML tags) and HTML (autoescape on, URLs
other than http(s) are dropped, charts from :mod:`reports.charts`). Templates are compiled once per process.

Data freshness is shown per source (:func:`freshness_by_source`): its stalest stream, that stream's age and how many
streams are stale; HTML expands to every stream in a ``<details>`` (no script), Markdown lists a source's streams
only when they are stale (a stream that never synced successfully is stale).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel

from reports import charts
from schema.planning import (
    ChangeDirection,
    LaunchesReport,
    LaunchReview,
    ObjectivesReport,
    ObjectiveState,
    PrioritiesReport,
    ScoreInput,
    TimelineState,
)
from schema.readiness import (
    CheckResult,
    Freshness,
    Outcome,
    ReadinessReport,
    ReleaseRef,
    Severity,
    StatusOverview,
    StatusReport,
    Verdict,
)

Format = Literal["md", "html", "json"]

READINESS_SCHEMA = "pmhub.readiness/1"
STATUS_SCHEMA = "pmhub.status/1"
OBJECTIVES_SCHEMA = "pmhub.objectives/1"
PRIORITIES_SCHEMA = "pmhub.priorities/1"
LAUNCHES_SCHEMA = "pmhub.launches/1"
OVERVIEW_SCHEMA = "pmhub.overview/1"

EVIDENCE_CAP_HTML = 25
EVIDENCE_CAP_MD = 10

_SEVERITY_RANK = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
_OUTCOME_RANK = {Outcome.FAILED: 0, Outcome.PASSED: 1, Outcome.SKIPPED: 2}
_MARK = {Outcome.FAILED: "❌ failed", Outcome.PASSED: "✅ passed", Outcome.SKIPPED: "➖ skipped"}
_VERDICT_MARK = {Verdict.GO: "✅", Verdict.AT_RISK: "⚠️", Verdict.NO_GO: "⛔"}
_VERDICT_CLASS = {Verdict.GO: "go", Verdict.AT_RISK: "at-risk", Verdict.NO_GO: "no-go"}
_OBJECTIVE_MARK = {ObjectiveState.ACHIEVED: "✅", ObjectiveState.ON_TRACK: "🟢", ObjectiveState.AT_RISK: "⚠️"}
_OBJECTIVE_CLASS = {ObjectiveState.ACHIEVED: "go", ObjectiveState.ON_TRACK: "go", ObjectiveState.AT_RISK: "at-risk"}
_TIMELINE_MARK = {
    TimelineState.DONE: "✅",
    TimelineState.ON_TRACK: "🟢",
    TimelineState.AT_RISK: "⚠️",
    TimelineState.BLOCKED: "⛔",
}
_DIRECTION_MARK = {
    ChangeDirection.UP: "▲",
    ChangeDirection.DOWN: "▼",
    ChangeDirection.NO_CHANGE: "＝",
    ChangeDirection.NOT_ENOUGH_DATA: "…",
}


def ordered_checks(checks: list[CheckResult]) -> list[CheckResult]:
    """Failures first (blockers, then warnings, then info), then passes, then skipped; stable within a group."""
    return sorted(checks, key=lambda c: (_OUTCOME_RANK[c.outcome], _SEVERITY_RANK[c.severity]))


def failed(checks: list[CheckResult]) -> list[CheckResult]:
    return [c for c in ordered_checks(checks) if c.outcome is Outcome.FAILED]


def release_label(release: ReleaseRef) -> str:
    """``CHK 2.4.0``: the project and the release name, without repeating a project the name already starts with."""
    if release.name.startswith(release.project):
        return release.name
    return f"{release.project} {release.name}"


def headline(report: ReadinessReport) -> str:
    """``CHK 2.4.0 — NO-GO``: the release and its verdict, used as heading, e-mail subject and chat title."""
    return f"{release_label(report.release)} — {report.verdict.value}"


def failure_counts(report: ReadinessReport) -> str:
    """``2 blockers and 1 warning failed`` or ``all checks passed``."""
    counts = {s: 0 for s in Severity}
    for check in report.checks:
        if check.outcome is Outcome.FAILED:
            counts[check.severity] += 1
    parts = [f"{n} {s.value}{'' if n == 1 else 's'}" for s, n in counts.items() if n]
    return f"{' and '.join(parts)} failed" if parts else "all checks passed"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


@dataclass(frozen=True)
class SourceFreshness:
    """One source's streams, stalest first: a stream that never synced, then the oldest sync."""

    source: str
    streams: list[Freshness]

    @property
    def stalest(self) -> Freshness:
        return self.streams[0]

    @property
    def stale(self) -> list[Freshness]:
        return [f for f in self.streams if f.stale]


def freshness_by_source(rows: list[Freshness]) -> list[SourceFreshness]:
    """Rows grouped per source (sources in name order), each source's streams stalest first."""
    by_source: dict[str, list[Freshness]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    return [
        SourceFreshness(source, sorted(streams, key=lambda f: (-_age(f), f.stream)))
        for source, streams in sorted(by_source.items())
    ]


def _age(row: Freshness) -> float:
    return math.inf if row.age_minutes is None else row.age_minutes


def percent(done: float, total: float) -> str:
    return f"{done / total:.0%}" if total else "—"


def share(value: float | None) -> str:
    """A 0..1 share as a person reads it: ``78 %``; ``—`` when unknown."""
    return "—" if value is None else f"{value:.0%}".replace("%", " %")


def signed_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f} %"


def origins(inputs: list[ScoreInput]) -> str:
    """Where a score's inputs came from: ``Jira field``, or each input's own origin when they differ."""
    found = list(dict.fromkeys(i.origin for i in inputs))
    if len(found) == 1 and not found[0].startswith("label"):
        return found[0]
    return ", ".join(i.origin if i.origin.startswith("label") else f"{i.name}: {i.origin}" for i in inputs)


def moved(review: LaunchReview) -> list[str]:
    """The tracked metrics that moved after a launch, e.g. ``activation_rate ▲ +39.8 %``."""
    return [
        f"{m.metric} {_DIRECTION_MARK[m.direction]} {signed_pct(m.change_pct)}"
        for m in review.metrics
        if m.direction in (ChangeDirection.UP, ChangeDirection.DOWN)
    ]


def web_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None: a report never carries a ``javascript:`` or ``data:`` link."""
    if url and url.split(":", 1)[0].lower() in ("http", "https"):
        return url
    return None


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BLANK_RUN = re.compile(r"\n{3,}")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped, no raw HTML tag (``<=`` stays readable)."""
    text = _TAG_START.sub("&lt;", " ".join(str(value).split()))
    return text.replace("|", "\\|")


def md_link(label: object, url: str | None) -> str:
    text = md_cell(label).replace("[", "\\[").replace("]", "\\]")
    target = web_url(url)
    if target is None:
        return text
    return f"[{text}]({target.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"


def _common(env: Environment) -> Environment:
    env.filters.update(
        when=when, age=age, num=charts.number, web_url=web_url, op=charts.op_symbol, share=share, signed=signed_pct
    )
    env.globals.update(
        ordered_checks=ordered_checks,
        failed=failed,
        headline=headline,
        release_label=release_label,
        failure_counts=failure_counts,
        freshness_by_source=freshness_by_source,
        percent=percent,
        origins=origins,
        moved=moved,
        mark=_MARK,
        verdict_mark=_VERDICT_MARK,
        verdict_class=_VERDICT_CLASS,
        objective_mark=_OBJECTIVE_MARK,
        objective_class=_OBJECTIVE_CLASS,
        timeline_mark=_TIMELINE_MARK,
        direction_mark=_DIRECTION_MARK,
        state_words=charts.STATE_WORDS,
    )
    return env


@cache
def _markdown_env() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=False,  # noqa: S701  # Markdown, not HTML: data strings pass through the cell/link filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters.update(cell=md_cell)
    env.globals.update(link=md_link, cap=EVIDENCE_CAP_MD)
    return _common(env)


@cache
def _html_env() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.globals.update(
        cap=EVIDENCE_CAP_HTML,
        burnup_chart=charts.burnup,
        category_chart=charts.categories,
        sparkline=charts.sparkline,
        timeline_chart=charts.timeline,
        meets=charts.meets,
    )
    return _common(env)


def _render(fmt: Literal["md", "html"], name: str, **context: Any) -> str:
    if fmt == "html":
        return _html_env().get_template(f"{name}.html.j2").render(**context)
    text = _markdown_env().get_template(f"{name}.md.j2").render(**context)
    return _BLANK_RUN.sub("\n\n", text)


def _json(schema: str, report: BaseModel) -> str:
    """``model_dump(mode="json")`` with ``"schema"`` as the first key, serialised by pydantic-core (fast)."""
    body = report.model_dump_json(indent=2)
    return "{\n" + f"  {json.dumps('schema')}: {json.dumps(schema)},\n" + body[2:] + "\n"


def render_readiness(report: ReadinessReport, fmt: Format, *, report_url: str | None = None) -> str:
    """One release's readiness: verdict first, then checks, evidence, changes since last time and freshness."""
    if fmt == "json":
        return _json(READINESS_SCHEMA, report)
    return _render(fmt, "readiness", report=report, report_url=web_url(report_url))


def render_status(status: StatusReport, fmt: Format, *, report_url: str | None = None) -> str:
    """The consolidated status: every release's verdict, the roadmap, contradictions between tools, freshness."""
    if fmt == "json":
        return _json(STATUS_SCHEMA, status)
    return _render(fmt, "status", status=status, report_url=web_url(report_url))


def render_objectives(report: ObjectivesReport, fmt: Format) -> str:
    """Every objective: its state, the share of its work done, its forecast and its KPI, each with the evidence."""
    if fmt == "json":
        return _json(OBJECTIVES_SCHEMA, report)
    return _render(fmt, "objectives", report=report)


def render_priorities(report: PrioritiesReport, fmt: Format) -> str:
    """Each product's ranked backlog with the inputs and formula of every score, then the items it cannot score."""
    if fmt == "json":
        return _json(PRIORITIES_SCHEMA, report)
    return _render(fmt, "priorities", report=report)


def render_launches(report: LaunchesReport, fmt: Format, *, report_url: str | None = None) -> str:
    """Each launch: every tracked metric before and after it, with the change and its interval; the guardrails."""
    if fmt == "json":
        return _json(LAUNCHES_SCHEMA, report)
    return _render(fmt, "launches", report=report, report_url=web_url(report_url))


def render_leadership(status: StatusReport, fmt: Literal["md", "html"], *, report_url: str | None = None) -> str:
    """One screen for leadership: the objectives, the releases at risk, the recent launches and what they moved."""
    return _render(fmt, "leadership", status=status, report_url=web_url(report_url))


def render_overview(overview: StatusOverview, fmt: Literal["md", "json"]) -> str:
    """``pmhub status``: the upcoming releases, data freshness and the webhook deliveries that did not apply."""
    if fmt == "json":
        return _json(OVERVIEW_SCHEMA, overview)
    return _render("md", "overview", overview=overview)


def render_summary(report: ReadinessReport | StatusReport | LaunchReview, *, report_url: str | None = None) -> str:
    """A few lines for chat: the verdict (or the verdict counts, or a launch's broken guardrails), what failed, and a
    link to the full report."""
    if isinstance(report, ReadinessReport):
        return _render("md", "summary_readiness", report=report, report_url=web_url(report_url))
    if isinstance(report, LaunchReview):
        return _render("md", "summary_launch", review=report, report_url=web_url(report_url))
    return _render("md", "summary_status", status=report, report_url=web_url(report_url))


def summary_title(report: ReadinessReport | StatusReport | LaunchReview) -> str:
    """The one-line title for a message: the readiness headline, a launch's guardrails, or the status report's
    date and verdict counts."""
    if isinstance(report, ReadinessReport):
        return headline(report)
    if isinstance(report, LaunchReview):
        broken = len(report.broken)
        held = f"{broken} guardrail{'s' if broken != 1 else ''} broken" if broken else "guardrails hold"
        return f"{release_label(report.release)} since launch — {held}"
    counts = {v: sum(r.verdict is v for r in report.releases) for v in Verdict}
    tally = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n) or "no releases"
    return f"pmhub status {report.generated_at.astimezone(UTC):%Y-%m-%d} — {tally}"


__all__ = [
    "EVIDENCE_CAP_HTML",
    "EVIDENCE_CAP_MD",
    "LAUNCHES_SCHEMA",
    "OBJECTIVES_SCHEMA",
    "OVERVIEW_SCHEMA",
    "PRIORITIES_SCHEMA",
    "READINESS_SCHEMA",
    "STATUS_SCHEMA",
    "Format",
    "SourceFreshness",
    "failed",
    "failure_counts",
    "freshness_by_source",
    "headline",
    "md_cell",
    "md_link",
    "moved",
    "ordered_checks",
    "origins",
    "release_label",
    "render_launches",
    "render_leadership",
    "render_objectives",
    "render_overview",
    "render_priorities",
    "render_readiness",
    "render_status",
    "render_summary",
    "summary_title",
    "web_url",
]
