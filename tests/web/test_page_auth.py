"""Only the webhooks and /healthz are open; the page and /api need a bearer token, a basic-auth user, the login
form's session or a trusted proxy header — and a refusal never tells how close the credentials were."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.settings import Settings
from hub.web.config import WebAuthSettings
from sync.store import Store
from tests.web.conftest import AUTH, BEARER, PASSWORD, USER, Web, basic, serve_web

PROTECTED = ["/", "/api/status", "/api/releases", "/api/version", "/api/events", "/releases/CHK/2.4"]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('auth') / 'pmhub.db'}")
    with serve_web(Settings(), store) as served:
        yield served


def _failed_logins(web: Web) -> int:
    return web.state.counters.snapshot()[1]


@pytest.mark.parametrize("path", PROTECTED)
def test_without_credentials_the_page_and_api_answer_401(web: Web, path: str) -> None:
    answer = web.client.get(path)
    assert answer.status_code == 401
    if path.startswith("/api/"):
        assert answer.json() == {"detail": "authentication required"}
        assert answer.headers["www-authenticate"].startswith("Bearer")
    else:
        assert '<form method="post" action="/login">' in answer.text


@pytest.mark.parametrize("path", [p for p in PROTECTED if p != "/api/events"])
def test_with_a_bearer_token_or_a_basic_user_they_answer(web: Web, path: str) -> None:
    expected = 404 if path.startswith("/releases/") else 200
    assert web.client.get(path, headers={"Authorization": f"Bearer {BEARER}"}).status_code == expected
    assert web.client.get(path, headers=basic()).status_code == expected


def test_healthz_is_open(web: Web) -> None:
    assert web.client.get("/healthz").json() == {"status": "ok"}


def test_wrong_credentials_are_counted_and_refused_alike(web: Web) -> None:
    before = _failed_logins(web)
    near = web.client.get("/api/status", headers={"Authorization": f"Bearer {BEARER[:-1]}x"})
    far = web.client.get("/api/status", headers={"Authorization": "Bearer nothing-like-it"})
    unknown_user = web.client.get("/api/status", headers=basic("nobody", PASSWORD))
    bad_password = web.client.get("/api/status", headers=basic(USER, PASSWORD + "!"))
    garbage = web.client.get("/api/status", headers={"Authorization": "Basic %%%"})
    answers = [near, far, unknown_user, bad_password, garbage]
    assert {a.status_code for a in answers} == {401}
    assert len({a.content for a in answers}) == 1
    assert _failed_logins(web) == before + len(answers)
    assert web.client.get("/api/status", headers=basic()).json()["webhooks"]["failed_logins"] == before + 5


def test_the_login_form_issues_a_session_cookie_the_page_accepts(web: Web) -> None:
    with httpx.Client(base_url=web.url) as browser:
        refused = browser.post("/login", data={"username": USER, "password": "wrong", "next": "/"})
        assert refused.status_code == 401
        assert "not accepted" in refused.text
        done = browser.post("/login", data={"username": USER, "password": PASSWORD, "next": "/api/version"})
        assert (done.status_code, done.headers["location"]) == (303, "/api/version")
        assert "httponly" in done.headers["set-cookie"].lower()
        assert "samesite=strict" in done.headers["set-cookie"].lower()
        assert browser.get("/api/version").status_code == 200
        assert browser.post("/logout").status_code == 303
        assert browser.get("/api/version").status_code == 401


def test_the_login_form_accepts_the_access_token_without_a_user(web: Web) -> None:
    with httpx.Client(base_url=web.url) as browser:
        assert browser.post("/login", data={"username": "", "password": BEARER}).status_code == 303
        assert browser.get("/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_to_another_site(web: Web, target: str) -> None:
    with httpx.Client(base_url=web.url) as browser:
        answer = browser.post("/login", data={"username": USER, "password": PASSWORD, "next": target})
    assert answer.headers["location"] == "/"


def test_a_forged_session_cookie_is_refused(web: Web) -> None:
    with httpx.Client(base_url=web.url) as browser:
        browser.cookies.set("pmhub_session", "cGF0.9999999999.00")
        assert browser.get("/api/version").status_code == 401


def test_a_trusted_proxy_header_is_honoured_only_when_configured(web: Web, tmp_path: Path) -> None:
    assert web.client.get("/api/version", headers={"X-Forwarded-User": "mallory"}).status_code == 401
    proxied = WebAuthSettings(trusted_user_header="X-Forwarded-User")
    with serve_web(Settings(), Store(f"sqlite:///{tmp_path / 'p.db'}"), auth=proxied) as behind_proxy:
        assert behind_proxy.client.get("/api/version").status_code == 401
        assert behind_proxy.client.get("/api/version", headers={"X-Forwarded-User": "pat"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/login"])
def test_pages_carry_a_strict_content_security_policy_with_a_fresh_nonce(web: Web, path: str) -> None:
    nonces = []
    for _ in range(2):
        answer = web.client.get(path, headers=basic())
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "base-uri 'none'" in policy
        assert "form-action 'self'" in policy
        nonce = policy.split("script-src 'nonce-", 1)[1].split("'", 1)[0]
        assert f"style-src 'nonce-{nonce}'" in policy
        assert f'<style nonce="{nonce}">' in answer.text
        if path == "/":
            assert f'<script nonce="{nonce}">' in answer.text
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.parametrize(
    ("method", "path", "authorized"),
    [
        ("GET", "/", True),
        ("GET", "/api/status", True),
        ("GET", "/api/status", False),
        ("GET", "/login", False),
        ("POST", "/login", False),
        ("GET", "/healthz", False),
        ("POST", "/webhooks/github", False),
    ],
)
def test_every_answer_forbids_sniffing_referrers_caching_and_framing(
    web: Web, method: str, path: str, authorized: bool
) -> None:
    answer = web.client.request(method, path, headers=basic() if authorized else None)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "strict-transport-security" not in answer.headers  # plain http


def test_session_cookies_are_http_only_and_same_site_strict_also_when_ended(web: Web) -> None:
    with httpx.Client(base_url=web.url) as browser:
        issued = browser.post("/login", data={"username": USER, "password": PASSWORD})
        ended = browser.post("/logout")
    for answer in (issued, ended):
        attributes = {part.strip().lower() for part in answer.headers["set-cookie"].split(";")}
        assert {"httponly", "samesite=strict", "path=/"} <= attributes


def test_with_nothing_configured_nobody_gets_in(tmp_path: Path) -> None:
    with serve_web(Settings(), Store(f"sqlite:///{tmp_path / 'n.db'}"), auth=WebAuthSettings()) as closed:
        assert closed.client.get("/api/version", headers=basic()).status_code == 401
        assert "No login is configured" in closed.client.get("/").text
    assert AUTH.basic_users  # the shared configuration does have users
