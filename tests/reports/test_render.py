"""Markdown, JSON and chat-summary rendering of readiness and status reports."""

from __future__ import annotations

import json

from reports import READINESS_SCHEMA, STATUS_SCHEMA, render_readiness, render_status, render_summary, summary_title
from schema.readiness import ReadinessReport, StatusReport
from tests.reports import examples


def _table_rows(markdown: str, header: str) -> list[list[str]]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_markdown_starts_with_the_release_and_verdict():
    md = render_readiness(examples.readiness(), "md")
    assert md.splitlines()[0] == "## CHK 2.4.0 — NO-GO"
    assert md.splitlines()[2].startswith("⛔ **NO-GO**: 3 blockers and 2 warnings failed · evaluated")


def test_markdown_keeps_comparison_signs_readable():
    report = examples.readiness()
    renamed = report.checks[5].model_copy(update={"title": "Guardrail error_rate <= 2 and activation >= 38"})
    md = render_readiness(report.model_copy(update={"checks": [*report.checks[:5], renamed, *report.checks[6:]]}), "md")
    assert "| Guardrail error_rate <= 2 and activation >= 38 |" in md


def test_markdown_check_table_lists_failures_first_with_severity_and_owner():
    rows = _table_rows(render_readiness(examples.readiness(), "md"), "| Result | Severity | Check")
    assert [row[0] for row in rows[:5]] == ["❌ failed"] * 5
    assert [row[1] for row in rows[:3]] == ["blocker"] * 3
    assert rows[0] == [
        "❌ failed",
        "blocker",
        "No open blocker or critical bugs",
        "1 open blocker: payment retries double-charge",
        "alice",
    ]
    assert rows[-1][0] == "➖ skipped"
    assert len(rows) == len(examples.readiness().checks)


def test_markdown_evidence_links_to_the_tools_and_is_capped():
    md = render_readiness(examples.readiness(open_items=40), "md")
    assert "- [CHK-12](https://acme.atlassian.net/browse/CHK-12) — Bug · Blocker · In Progress" in md
    assert "- [acme/checkout#7](https://github.com/acme/checkout/pull/7) — open · fixes CHK-12" in md
    assert "[CHK-109]" in md
    assert "[CHK-110]" not in md
    assert "- … and 30 more" in md


def test_markdown_shows_what_changed_since_the_last_report_and_freshness():
    md = render_readiness(examples.readiness(), "md")
    assert "### Since last report (2026-11-24 17:00 UTC, was AT RISK)" in md
    assert "- CI green on the release ref: passed → failed" in md
    assert "- Activation ≥ 95% of baseline: new → passed" in md
    assert "- ❌ **posthog**: 1 of 1 streams stale; stalest metrics, never synced\n  - ❌ metrics: never synced" in md
    assert "- ✅ **jira**: 1 stream fresh; stalest issues, 4 min\n" in md


def test_markdown_freshness_is_one_line_per_source_listing_streams_only_when_stale():
    rows = examples.synced_freshness(stale=("jira/sprints", "jira/versions"), never="posthog-mobile-app")
    report = examples.readiness().model_copy(update={"freshness": rows})
    md = render_readiness(report, "md")
    section = md[md.index("### Data freshness") :].strip().splitlines()[2:]
    assert section == [
        "- ✅ **amplitude-mobile-app**: 4 streams fresh; stalest metric:errors, 17 min",
        "- ✅ **github**: 5 streams fresh; stalest checks, 9 min",
        "- ❌ **jira**: 2 of 4 streams stale; stalest versions, 2.5 h",
        "  - ❌ versions: last synced 2026-11-25 14:30 UTC (2.5 h ago)",
        "  - ❌ sprints: last synced 2026-11-25 15:00 UTC (2.0 h ago)",
        "- ✅ **mixpanel-checkout**: 4 streams fresh; stalest metric:errors, 21 min",
        "- ✅ **posthog-checkout**: 4 streams fresh; stalest metric:errors, 13 min",
        "- ❌ **posthog-mobile-app**: 1 of 1 streams stale; stalest *, never synced",
        "  - ❌ *: never synced",
    ]


def test_markdown_first_evaluation_says_so():
    md = render_readiness(examples.go_release(), "md")
    assert md.startswith("## CHK 2.3.1 — GO")
    assert "First evaluation of this release." in md


