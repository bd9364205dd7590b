"""The status page over the synced sandbox shows the objectives, the roadmap timeline, the launches and the
priorities — in /api/status and in real Chromium under the page's strict Content-Security-Policy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import Synced
from tests.support.browser import ARTIFACTS
from tests.web.cdp import Chromium
from tests.web.conftest import PASSWORD, USER, Web, basic, serve_web


@pytest.fixture(scope="module")
def web(synced: Synced) -> Iterator[Web]:
    with serve_web(synced.settings, synced.store) as served:
        yield served


def test_api_status_carries_objectives_timeline_launches_and_the_top_of_each_backlog(web: Web, synced: Synced) -> None:
    status = web.client.get("/api/status", headers=basic()).json()["status"]
    world = synced.sandbox.world
    assert {o["id"]: o["state"] for o in status["objectives"]} == {g.key: g.expected for g in world.objectives}
    configured = [r for r in status["timeline"] if r["id"].startswith("pmhub:roadmap:")]
    late = [g.title for g in world.roadmap if g.expected == "at risk"]
    assert [r["label"] for r in configured if r["slipped"]] == late
    launched = {(r["release"]["project"], r["release"]["name"]) for r in status["launches"]}
    assert launched == {("CHK", "2.3.0"), ("MOB", "2.3.0")}
    show = synced.settings.priorities.show
    assert [p["product"] for p in status["priorities"]] == ["checkout", "mobile-app"]
    assert all(len(p["ranked"]) <= show and p["ranked_total"] >= len(p["ranked"]) for p in status["priorities"])


def test_the_page_in_chromium_shows_the_planning_sections_without_a_policy_violation(web: Web, synced: Synced) -> None:
    with Chromium.launch() as browser:
        browser.goto(web.url + "/login?next=/")
        browser.evaluate(
            f"document.getElementById('username').value = {json.dumps(USER)};"
            f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
            "document.querySelector('form[action=\"/login\"]').submit(); true"
        )
        browser.wait_for("document.getElementById('objectives') !== null")
        objectives = browser.evaluate("document.getElementById('objectives').innerText")
        rows = browser.evaluate(
            "Array.from(document.querySelectorAll('#timeline [data-testid=timeline-row]'))"
            ".map(g => [g.getAttribute('data-state'), g.getAttribute('data-slipped')])"
        )
        launches = browser.evaluate("document.getElementById('launches').innerText")
        priorities = browser.evaluate("document.getElementById('priorities').innerText")
        box = browser.evaluate("JSON.stringify(document.querySelector('#timeline svg').getBoundingClientRect())")
        browser.evaluate("document.getElementById('timeline').scrollIntoView(); true")
        browser.screenshot(ARTIFACTS / "web-status-planning.png")
        assert browser.errors == [], "\n".join(browser.errors)
    for goal in synced.sandbox.world.objectives:
        assert goal.title in objectives
    assert ["at_risk", "true"] in rows
    assert len(rows) == len(web.client.get("/api/status", headers=basic()).json()["status"]["timeline"])
    assert "CHK 2.3.0" in launches
    assert "activation_rate ▲" in launches
    assert "RICE" in priorities
    assert "WSJF" in priorities
    assert json.loads(box)["width"] > 400, "the timeline is drawn, not collapsed"
