"""Webhook registration: planned per repository and Jira source, printed without secrets, applied idempotently
through the connectors' clients — GitHub's hooks API in the sandbox (every page read), Jira's admin webhooks API in
a recording stand-in — over real HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.github.webhooks import EVENTS as GITHUB_EVENTS
from connectors.jira.webhooks import EVENTS as JIRA_EVENTS
from hub.settings import Settings
from hub.web.config import WebhookSettings
from hub.web.register import apply_registrations, plan_registrations
from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.world import Scale, build_world
from schema import ConfigError
from serving import ServedApp

GITHUB_TOKEN = next(iter(DEFAULT_TOKENS))
JIRA_TOKEN = "jira-token-for-register-tests"
HOOK_SECRET = "hook-secret-for-register-tests"
PUBLIC = "https://pmhub.example.com"


@dataclass
class Recorder:
    """Jira's admin webhooks as the stand-in keeps them, and every call made."""

    jira: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)


def stand_in(recorder: Recorder) -> FastAPI:
    app = FastAPI()
    basic = "Basic " + base64.b64encode(f"pm@example.com:{JIRA_TOKEN}".encode()).decode()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        recorder.calls.append((request.method, request.url.path))
        if request.headers.get("authorization") != basic:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return await call_next(request)

    @app.get("/rest/webhooks/1.0/webhook")
    async def jira_hooks() -> list[dict[str, Any]]:
        return recorder.jira

    @app.post("/rest/webhooks/1.0/webhook", status_code=201)
    async def jira_create(request: Request) -> dict[str, Any]:
        hook: dict[str, Any] = await request.json() | {"self": f"/rest/webhooks/1.0/webhook/{len(recorder.jira) + 1}"}
        recorder.jira.append(hook)
        return hook

    @app.put("/rest/webhooks/1.0/webhook/{hook_id}")
    async def jira_edit(hook_id: int, request: Request) -> dict[str, Any]:
        recorder.jira[hook_id - 1].update(await request.json())
        return recorder.jira[hook_id - 1]

    return app


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@dataclass
class Apis:
    github: str
    jira: str


@pytest.fixture
def api(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> Iterator[Apis]:
    for key, value in {
        "PMHUB_TEST_REG_GH": GITHUB_TOKEN,
        "PMHUB_TEST_REG_JIRA": JIRA_TOKEN,
        "PMHUB_TEST_REG_SECRET": HOOK_SECRET,
    }.items():
        monkeypatch.setenv(key, value)
    world = build_world(seed=7, scale=Scale.named("tiny"))
    with ServedApp(stand_in(recorder)) as jira, ServedApp(create_app(world, GitHubOptions(prerender=False))) as gh:
        yield Apis(gh.url, jira.url)


def _settings(api: Apis, public: str | None = PUBLIC, per_page: int = 100) -> Settings:
    return Settings(
        serve={"public_url": public},
        sources={
            "gh": {
                "kind": "github",
                "base_url": api.github,
                "repos": ["acme/checkout", "acme/mobile-app"],
                "token_env": "PMHUB_TEST_REG_GH",
                "per_page": per_page,
            },
            "jira": {
                "kind": "jira",
                "url": api.jira,
                "email": "pm@example.com",
                "projects": ["APP", "API"],
                "token_env": "PMHUB_TEST_REG_JIRA",
            },
        },
    )


def _hooks(api: Apis, repo: str) -> list[dict[str, Any]]:
    """Every hook of ``repo`` as the sandbox lists them (one page of 100 holds them all here)."""
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}
    answer = httpx.get(f"{api.github}/repos/{repo}/hooks", params={"per_page": 100}, headers=headers, timeout=10)
    assert answer.status_code == 200
    hooks: list[dict[str, Any]] = answer.json()
    return hooks


HOOKS = WebhookSettings(github_secret_env="PMHUB_TEST_REG_SECRET", jira_secret_env="PMHUB_TEST_REG_SECRET")


def test_the_plan_has_one_registration_per_repository_and_jira_source_and_shows_no_secret(api: Apis) -> None:
    plans = plan_registrations(_settings(api), HOOKS)
    assert [(p.tool, p.scope) for p in plans] == [
        ("github", "acme/checkout"),
        ("github", "acme/mobile-app"),
        ("jira", "APP, API"),
    ]
    lines = [p.describe() for p in plans]
    assert all(PUBLIC + "/webhooks/" in line for line in lines)
    assert all("$PMHUB_TEST_REG_SECRET" in line and HOOK_SECRET not in line for line in lines)


