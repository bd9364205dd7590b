"""Delivery of the planning views: the digest at each target's depth (team or leadership), and a guardrail broken
after a launch delivered like a readiness change — once, recorded in the audit table, never again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub import service
from hub.settings import Settings
from schema.readiness import Outcome
from serving import ServedApp
from sync.launches import reviews_from_store
from sync.store import Store
from tests.sync.builders import NOW, github_release, metric, put, version

LAUNCHED = NOW.date() - timedelta(days=30)


@dataclass
class Inbox:
    """What the local apprise json:// endpoint received, per path."""

    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def receive(self, request: Request) -> Response:
        self.messages.setdefault(request.url.path, []).append(json.loads(await request.body()))
        return Response(status_code=200)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    received = Inbox()
    app = Starlette(routes=[Route("/{who}", received.receive, methods=["POST"])])
    with ServedApp(app) as served:
        base = "json://" + served.url.removeprefix("http://")
        for who in ("team", "leaders", "launches"):
            monkeypatch.setenv(f"PMHUB_TEST_{who.upper()}_URL", f"{base}/{who}")
        yield received


def settings(tmp_path: Path) -> Settings:
    def target(who: str, **extra: object) -> dict[str, object]:
        return {"kind": "apprise", "url_env": f"PMHUB_TEST_{who.upper()}_URL", **extra}

    return Settings(
        store={"url": f"sqlite:///{tmp_path}/pmhub.db"},
        notify={
            "team": target("team", events=["digest"]),  # no audience: the team's
            "leaders": target("leaders", events=["digest"], audience="leadership"),
            "launches": target("launches", events=["readiness"]),
        },
        readiness={"guardrails": [{"metric": "error_rate", "op": "<=", "threshold": 0.02}]},
    )


def launched_store(cfg: Settings) -> Store:
    """A version launched 30 days ago (its GitHub release published that day) whose error rate tripled after it."""
    store = Store(cfg.store.url)
    shipped = version("2.3.0", released=True, release=LAUNCHED)
    points = [
        metric("error_rate", 0.01 if day < LAUNCHED else 0.03, day)
        for day in (LAUNCHED + timedelta(days=n) for n in range(-20, 25))
    ]
    put(store, [shipped, *points, github_release("v9.9.9", draft=True)])
    return store


def test_a_guardrail_broken_after_a_launch_is_delivered_once_and_recorded(tmp_path: Path, inbox: Inbox) -> None:
    cfg = settings(tmp_path)
    store = launched_store(cfg)
    reviews = reviews_from_store(store, cfg.launch_review, cfg.readiness.guardrails, NOW).launches
    assert [(r.release.name, [g.outcome for g in r.guardrails]) for r in reviews] == [("2.3.0", [Outcome.FAILED])]

    assert service.launch_alerts(store, cfg, reviews, NOW) == ["SHOP 2.3.0 since launch: metric:error_rate"]
    assert service.launch_alerts(store, cfg, reviews, NOW) == []

    [message] = inbox.messages["/launches"]
    assert message["title"] == "SHOP 2.3.0 since launch — 1 guardrail broken"
    broken = "Guardrail error_rate <= 0.02 after launch (warning): error_rate = 0.03 (breaks <= 0.02)"
    assert broken in message["message"]
    actions = [e.action for e in store.audit.log(target_id=reviews[0].release.id)]
    assert actions.count(service.LAUNCH_ALERT) == 1
    assert "notify.delivered" in actions
    assert "/team" not in inbox.messages, "a digest target does not get readiness news"


def test_the_digest_gives_the_team_the_whole_status_and_leadership_one_screen(tmp_path: Path, inbox: Inbox) -> None:
    cfg = settings(tmp_path)
    store = launched_store(cfg)
    report = service.status_report(store, cfg, NOW)
    results = service.digest(store, cfg, report)
    assert sorted((r.target, r.ok) for r in results) == [("leaders", True), ("team", True)]
    [team] = inbox.messages["/team"]
    [leaders] = inbox.messages["/leaders"]
    assert team["title"].startswith("pmhub status 2026-11-20")
    assert team["message"].startswith("pmhub status 2026-11-20 12:00 UTC")
    assert leaders["title"] == f"{team['title']} (summary)"
    for part in ("**Objectives**", "**Releases at risk**", "**Launches**", "- SHOP 2.3.0 (2026-10-21): error_rate ▲"):
        assert part in leaders["message"]
    assert "**Releases at risk**" not in team["message"]

