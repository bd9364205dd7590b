"""Sessions: with ``[web] session_key_env`` a login holds on every instance sharing the key (a restart, another
replica behind the proxy); without it, only on the process that issued it. A logout ends the session in the store,
so a copied cookie stops working everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from hub.settings import Settings
from hub.web.app import create_app
from hub.web.server import WebServer
from schema import ConfigError
from sync.store import Store
from tests.web.conftest import AUTH, PASSWORD, SESSION_KEY, USER, WEBHOOKS, Web, serve_web

SHARED = AUTH.model_copy(update={"session_key_env": "PMHUB_TEST_SESSION_KEY"})


@contextmanager
def _replicas(directory: Path, auth: object = SHARED) -> Iterator[tuple[Web, Web]]:
    """Two app instances, each on its own store object over one database, as two ``pmhub serve`` would be."""
    url = f"sqlite:///{directory / 'pmhub.db'}"
    with ExitStack() as stack:
        first = stack.enter_context(serve_web(Settings(), stack.enter_context(Store(url)), auth=auth))
        second = stack.enter_context(serve_web(Settings(), stack.enter_context(Store(url)), auth=auth))
        yield first, second


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Web, Web]]:
    with _replicas(tmp_path) as both:
        yield both


def _session_of(web: Web) -> str:
    login = web.client.post("/login", data={"username": USER, "password": PASSWORD})
    assert login.status_code == 303
    return login.cookies["pmhub_session"]


def _with_cookie(web: Web, cookie: str, path: str = "/api/version", method: str = "GET") -> httpx.Response:
    """The answer to a browser that holds a copy of ``cookie``."""
    with httpx.Client(base_url=web.url, cookies={"pmhub_session": cookie}) as other_browser:
        return other_browser.request(method, path)


def test_a_login_on_one_instance_holds_on_another_sharing_the_session_key(replicas: tuple[Web, Web]) -> None:
    first, second = replicas
    cookie = _session_of(first)
    assert _with_cookie(second, cookie).status_code == 200
    assert _with_cookie(first, cookie).status_code == 200


def test_without_a_shared_key_a_login_holds_only_where_it_was_made(tmp_path: Path) -> None:
    with _replicas(tmp_path, auth=AUTH) as (first, second):
        cookie = _session_of(first)
        assert _with_cookie(first, cookie).status_code == 200
        assert _with_cookie(second, cookie).status_code == 401


def test_after_logout_a_copied_cookie_is_refused_on_every_instance(replicas: tuple[Web, Web]) -> None:
    first, second = replicas
    cookie = _session_of(first)
    other_login = _session_of(first)
    assert _with_cookie(second, cookie).status_code == 200

    assert _with_cookie(first, cookie, "/logout", "POST").status_code == 303

    assert _with_cookie(first, cookie).status_code == 401
    assert _with_cookie(second, cookie).status_code == 401
    assert _with_cookie(second, other_login).status_code == 200  # only that session ended


def test_logging_out_on_the_second_instance_ends_the_session_on_the_first(replicas: tuple[Web, Web]) -> None:
    first, second = replicas
    cookie = _session_of(first)
    logout = _with_cookie(second, cookie, "/logout", "POST")
    assert logout.status_code == 303
    assert logout.headers["set-cookie"].startswith('pmhub_session=""; ')  # the browser is told to drop it
    assert "max-age=0" in logout.headers["set-cookie"].lower()
    assert _with_cookie(first, cookie).status_code == 401


@pytest.mark.parametrize(("value", "problem"), [(None, "is not set"), ("too-short", "holds fewer than 32 characters")])
def test_a_configured_session_key_that_is_unusable_stops_the_app_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, problem: str
) -> None:
    monkeypatch.delenv("PMHUB_WEB_KEY", raising=False)
    if value is not None:
        monkeypatch.setenv("PMHUB_WEB_KEY", value)
    auth = AUTH.model_copy(update={"session_key_env": "PMHUB_WEB_KEY"})
    with pytest.raises(ConfigError) as refused, Store(f"sqlite:///{tmp_path / 'pmhub.db'}") as store:
        create_app(Settings(), store, webhooks=WEBHOOKS, auth=auth)
    message = str(refused.value)
    assert f"[web] session_key_env: $PMHUB_WEB_KEY {problem}" in message
    assert "secrets.token_urlsafe" in message
    assert "too-short" not in message


@pytest.mark.parametrize(
    ("auth", "note"),
    [
        (AUTH, "a key drawn at start: logins end with this process"),
        (SHARED, "sessions signed with $PMHUB_TEST_SESSION_KEY: they survive restarts"),
    ],
)
def test_the_start_banner_says_whether_logins_are_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: object, note: str
) -> None:
    monkeypatch.setenv("PMHUB_TEST_SESSION_KEY", SESSION_KEY)
    with Store(f"sqlite:///{tmp_path / 'pmhub.db'}") as store:
        app = create_app(Settings(), store, webhooks=WEBHOOKS, auth=auth)  # type: ignore[arg-type]
        try:
            banner = WebServer(app, port=0).banner()
        finally:
            app.close()
    assert note in banner
    assert SESSION_KEY not in banner
