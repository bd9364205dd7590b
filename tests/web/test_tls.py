"""Answers that went out over https — uvicorn's own TLS, or a trusted proxy's ``X-Forwarded-Proto: https`` — carry
Strict-Transport-Security and set Secure cookies; plain http answers carry neither, whatever a client claims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.settings import Settings
from sync.store import Store
from tests.support.tls import self_signed
from tests.web.conftest import AUTH, PASSWORD, USER, basic, client_at, serve_web

HSTS = "max-age=31536000"
HTTPS = {"X-Forwarded-Proto": "https"}


def _login(client: httpx.Client, headers: dict[str, str] | None = None) -> httpx.Response:
    answer = client.post("/login", data={"username": USER, "password": PASSWORD}, headers=headers)
    assert answer.status_code == 303
    return answer


def _secure_cookie(answer: httpx.Response) -> bool:
    attributes = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    return "secure" in attributes


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'pmhub.db'}") as opened:
        yield opened


def test_over_tls_every_answer_carries_hsts_and_the_session_cookie_is_secure(tmp_path: Path, store: Store) -> None:
    with serve_web(Settings(), store, tls=self_signed(tmp_path)) as web:
        assert web.url.startswith("https://")
        for answer in (
            web.client.get("/healthz"),
            web.client.get("/api/status"),  # a 401
            web.client.get("/", headers=basic()),
            web.client.post("/webhooks/github", content=b"{}"),  # an unsigned delivery, refused
        ):
            assert answer.headers["strict-transport-security"] == HSTS
        login = _login(web.client)
        assert _secure_cookie(login)
        assert web.client.get("/api/version").status_code == 200  # the Secure cookie goes back over https
        logout = web.client.post("/logout")
        assert _secure_cookie(logout)


def test_over_plain_http_there_is_no_hsts_and_no_secure_cookie(store: Store) -> None:
    with serve_web(Settings(), store) as web:
        # no proxy is trusted, so a claim of https from the loopback (uvicorn's default trust) counts for nothing
        for headers in ({}, HTTPS):
            assert "strict-transport-security" not in web.client.get("/healthz", headers=headers).headers
            assert not _secure_cookie(_login(web.client, headers))


def test_include_subdomains_only_when_configured(tmp_path: Path, store: Store) -> None:
    auth = AUTH.model_copy(update={"hsts_include_subdomains": True})
    with serve_web(Settings(), store, tls=self_signed(tmp_path), auth=auth) as web:
        assert web.client.get("/healthz").headers["strict-transport-security"] == f"{HSTS}; includeSubDomains"


def test_forwarded_https_counts_from_a_trusted_proxy_and_not_from_anyone_else(store: Store) -> None:
    auth = AUTH.model_copy(update={"forwarded_allow_ips": ["127.0.0.1"]})
    with serve_web(Settings(), store, auth=auth) as web, client_at(web.url, "127.0.0.2") as stranger:
        proxied = web.client.get("/healthz", headers=HTTPS)
        assert proxied.headers["strict-transport-security"] == HSTS
        assert _secure_cookie(_login(web.client, HTTPS))
        assert "strict-transport-security" not in web.client.get("/healthz").headers  # the proxy's http side

        forged = stranger.get("/healthz", headers=HTTPS)
        assert "strict-transport-security" not in forged.headers
        assert not _secure_cookie(_login(stranger, HTTPS))
