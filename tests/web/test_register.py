"""Webhook registration: planned per repository and Jira source, printed without secrets, applied idempotently
through the REST APIs (a recording stand-in of GitHub's hooks API and Jira's admin webhooks API, over real HTTP)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hub.settings import Settings
from hub.web.config import WebhookSettings
from hub.web.register import GITHUB_EVENTS, JIRA_EVENTS, apply_registrations, plan_registrations
from schema import ConfigError
from serving import ServedApp

GITHUB_TOKEN = "gh-token-for-register-tests"
JIRA_TOKEN = "jira-token-for-register-tests"
HOOK_SECRET = "hook-secret-for-register-tests"
PUBLIC = "https://pmhub.example.com"


@dataclass
class Recorder:
    """Hooks as the two APIs keep them, and every call made."""

    github: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    jira: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)


def stand_in(recorder: Recorder) -> FastAPI:
    app = FastAPI()
    basic = "Basic " + base64.b64encode(f"pm@example.com:{JIRA_TOKEN}".encode()).decode()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        recorder.calls.append((request.method, request.url.path))
        wanted = f"Bearer {GITHUB_TOKEN}" if request.url.path.startswith("/repos/") else basic
        if request.headers.get("authorization") != wanted:
            return JSONResponse({"message": "Bad credentials"}, 401)
        return await call_next(request)

    @app.get("/repos/{owner}/{repo}/hooks")
    async def hooks(owner: str, repo: str) -> list[dict[str, Any]]:
        return recorder.github.get(f"{owner}/{repo}", [])

    @app.post("/repos/{owner}/{repo}/hooks", status_code=201)
    async def create(owner: str, repo: str, request: Request) -> dict[str, Any]:
        hook: dict[str, Any] = await request.json() | {"id": len(recorder.github) + 1}
        recorder.github.setdefault(f"{owner}/{repo}", []).append(hook)
        return hook

    @app.patch("/repos/{owner}/{repo}/hooks/{hook_id}")
    async def edit(owner: str, repo: str, hook_id: int, request: Request) -> dict[str, Any]:
        [hook] = [h for h in recorder.github[f"{owner}/{repo}"] if h["id"] == hook_id]
        hook.update(await request.json())
        return hook

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


@pytest.fixture
def api(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {
        "PMHUB_TEST_REG_GH": GITHUB_TOKEN,
        "PMHUB_TEST_REG_JIRA": JIRA_TOKEN,
        "PMHUB_TEST_REG_SECRET": HOOK_SECRET,
    }.items():
        monkeypatch.setenv(key, value)
    with ServedApp(stand_in(recorder)) as served:
        yield served.url


def _settings(api: str, public: str | None = PUBLIC) -> Settings:
    return Settings(
        serve={"public_url": public},
        sources={
            "gh": {
                "kind": "github",
                "base_url": api,
                "repos": ["acme/app", "acme/api"],
                "token_env": "PMHUB_TEST_REG_GH",
            },
            "jira": {
                "kind": "jira",
                "url": api,
                "email": "pm@example.com",
                "projects": ["APP", "API"],
                "token_env": "PMHUB_TEST_REG_JIRA",
            },
        },
    )


HOOKS = WebhookSettings(github_secret_env="PMHUB_TEST_REG_SECRET", jira_secret_env="PMHUB_TEST_REG_SECRET")


def test_the_plan_has_one_registration_per_repository_and_jira_source_and_shows_no_secret(api: str) -> None:
    plans = plan_registrations(_settings(api), HOOKS)
    assert [(p.tool, p.scope) for p in plans] == [("github", "acme/app"), ("github", "acme/api"), ("jira", "APP, API")]
    lines = [p.describe() for p in plans]
    assert all(PUBLIC + "/webhooks/" in line for line in lines)
    assert all("$PMHUB_TEST_REG_SECRET" in line and HOOK_SECRET not in line for line in lines)


def test_applying_creates_the_hooks_then_updates_them_instead_of_duplicating(api: str, recorder: Recorder) -> None:
    settings = _settings(api)
    first = apply_registrations(settings, plan_registrations(settings, HOOKS))
    assert [a.action for a in first] == ["created", "created", "created"]
    [hook] = recorder.github["acme/app"]
    assert hook["config"] == {
        "url": PUBLIC + "/webhooks/github",
        "content_type": "json",
        "secret": HOOK_SECRET,
        "insecure_ssl": "0",
    }
    assert tuple(hook["events"]) == GITHUB_EVENTS
    [jira] = recorder.jira
    assert (jira["url"], jira["secret"], tuple(jira["events"])) == (PUBLIC + "/webhooks/jira", HOOK_SECRET, JIRA_EVENTS)
    assert jira["filters"] == {"issue-related-events-section": "project in (APP, API)"}

    again = apply_registrations(settings, plan_registrations(settings, HOOKS))
    assert [a.action for a in again] == ["updated", "updated", "updated"]
    assert len(recorder.github["acme/app"]) == len(recorder.jira) == 1


def test_a_jira_site_that_cannot_sign_gets_the_url_token(api: str, recorder: Recorder) -> None:
    settings = _settings(api)
    hooks = WebhookSettings(
        github_secret_env="PMHUB_TEST_REG_SECRET", jira_secret_env=None, jira_url_token_env="PMHUB_TEST_REG_SECRET"
    )
    apply_registrations(settings, [p for p in plan_registrations(settings, hooks) if p.tool == "jira"])
    [jira] = recorder.jira
    assert jira["url"] == f"{PUBLIC}/webhooks/jira?token={HOOK_SECRET}"
    assert "secret" not in jira


def test_without_a_public_url_or_secret_names_the_setting_to_add(api: str) -> None:
    with pytest.raises(ConfigError, match=r"serve\.public_url"):
        plan_registrations(_settings(api, public=None), HOOKS)
    with pytest.raises(ConfigError, match="github_secret_env"):
        plan_registrations(_settings(api), WebhookSettings(github_secret_env=None))


def test_a_refused_call_names_the_call_without_the_token(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMHUB_TEST_REG_GH", "wrong-token")
    settings = _settings(api)
    with pytest.raises(ConfigError) as refused:
        apply_registrations(settings, plan_registrations(settings, HOOKS)[:1])
    assert "GET /repos/acme/app/hooks answered 401" in str(refused.value)
    assert "wrong-token" not in str(refused.value)
