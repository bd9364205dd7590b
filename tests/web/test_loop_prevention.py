"""Loop prevention, end to end: the sandbox delivers signed webhooks to the running web app (real uvicorn; GitHub's
hooks registered through its REST API), `pmhub reconcile --apply` writes back with comments, and the deliveries its
own writes cause change the store but start no second round — no re-evaluation, no notification (counted at a
local apprise JSON receiver), no new comment, no new action — while a person's change still notifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub import service
from hub.settings import Settings, load_settings
from hub.web.config import WebhookSettings
from hub.web.register import apply_registrations, plan_registrations
from sandbox.runner import Sandbox
from schema import StatusCategory, WorkItem
from serving import ServedApp
from sync.overview import upcoming_releases
from sync.store.tables import webhook_inbox
from tests.conftest import start_sandbox, sync_into
from tests.web.conftest import ENV, JIRA_SECRET, Web, serve_web

DEBOUNCE = 1.0
HOOKS = WebhookSettings(
    github_secret_env="PMHUB_TEST_GITHUB_HOOK",
    jira_secret_env="PMHUB_TEST_JIRA_HOOK",
    retry_seconds=0.2,
    debounce_seconds=DEBOUNCE,
)
RULES = [
    "done_but_pr_open",
    "github_closed_jira_open",
    "jira_done_github_open",
    "epic_done_children_open",
    "github_release_without_jira_release",
]


@dataclass
class Counted:
    """Notifications that reached the apprise JSON receiver, and what the change hook was asked to re-evaluate."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    reevaluated: list[frozenset[str]] = field(default_factory=list)


@dataclass
class Live:
    sandbox: Sandbox
    settings: Settings
    config: Path
    web: Web
    counted: Counted

    def quiet(self) -> None:
        """Every delivery sent and applied, and the pause after which the change hook runs has passed."""
        for _ in range(2):
            assert self.sandbox.webhooks.flush(10)
            self.web.settle()
            threading.Event().wait(DEBOUNCE * 2)
        self.web.settle()

    def comments(self) -> int:
        world = self.sandbox.world
        jira = sum(len(issue.comments) for issue in world.jira_issues.values())
        issues = sum(len(issue.comments) for repo in world.repos.values() for issue in repo.issues.values())
        pulls = sum(len(pull.comments) for repo in world.repos.values() for pull in repo.pulls.values())
        return jira + issues + pulls

    def inbox(self) -> list[dict[str, Any]]:
        with self.web.store.db.engine.connect() as conn:
            return [dict(row._asdict()) for row in conn.execute(select(webhook_inbox).order_by(webhook_inbox.c.id))]

    def reconcile_apply(self) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(self.config), "reconcile", "--apply"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "250"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


def _seed_contradictions(sandbox: Sandbox) -> None:
    """Two more contradictions whose fixes close a GitHub issue and release a Jira version."""
    world = sandbox.world
    project = world.jira_projects["CHK"]
    done = next(
        issue
        for issue in world.jira_issues.values()
        if issue.project == "CHK"
        and project.status(issue.status).category == "done"
        and issue.type != "Epic"
        and issue.key not in {c.subject for c in world.contradictions}
    )
    github = sandbox.urls["github"] + "/_sandbox/repos/acme/checkout"
    with httpx.Client(timeout=10) as admin:
        opened = admin.post(f"{github}/issues", json={"title": f"{done.key}: follow-up", "body": "still open"})
        assert opened.status_code in (200, 201)
        assert admin.post(f"{github}/releases/v2.5.0/publish", json={}).status_code in (200, 201)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    counted = Counted()

    async def notified(request: Request) -> Response:
        counted.notifications.append(json.loads(await request.body()))
        return Response(status_code=200)

    sandbox = start_sandbox("tiny")
    workdir = tmp_path_factory.mktemp("loop")
    try:
        _seed_contradictions(sandbox)
        with (
            pytest.MonkeyPatch.context() as patch,
            ServedApp(Starlette(routes=[Route("/notify", notified, methods=["POST"])])) as receiver,
        ):
            synced = sync_into(sandbox, workdir, patch)
            for key, value in ENV.items():
                patch.setenv(key, value)
            patch.setenv("PMHUB_TEST_NOTIFY_URL", "json://" + receiver.url.removeprefix("http://") + "/notify")
            with synced.config.open("a", encoding="utf-8") as config:
                config.write(
                    f"\n[reconcile]\napply_rules = {json.dumps(RULES)}\ncomment = true\n"
                    '\n[notify.launch]\nkind = "apprise"\nurl_env = "PMHUB_TEST_NOTIFY_URL"\nevents = ["readiness"]\n'
                )
            cfg = load_settings(synced.config)

            def reevaluate(release_ids: frozenset[str]) -> None:
                counted.reevaluated.append(release_ids)
                service.reevaluate_ids(synced.store, cfg, release_ids)

            with serve_web(cfg, synced.store, webhooks=HOOKS, on_change=reevaluate) as web:
                public = cfg.model_copy(update={"serve": cfg.serve.model_copy(update={"public_url": web.url})})
                github = [p for p in plan_registrations(public, HOOKS) if p.tool == "github"]
                assert [a.action for a in apply_registrations(public, github)] == ["created", "created"]
                jira = {"url": web.url + "/webhooks/jira", "secret": JIRA_SECRET}
                assert httpx.post(sandbox.urls["jira"] + "/_sandbox/webhooks", json=jira, timeout=10).is_success
                # the baseline the readiness notifications diff against
                service.reevaluate(synced.store, cfg, upcoming_releases(synced.store), datetime.now(UTC))
                yield Live(sandbox, cfg, synced.config, web, counted)
    finally:
        sandbox.stop()


