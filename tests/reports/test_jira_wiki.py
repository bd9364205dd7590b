"""Markdown reports rewritten as Jira wiki markup for comments."""

from __future__ import annotations

from reports import render_readiness, render_status, to_jira_wiki
from tests.reports import examples


def test_headings_bold_links_and_bullets_become_wiki_markup():
    md = "## Title\n\n**NO-GO**: x · [CHK-1](https://j.example/browse/CHK-1)\n- one `code`\n  - nested\n"
    assert (
        to_jira_wiki(md)
        == "h2. Title\n\n*NO-GO*: x · [CHK-1|https://j.example/browse/CHK-1]\n* one {{code}}\n** nested\n"
    )


def test_table_header_uses_double_bars_and_the_separator_row_is_dropped():
    md = "| A | B |\n|---|---|\n| 1 | x \\| y |\n"
    assert to_jira_wiki(md) == "|| A || B ||\n| 1 | x \\| y |\n"


def test_escaped_brackets_in_labels_stay_text():
    assert to_jira_wiki("\\[not a link\\] and [a\\]b](https://x.example/)") == (
        "\\[not a link\\] and [a\\]b|https://x.example/]"
    )


def test_readiness_report_in_wiki_markup_keeps_every_check_row_and_no_markdown_syntax():
    report = examples.readiness()
    wiki = to_jira_wiki(render_readiness(report, "md"))
    lines = wiki.splitlines()
    assert lines[0] == "h2. CHK 2.4.0 — NO-GO"
    assert "|| Result || Severity || Check || Summary || Owner ||" in lines
    assert sum(line.startswith("| ") for line in lines) == len(report.checks)
    assert "* ❌ *posthog*: 1 of 1 streams stale; stalest metrics, never synced" in lines
    assert "** ❌ metrics: never synced" in lines
    assert "* [CHK-12|https://acme.atlassian.net/browse/CHK-12] — Bug · Blocker · In Progress" in lines
    # a leading run of stars is a wiki bullet; anywhere else "**" would be Markdown bold left over
    assert not any(line.startswith(("#", "|---", "- ")) or "**" in line.lstrip("*") or "](" in line for line in lines)


def test_status_report_in_wiki_markup():
    wiki = to_jira_wiki(render_status(examples.status(), "md"))
    assert wiki.startswith("h1. pmhub status — 2026-11-25 17:00 UTC")
    assert "** Fix: Merge acme/checkout#7 or move CHK-12 back to In Progress" in wiki.splitlines()
