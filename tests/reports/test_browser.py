"""The HTML reports opened in real headless Chromium: clean console, verdict and charts in the DOM, a screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports import (
    render_launches,
    render_leadership,
    render_objectives,
    render_priorities,
    render_readiness,
    render_status,
)
from tests.reports import examples, planning_examples
from tests.support.browser import ARTIFACTS, open_page, require_chromium

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


def _write(tmp_path: Path, name: str, html: str) -> str:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path.as_uri()


def test_readiness_report_loads_without_console_errors_and_shows_verdict_and_charts(chromium, tmp_path):
    url = _write(tmp_path, "readiness.html", render_readiness(examples.readiness(), "html"))
    shot = ARTIFACTS / "readiness-report.png"
    page = open_page(url, screenshot=shot)
    assert page.console == []
    assert 'data-testid="verdict" data-verdict="NO-GO"' in page.dom
    assert '<span class="word">NO-GO</span>' in page.dom
    for chart in ("chart-burnup", "chart-categories", "chart-metric-error_rate", "chart-metric-activation"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" data-testid="{chart}"' in page.dom
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_report_loads_without_console_errors(chromium, tmp_path):
    url = _write(tmp_path, "status.html", render_status(examples.status(), "html"))
    page = open_page(url, screenshot=ARTIFACTS / "status-report.png")
    assert page.console == []
    assert 'data-testid="verdict-1" data-verdict="NO-GO"' in page.dom
    assert 'data-testid="verdict-2" data-verdict="GO"' in page.dom
    assert page.dom.count('data-testid="chart-burnup"') == 2


def test_console_scan_catches_a_page_that_loads_remote_resources(chromium, tmp_path):
    html = render_readiness(examples.go_release(), "html").replace(
        "</main>", '<img src="https://example.invalid/pixel.png" alt=""></main>'
    )
    page = open_page(_write(tmp_path, "leaky.html", html))
    assert any("Content Security Policy" in message for message in page.console)


def test_the_status_report_with_its_timeline_reads_in_chromium_and_the_timeline_screenshots(chromium, tmp_path):
    url = _write(tmp_path, "status.html", render_status(planning_examples.status(), "html"))
    page = open_page(url, screenshot=ARTIFACTS / "status-timeline.png")
    assert page.console == []
    assert page.dom.count('data-testid="timeline-row"') == len(planning_examples.timeline_rows())
    assert page.dom.count('data-slipped="true"') == 2
    assert 'data-role="today"' in page.dom
    for section in ('data-testid="objectives"', 'data-testid="launch-1"', 'data-testid="priorities-checkout"'):
        assert section in page.dom


def test_the_planning_reports_and_the_leadership_digest_load_without_console_errors(chromium, tmp_path):
    pages = {
        "objectives.html": render_objectives(planning_examples.objectives(), "html"),
        "priorities.html": render_priorities(planning_examples.priorities(hostile=True), "html"),
        "launches.html": render_launches(planning_examples.launches(), "html"),
        "leadership.html": render_leadership(planning_examples.status(), "html"),
    }
    for name, html in pages.items():
        page = open_page(_write(tmp_path, name, html), screenshot=ARTIFACTS / name.replace(".html", ".png"))
        assert page.console == [], name
    assert "<script>alert" not in open_page(_write(tmp_path, "p.html", pages["priorities.html"])).dom
