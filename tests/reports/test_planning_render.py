"""The planning views rendered: objectives, priorities and launch reviews in Markdown, HTML and JSON; the timeline
chart and its compact text; the status report's new sections; the one-screen leadership digest."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from pydantic import BaseModel

from reports import (
    LAUNCHES_SCHEMA,
    OBJECTIVES_SCHEMA,
    PRIORITIES_SCHEMA,
    render_launches,
    render_leadership,
    render_objectives,
    render_priorities,
    render_status,
    render_summary,
    summary_title,
)
from reports.charts import timeline
from tests.reports import planning_examples as ex
from tests.reports.test_html import _parse, _testids


def test_json_carries_its_schema_marker_first_and_the_whole_model() -> None:
    objectives, priorities, launches = ex.objectives(), ex.priorities(), ex.launches()
    rendered: list[tuple[str, BaseModel, str]] = [
        (render_objectives(objectives, "json"), objectives, OBJECTIVES_SCHEMA),
        (render_priorities(priorities, "json"), priorities, PRIORITIES_SCHEMA),
        (render_launches(launches, "json"), launches, LAUNCHES_SCHEMA),
    ]
    for text, report, schema in rendered:
        assert text.startswith(f'{{\n  "schema": "{schema}",')
        data = json.loads(text)
        data.pop("schema")
        assert type(report).model_validate(data) == report


def test_objectives_markdown_shows_state_work_forecast_and_kpi_then_each_objectives_evidence() -> None:
    md = render_objectives(ex.objectives(), "md")
    rows = [line.removesuffix(" |") for line in md.splitlines() if line.startswith(("| More", "| Mobile"))]
    assert rows[0].split(" | ")[2:6] == [
        "⚠️ at risk",
        "70 %",
        f"{ex.TODAY + timedelta(days=40)} (after {ex.TODAY + timedelta(days=30)})",
        f"activation_rate 0.55 ≥ 0.6 by {ex.TODAY + timedelta(days=30)}",
    ]
    assert "🟢 on track" in rows[1]
    assert "- ⚠️ **More shoppers activate**: its last item's forecast" in md
    assert "## ⚠️ More shoppers activate — at risk" in md
    for part in ("- **Work**: 70% done", "- **Forecast**: last item", "- **KPI**: activation_rate = 0.55"):
        assert part in md
    assert "  - Checkout 2.4.0 — forecast" in md


def test_priorities_show_every_score_with_its_formula_inputs_and_the_unscored_with_why() -> None:
    md = render_priorities(ex.priorities(), "md")
    assert "## checkout — RICE" in md
    assert "`RICE = reach × impact × confidence / effort` · 7 ranked, 3 not scored · ties: equal scores" in md
    link = "[CHK-1](https://acme.atlassian.net/browse/CHK-1)"
    assert f"| 1 | {link} Item 1 | 800 | 500 × 2 × 0.8 / 1 = 800 | Jira field |" in md
    assert "label reach:500, label impact:2, label confidence:0.8, label effort:3" in md
    assert "… and 4 more ranked (`pmhub priorities --product checkout`)" in md
    assert "| effort | effort 'lots' is not a number (label effort:lots) |" in md
    assert "## mobile-app — RICE" in md
    assert "No item has every input yet." in md


def test_hostile_titles_are_neutralised_in_markdown_and_escaped_in_html() -> None:
    md = render_priorities(ex.priorities(hostile=True), "md")
    assert "<script>" not in md
    assert "&lt;script>alert('x')&lt;/script> \\| pipe" in md
    html = render_priorities(ex.priorities(hostile=True), "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | pipe" in html


def test_a_launch_review_lists_each_metric_before_and_after_with_its_interval_and_the_guardrails() -> None:
    md = render_launches(ex.launches(), "md")
    assert "## CHK 2.3.0 — launched 2026-10-11 · ❌ 1 guardrail broken" in md
    assert "| activation_rate | posthog 1000 | 0.406 (14 d) | 0.568 (14 d) | +39.8 % | 0.151 to 0.172 | ▲ up |" in md
    flat = "| daily_active_users | posthog 1000 | 1,050 (14 d) | 1,104 (14 d) | +5.1 % | -60 to 170 | ＝ no change |"
    assert flat in md
    assert "- ❌ failed Guardrail error_rate <= 0.02 after launch: error_rate = 0.02446 (breaks <= 0.02)" in md
    assert "## CHK 2.2.0 — launched 2026-10-11\n" in md
    assert md.rstrip().endswith("95 % interval._")
    html = render_launches(ex.launches(), "html")
    assert _testids(_parse(html))[:3] == ["launches", "launch-1", "launch-2"]
    assert 'data-metric="activation_rate" data-direction="up"' in html


def test_a_launch_with_a_broken_guardrail_reads_as_a_message_title_and_summary() -> None:
    review = ex.launch()
    assert summary_title(review) == "CHK 2.3.0 since launch — 1 guardrail broken"
    assert summary_title(ex.launch(broken=False)) == "CHK 2.2.0 since launch — guardrails hold"
    text = render_summary(review, report_url="https://pmhub.example.com/")
    assert text.splitlines() == [
        "❌ CHK 2.3.0 since launch on 2026-10-11: 1 guardrail broken",
        "• Guardrail error_rate <= 0.02 after launch (warning): error_rate = 0.02446 (breaks <= 0.02)",
        "Moved: activation_rate ▲ +39.8 %",
        "Full report: https://pmhub.example.com/",
    ]


def test_the_status_markdown_adds_objectives_a_text_timeline_launches_and_priorities_in_that_order() -> None:
    md = render_status(ex.status(), "md")
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    order = [
        "## Releases",
        "## Objectives",
        "## Roadmap",
        "## Roadmap timeline",
        "## Since launch",
        "## Priorities",
        "## Contradictions between tools",
    ]
    assert [h for h in headings if h in order] == order
    assert "- ⚠️ **Checkout 2.4.0** — 2026-10-16 → 2026-11-27, forecast 2026-12-23 · at risk · **slipped 26 d**" in md
    assert "- ✅ **Mobile App 2.4.0** — 2026-10-16 → 2026-11-27 · done" in md
    assert "### CHK 2.3.0 — launched 2026-10-11 · ❌ 1 guardrail broken" in md
    assert "### checkout — RICE" in md


def test_the_status_html_has_the_timeline_chart_launches_priorities_and_objective_evidence() -> None:
    parsed = _parse(render_status(ex.status(), "html"))
    ids = _testids(parsed)
    sections = {"objectives", "objective-conversion", "timeline", "chart-timeline", "launches", "launch-1"}
    assert sections | {"priorities-checkout", "unscored-checkout"} <= set(ids)
    rows = [attrs for tag, attrs in parsed.tags if attrs.get("data-testid") == "timeline-row"]
    assert [(r["data-state"], r["data-slipped"]) for r in rows] == [
        ("at_risk", "true"),
        ("done", "false"),
        ("blocked", "true"),
        ("on_track", "false"),
    ]
    assert not any(tag == "script" for tag, _ in parsed.tags)


def test_the_timeline_marks_today_slips_and_forecasts_off_the_chart_and_caps_its_rows() -> None:
    svg = str(timeline(ex.timeline_rows(), today=ex.TODAY, label="Roadmap"))
    assert 'aria-label="Roadmap: 4 rows, 2 slipped; today 2026-11-25"' in svg
    assert f"today {ex.TODAY.isoformat()}</text>" in svg
    assert 'data-role="today"' in svg
    assert "slipped 26 d</text>" in svg
    assert f"slipped 406 d → {ex.TODAY + timedelta(days=400)}</text>" in svg, "a far forecast points off the edge"
    assert "CHK-3 A rather long epic title…<title>CHK-3 A rather long epic title that the chart has to shorten" in svg
    many = str(timeline(ex.timeline_rows(50), today=ex.TODAY, label="Roadmap", max_rows=40))
    assert many.count('data-testid="timeline-row"') == 40
    assert "… and 10 more (see the roadmap table)" in many
    assert 'aria-label="Roadmap: 50 rows' in many
    empty = str(timeline([], today=ex.TODAY, label="Roadmap"))
    assert "No roadmap item or release has a date yet." in empty
    assert 'style="' not in svg, "no inline style: the status page's policy refuses it"


def test_the_leadership_digest_fits_one_screen_with_objectives_risky_releases_and_what_launches_moved() -> None:
    md = render_leadership(ex.status(), "md", report_url="https://pmhub.example.com/")
    lines = [line for line in md.splitlines() if line.strip()]
    assert len(lines) <= 20
    due, last = ex.TODAY + timedelta(days=30), ex.TODAY + timedelta(days=40)
    assert lines[1:3] == [
        "**Objectives**",
        f"- ⚠️ More shoppers activate: at risk · activation_rate 0.55 (target ≥ 0.6 by {due}) · work 70 % done · "
        f"its last item's forecast {last} is after {due}",
    ]
    releases = md.split("**Releases at risk**", 1)[1].split("**Launches**", 1)[0]
    assert "CHK 2.4.0 — NO-GO" in releases
    assert "GO (" not in releases.replace("NO-GO", ""), "a GO release is not at risk"
    assert "- CHK 2.3.0 (2026-10-11): activation_rate ▲ +39.8 % · ❌ Guardrail error_rate <= 0.02 after launch" in md
    assert "- CHK 2.2.0 (2026-10-11): activation_rate ▲ +39.8 %" in md
    assert md.rstrip().endswith("Full report: https://pmhub.example.com/")
    html = render_leadership(ex.status(), "html")
    assert _testids(_parse(html)) == ["leadership-objectives", "leadership-releases", "leadership-launches"]


def test_the_team_chat_summary_names_objectives_at_risk_and_guardrails_broken_since_a_launch() -> None:
    text = render_summary(ex.status())
    assert "• ⚠️ objective More shoppers activate: its last item's forecast" in text
    assert "• ❌ since launch of CHK 2.3.0: Guardrail error_rate <= 0.02 after launch" in text
    assert not re.search(r"since launch of CHK 2\.2\.0", text)