def test_applying_creates_the_hooks_then_updates_them_instead_of_duplicating(api: Apis, recorder: Recorder) -> None:
    settings = _settings(api)
    first = apply_registrations(settings, plan_registrations(settings, HOOKS))
    assert [a.action for a in first] == ["created", "created", "created"]
    [hook] = _hooks(api, "acme/checkout")
    assert hook["config"] == {
        "url": PUBLIC + "/webhooks/github",
        "content_type": "json",
        "secret": "********",
        "insecure_ssl": "0",
    }
    assert (hook["active"], tuple(hook["events"])) == (True, GITHUB_EVENTS)
    [jira] = recorder.jira
    assert (jira["url"], jira["secret"], tuple(jira["events"])) == (PUBLIC + "/webhooks/jira", HOOK_SECRET, JIRA_EVENTS)
    assert jira["filters"] == {"issue-related-events-section": "project in (APP, API)"}

    again = apply_registrations(settings, plan_registrations(settings, HOOKS))
    assert [a.action for a in again] == ["updated", "updated", "updated"]
    assert [a.hook_id for a in again] == [a.hook_id for a in first]
    assert len(_hooks(api, "acme/checkout")) == len(recorder.jira) == 1


def test_a_repository_with_35_hooks_gets_its_pmhub_hook_updated_not_duplicated(api: Apis) -> None:
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}
    with httpx.Client(base_url=f"{api.github}/repos/acme/checkout", headers=headers, timeout=10) as http:
        for n in range(34):
            body = {"events": ["push"], "config": {"url": f"https://ci.example/{n}", "content_type": "json"}}
            assert http.post("/hooks", json=body).status_code == 201
        ours = {"events": ["push"], "config": {"url": PUBLIC + "/webhooks/github", "content_type": "form"}}
        pmhub = http.post("/hooks", json=ours).json()  # the 35th: past GitHub's first page of 30
    settings = _settings(api, per_page=10)
    [done] = apply_registrations(settings, plan_registrations(settings, HOOKS)[:1])
    assert (done.action, done.hook_id) == ("updated", str(pmhub["id"]))
    hooks = _hooks(api, "acme/checkout")
    assert len(hooks) == 35
    [updated] = [h for h in hooks if h["config"]["url"] == PUBLIC + "/webhooks/github"]
    assert (tuple(updated["events"]), updated["config"]["content_type"]) == (GITHUB_EVENTS, "json")


def test_a_jira_site_that_cannot_sign_gets_the_url_token(api: Apis, recorder: Recorder) -> None:
    settings = _settings(api)
    hooks = WebhookSettings(
        github_secret_env="PMHUB_TEST_REG_SECRET", jira_secret_env=None, jira_url_token_env="PMHUB_TEST_REG_SECRET"
    )
    apply_registrations(settings, [p for p in plan_registrations(settings, hooks) if p.tool == "jira"])
    [jira] = recorder.jira
    assert jira["url"] == f"{PUBLIC}/webhooks/jira?token={HOOK_SECRET}"
    assert "secret" not in jira


def test_without_a_public_url_or_secret_names_the_setting_to_add(api: Apis) -> None:
    with pytest.raises(ConfigError, match=r"serve\.public_url"):
        plan_registrations(_settings(api, public=None), HOOKS)
    with pytest.raises(ConfigError, match="github_secret_env"):
        plan_registrations(_settings(api), WebhookSettings(github_secret_env=None))


def test_a_refused_call_names_the_call_and_the_variable_without_the_token(
    api: Apis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PMHUB_TEST_REG_GH", "wrong-token")
    monkeypatch.setenv("PMHUB_TEST_REG_JIRA", "wrong-jira-token")
    settings = _settings(api)
    plans = plan_registrations(settings, HOOKS)
    for plan, call, env in (
        (plans[0], "webhooks of acme/checkout", "PMHUB_TEST_REG_GH"),
        (plans[2], "admin webhooks", "PMHUB_TEST_REG_JIRA"),
    ):
        with pytest.raises(ConfigError) as refused:
            apply_registrations(settings, [plan])
        message = str(refused.value)
        assert call in message
        assert "refused the credential (401)" in message
        assert f"check {env}" in message
        assert "wrong-token" not in message
        assert "wrong-jira-token" not in message