def test_markdown_neutralises_pipes_html_and_link_brackets_from_data():
    report = examples.readiness(hostile=True)
    check = report.checks[0].model_copy(update={"evidence": []})
    evil = report.checks[1].evidence[0].model_copy(update={"label": "x](javascript:alert(1))", "url": "javascript:x"})
    report = report.model_copy(
        update={"checks": [check, report.checks[1].model_copy(update={"evidence": [evil]}), *report.checks[2:]]}
    )
    md = render_readiness(report, "md")
    assert "<script>" not in md
    assert "&lt;script>alert('x')&lt;/script> \\| scope" in md
    assert "javascript:" not in md.replace("x\\](javascript:alert(1))", "")
    rows = _table_rows(md, "| Result | Severity | Check")
    assert all(len(row) == 5 for row in rows)


def test_summary_names_the_verdict_failing_checks_and_the_link():
    summary = render_summary(examples.readiness(), report_url="https://pmhub.example.com/reports/chk-2.4.0.html")
    lines = summary.splitlines()
    assert lines[0] == "⛔ CHK 2.4.0 — NO-GO: 3 blockers and 2 warnings failed"
    assert (
        lines[1]
        == "• No open blocker or critical bugs (blocker): 1 open blocker: payment retries double-charge — owner alice"
    )
    assert len([line for line in lines if line.startswith("• ")]) == 5
    assert "Was AT RISK on 2026-11-24 17:00 UTC." in lines
    assert lines[-1] == "Full report: https://pmhub.example.com/reports/chk-2.4.0.html"


def test_summary_without_report_link_points_at_the_release():
    summary = render_summary(examples.readiness())
    assert summary.splitlines()[-1] == "Release: https://acme.atlassian.net/projects/CHK/versions/10200"


def test_status_summary_counts_verdicts_risks_and_contradictions():
    status = examples.status()
    assert summary_title(status) == "pmhub status 2026-11-25 — 1 GO, 1 NO-GO"
    assert summary_title(status.releases[0]) == "CHK 2.4.0 — NO-GO"
    summary = render_summary(status, report_url="https://pmhub.example.com/status")
    assert summary.splitlines() == [
        "pmhub status 2026-11-25 17:00 UTC",
        "• ⛔ CHK 2.4.0 — NO-GO: 3 blockers and 2 warnings failed",
        "• ✅ CHK 2.3.1 — GO: all checks passed",
        "Roadmap at risk: One-click checkout",
        "1 contradiction between tools.",
        "Full report: https://pmhub.example.com/status",
    ]


def test_status_markdown_has_releases_roadmap_contradictions_and_each_release():
    md = render_status(examples.status(), "md")
    releases = _table_rows(md, "| Release | Verdict")
    assert releases[0][:2] == ["[CHK 2.4.0](https://acme.atlassian.net/projects/CHK/versions/10200)", "⛔ NO-GO"]
    assert releases[1][:2] == ["CHK 2.3.1", "✅ GO"]
    roadmap = _table_rows(md, "| Item | Owner")
    assert roadmap[0][0] == "One-click checkout"
    assert roadmap[0][-1] == "⚠️ at risk: 12 items left at 1.4 items/day"
    assert "- **Jira says Done but the linked PR is open** — CHK-12 (`done_but_pr_open`)" in md
    assert "  - Fix: Merge acme/checkout#7 or move CHK-12 back to In Progress" in md
    assert "## CHK 2.4.0 — NO-GO" in md
    assert "## CHK 2.3.1 — GO" in md


def test_json_is_the_model_with_a_schema_marker_and_round_trips():
    report = examples.readiness()
    data = json.loads(render_readiness(report, "json"))
    assert next(iter(data)) == "schema"
    assert data["schema"] == READINESS_SCHEMA == "pmhub.readiness/1"
    assert data["verdict"] == "NO-GO"
    assert data["checks"][0]["evidence"][0]["url"] == "https://acme.atlassian.net/browse/CHK-100"
    assert data["metrics"][0]["points"][0][0].endswith("Z")
    del data["schema"]
    assert ReadinessReport.model_validate(data) == report


def test_status_json_round_trips():
    status = examples.status()
    data = json.loads(render_status(status, "json"))
    assert data.pop("schema") == STATUS_SCHEMA == "pmhub.status/1"
    assert StatusReport.model_validate(data) == status