def test_pmhubs_own_write_back_is_applied_but_starts_no_second_round(live: Live) -> None:
    comments_before = live.comments()
    output = live.reconcile_apply()
    assert "applied" in output
    audit = live.web.store.audit.log(limit=1000)
    applied = [entry for entry in audit if entry.action.startswith("reconcile:")]
    kinds = {entry.action for entry in applied}
    assert kinds == {
        "reconcile:comment_jira",
        "reconcile:transition_jira",
        "reconcile:comment_github",
        "reconcile:close_github_issue",
        "reconcile:release_jira_version",
    }
    comment_actions = sum(entry.action.startswith("reconcile:comment_") for entry in applied)
    assert live.comments() == comments_before + comment_actions

    live.quiet()
    rows = live.inbox()
    comment_rows = [r for r in rows if r["event"] in ("issue_comment", "comment_created")]
    assert len(comment_rows) == comment_actions
    assert {(r["status"], r["last_error"]) for r in comment_rows} == {
        ("ignored", "pmhub's own comment (it carries the pmhub marker)")
    }
    state_rows = [r for r in rows if r["event"] in ("jira:issue_updated", "issues")]
    assert state_rows
    assert {r["status"] for r in state_rows} == {"applied"}
    assert all("pmhub's own change" in str(r["last_error"]) for r in state_rows)
    [released] = [r for r in rows if r["event"] == "jira:version_released"]
    assert released["status"] == "applied"

    # the store holds the truth: every transition pmhub made is in it
    store = live.web.store
    for entry in applied:
        if entry.action == "reconcile:transition_jira":
            item = store.records.get(entry.target_id)
            assert isinstance(item, WorkItem)
            assert item.status.original == entry.detail["value"]
        if entry.action == "reconcile:close_github_issue":
            closed = store.records.get(entry.target_id)
            assert isinstance(closed, WorkItem)
            assert closed.status.category is StatusCategory.DONE

    # no second round: nothing re-evaluated or notified, no new comment, no new action
    assert live.counted.reevaluated == []
    assert live.counted.notifications == []
    assert live.comments() == comments_before + comment_actions
    again = live.reconcile_apply()
    live.quiet()
    assert len(store.audit.log(limit=1000)) == len(audit), again
    assert live.comments() == comments_before + comment_actions
    assert live.counted.notifications == []


def test_a_persons_change_after_it_still_re_evaluates_and_notifies(live: Live) -> None:
    store = live.web.store
    release = next(r for r in upcoming_releases(store) if r.project == "MOB")
    item = next(
        r
        for r in store.records.in_release(release.id)
        if isinstance(r, WorkItem) and r.source.key and r.status.category is StatusCategory.TODO
    )
    done = live.sandbox.world.jira_projects["MOB"].first_in("done").name
    jira = live.sandbox.urls["jira"]
    key = item.source.key
    answer = httpx.post(f"{jira}/_sandbox/issues/{key}/transition", json={"to": done, "actor": "barbara"}, timeout=10)
    assert answer.status_code == 200
    live.quiet()
    assert any(release.id in ids for ids in live.counted.reevaluated)
    assert len(live.counted.notifications) == 1
    assert "MOB" in json.dumps(live.counted.notifications[0])
