"""Rendering of launch-readiness and status reports: pure functions from ``schema.readiness`` models to text.

``render_readiness(report, fmt)`` and ``render_status(status, fmt)`` return Markdown (``"md"``), one
self-contained HTML file (``"html"``: inline CSS and SVG charts, no script, nothing fetched) or JSON (``"json"``);
``render_overview(overview, fmt)`` Markdown or JSON;
``render_summary(report)`` returns a few lines for chat, ``summary_title(report)`` the one-line subject. Pass
``report_url=`` to link the full report from the summary and the headers. Nothing here reads or writes files.

JSON (``--format json``) is ``model_dump(mode="json")`` of the model with a leading ``"schema"`` marker; field
names are stable (fields are added, never renamed) and a breaking change bumps the marker's number.

``pmhub.readiness/1`` — one release::

    schema          "pmhub.readiness/1"
    release         {id, name, project, start_date|null, release_date (YYYY-MM-DD|null), released, url|null}
    evaluated_at    ISO 8601 with offset
    verdict         "GO" | "AT RISK" | "NO-GO"
    checks[]        {id, title, outcome ("passed"|"failed"|"skipped"), severity ("blocker"|"warning"|"info"),
                     summary, owner|null, evidence[] {record_id, label, url|null, detail}}
    scope           {items_done, items_total, points_done, points_total, by_category {category: count},
                     prs_open, prs_merged, prs_closed, ci ("green"|"red"|"pending"|"none")}
    burnup[]        {day (YYYY-MM-DD), done, total}
    metrics[]       {metric, points [[ISO 8601, value], …], threshold|null, op ("<="|">="|"<"|">")|null}
    freshness[]     {source, stream, last_success|null, age_minutes|null, stale}
    diff            {previous_at|null, previous_verdict|null, changes[] {id, title, before|null, after}}

``pmhub.status/1`` — across releases::

    schema          "pmhub.status/1"
    generated_at    ISO 8601 with offset
    releases[]      one readiness object each, as above without its "schema" marker
    roadmap[]       {id, title, owner|null, target_date|null, category, items_done, items_total, points_done,
                     points_total, last_activity|null, at_risk, forecast_date|null, reason, key|null,
                     start_date|null, release_ids[]}
    contradictions[] {rule, subject_id, subject_label, summary, evidence[] (as above), fix}
    freshness[]     as above

``pmhub.objectives/1`` — ``pmhub objectives``::

    schema          "pmhub.objectives/1"
    generated_at    ISO 8601 with offset
    objectives[]    {id, title, owner|null, target_date, state ("achieved"|"on_track"|"at_risk"), reasons[],
                     work {items_done, items_total, points_done, points_total, share_done|null, summary, evidence[]},
                     forecast {forecast_date|null, target_date, on_time|null, summary, evidence[]},
                     kpi {metric, op, target, value|null, met|null, summary, evidence[]}}

``pmhub.priorities/1`` — ``pmhub priorities``::

    schema          "pmhub.priorities/1"
    generated_at    ISO 8601 with offset
    products[]      {product, method ("rice"|"wsjf"), formula, weights {input: weight}, tie_break,
                     ranked[] {rank, record_id, label, title, url|null, status, score, formula,
                               inputs[] {name, value, origin}},
                     unscored[] {record_id, label, title, url|null, status, inputs[], missing[], problems[]},
                     ranked_total, unscored_total}

``pmhub.launches/1`` — ``pmhub launch-review``::

    schema          "pmhub.launches/1"
    generated_at    ISO 8601 with offset
    launches[]      {release (as above), launched_on, launch_source, complete, method,
                     metrics[] {metric, where, before {start, end, days, mean|null}, after {…}, change|null,
                                change_pct|null, interval [low, high]|null,
                                direction ("up"|"down"|"no change"|"not enough data"), summary},
                     guardrails[] (checks, as above)}

``pmhub.status/1`` also carries ``objectives[]``, ``timeline[]`` {kind ("roadmap"|"release"), id, label,
start|null, target|null, forecast|null, state ("done"|"on_track"|"at_risk"|"blocked"), slipped, slip_days|null,
detail}, ``priorities[]`` (the first ``[priorities] show`` items of each product) and ``launches[]`` (the last
``[launch_review] recent_days`` days). ``render_objectives``, ``render_priorities`` and ``render_launches`` render
the three reports; ``render_leadership(status, fmt)`` the one-screen digest for leadership (Markdown or HTML).

``pmhub.overview/1`` — what ``pmhub status`` shows::

    schema          "pmhub.overview/1"
    generated_at    ISO 8601 with offset
    releases[]      {release (as above), overdue, scope (as above), blockers[] (evidence, as above)}
    freshness[]     as above
    webhooks[]      {delivery_id, tool, event, status ("failed"|"rejected"), received_at, attempts, last_error|null}

The verdict rules live with the models (``schema.readiness.verdict_of``). Markdown puts the verdict first
(``## ⛔ CHK 2.4.0 — NO-GO``), then the checks table (failures first), evidence as links (at most
``EVIDENCE_CAP_MD`` per check, then "… and N more"), what changed since the last report and data freshness; it
reads as plain text in Slack, Teams and GitHub comments, and ``to_jira_wiki(markdown)`` rewrites it as Jira wiki
markup for Jira comments. HTML caps evidence at ``EVIDENCE_CAP_HTML`` per check
and marks the verdict, every chart and the main tables with ``data-testid`` attributes (``verdict``,
``chart-burnup``, ``chart-categories``, ``chart-metric-<name>``, ``checks``, ``changes``, ``freshness``; the status
report uses ``verdict-<n>`` per release and ``releases``, ``roadmap``, ``contradictions``, ``objectives``,
``timeline`` (the SVG ``chart-timeline``, one ``timeline-row`` per row with ``data-state`` and ``data-slipped``),
``launches`` (``launch-<n>`` each) and ``priorities-<product>``).
"""

from reports.jira_wiki import to_jira_wiki
from reports.render import (
    EVIDENCE_CAP_HTML,
    EVIDENCE_CAP_MD,
    LAUNCHES_SCHEMA,
    OBJECTIVES_SCHEMA,
    OVERVIEW_SCHEMA,
    PRIORITIES_SCHEMA,
    READINESS_SCHEMA,
    STATUS_SCHEMA,
    Format,
    headline,
    render_launches,
    render_leadership,
    render_objectives,
    render_overview,
    render_priorities,
    render_readiness,
    render_status,
    render_summary,
    summary_title,
)

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
    "headline",
    "render_launches",
    "render_leadership",
    "render_objectives",
    "render_overview",
    "render_priorities",
    "render_readiness",
    "render_status",
    "render_summary",
    "summary_title",
    "to_jira_wiki",
]
