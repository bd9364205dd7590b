"""The self-contained HTML report: verdict banner, escaped data, inline SVG charts, capped evidence, render time."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

from reports import EVIDENCE_CAP_HTML, render_readiness, render_status
from reports.charts import MAX_POINTS, sparkline
from reports.render import _html_env
from tests.reports import examples


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text of the whole document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


def _testids(parsed: _Collect) -> list[str]:
    return [attrs["data-testid"] or "" for _, attrs in parsed.tags if "data-testid" in attrs]


def test_verdict_banner_comes_first_with_colour_class_symbol_and_words():
    html = render_readiness(examples.readiness(), "html")
    parsed = _parse(html)
    ids = _testids(parsed)
    assert ids[0] == "verdict"
    banner = next(attrs for _, attrs in parsed.tags if attrs.get("data-testid") == "verdict")
    assert banner["class"] == "verdict no-go"
    assert banner["data-verdict"] == "NO-GO"
    assert banner["aria-label"] == "Verdict: NO-GO"
    assert re.search(
        r'data-testid="verdict"[^>]*>\s*<span class="mark" aria-hidden="true">✖</span>\s*'
        r'<span class="word">NO-GO</span>\s*<span class="why">3 blockers and 2 warnings failed',
        html,
    )
    assert "<title>CHK 2.4.0 — NO-GO · pmhub readiness</title>" in html


def test_charts_are_inline_svg_with_accessible_titles():
    parsed = _parse(render_readiness(examples.readiness(), "html"))
    svgs = {attrs["data-testid"]: attrs for tag, attrs in parsed.tags if tag == "svg"}
    assert set(svgs) == {"chart-burnup", "chart-categories", "chart-metric-error_rate", "chart-metric-activation"}
    assert all(attrs["role"] == "img" and attrs["aria-label"] for attrs in svgs.values())
    assert svgs["chart-burnup"]["aria-label"] == "Scope burn-up of CHK 2.4.0 — NO-GO: 140 of 160 done on 2026-11-25"
    assert (svgs["chart-categories"]["aria-label"] or "").endswith("todo 5, in progress 15, done 138, cancelled 2")
    assert svgs["chart-metric-error_rate"]["aria-label"] == "error_rate: last 2.58, threshold ≤ 2 (breaches threshold)"
    assert svgs["chart-metric-activation"]["aria-label"] == "activation: last 41.2, threshold ≥ 38 (meets threshold)"


def test_sparkline_draws_the_threshold_and_thins_long_series():
    series = examples.readiness(hours=5000).metrics[0]
    svg = str(sparkline(series))
    assert 'data-role="threshold"' in svg
    polyline = re.search(r'<polyline points="([^"]+)"', svg)
    assert polyline is not None
    assert len(polyline.group(1).split()) == MAX_POINTS


def test_report_is_self_contained_with_no_scripts_or_remote_resources():
    html = render_status(examples.status(), "html")
    parsed = _parse(html)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert "Content-Security-Policy" in html
    assert "@import" not in html
    assert "url(" not in html
    hrefs = [attrs["href"] or "" for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs
    assert all(h.startswith(("https://", "#")) for h in hrefs)


def test_data_is_escaped_and_unsafe_links_are_dropped():
    report = examples.readiness(hostile=True)
    evil = report.checks[1].evidence[0].model_copy(update={"label": "<b>CHK-12</b>", "url": "javascript:alert(1)"})
    blocker = report.checks[1].model_copy(update={"evidence": [evil]})
    release = report.release.model_copy(update={"project": "CHK<img src=x onerror=alert(1)>"})
    report = report.model_copy(update={"checks": [report.checks[0], blocker, *report.checks[2:]], "release": release})
    html = render_readiness(report, "html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | scope" in html
    assert "&lt;b&gt;CHK-12&lt;/b&gt;" in html
    assert "javascript:" not in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_evidence_is_capped_with_a_count_of_the_rest():
    html = render_readiness(examples.readiness(open_items=300), "html")
    assert html.count('href="https://acme.atlassian.net/browse/CHK-') == EVIDENCE_CAP_HTML + 1  # + the blocker bug
    assert f"… and {300 - EVIDENCE_CAP_HTML} more" in html


def test_status_report_has_each_release_verdict_roadmap_and_contradictions():
    parsed = _parse(render_status(examples.status(), "html"))
    ids = _testids(parsed)
    assert {"releases", "roadmap", "contradictions", "verdict-1", "verdict-2", "freshness"} <= set(ids)
    assert ids.count("chart-burnup") == 2
    verdicts = [
        attrs["data-verdict"] for _, attrs in parsed.tags if (attrs.get("data-testid") or "").startswith("verdict-")
    ]
    assert verdicts == ["NO-GO", "GO"]
    text = " ".join(parsed.text)
    assert "Jira says Done but the linked PR is open" in text
    assert "12 items left at 1.4 items/day" in text


def test_freshness_is_one_row_per_source_naming_its_stalest_stream_and_expands_to_every_stream():
    rows = examples.synced_freshness(stale=("jira/sprints",))
    html = render_status(examples.status().model_copy(update={"freshness": rows}), "html")
    parsed = _parse(html)
    sources = [attrs["data-source"] for tag, attrs in parsed.tags if tag == "tr" and "data-source" in attrs]
    assert sources == ["amplitude-mobile-app", "github", "jira", "mixpanel-checkout", "posthog-checkout"]
    assert sum(tag == "details" for tag, _ in parsed.tags) == len(sources)
    jira = re.search(r'<tr data-source="jira">\s*<td>jira</td><td>(\w+)</td><td>([^<]+)</td>\s*<td>(.*?)</td>', html)
    assert jira is not None
    assert jira.groups() == ("sprints", "2.0 h", '<span class="pill stale">✖ 1 of 4 stale</span>')
    for source in sources:
        table = html.split(f'data-testid="freshness-{source}"', 1)[1].split("</table>", 1)[0]
        streams = re.findall(r"<tr><td>([^<]+)</td>", table)
        assert sorted(streams) == sorted(r.stream for r in rows if r.source == source)
    assert "<script" not in html


def test_html_of_a_ten_thousand_item_release_renders_in_under_a_second():
    report = examples.readiness(items_total=10_000, open_items=400, hours=24 * 90, evidence_rows=300)
    _html_env.cache_clear()
    started = time.perf_counter()
    html = render_readiness(report, "html")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    render_readiness(report, "html")
    warm = time.perf_counter() - started
    print(
        f"\n10,000-item release: HTML {len(html) / 1024:.0f} KiB, cold {cold * 1000:.0f} ms, warm {warm * 1000:.0f} ms"
    )
    assert cold < 1.0
    assert len(html) < 400_000
