"""Guessing is slow: failed logins (form, basic, bearer) make the next attempts from that address — or that address
and user name — wait, answered 429 with a growing Retry-After without checking the password; other addresses are
never held up, and forwarded addresses count only from a trusted proxy.

The waits themselves are pinned on :class:`Throttle` with a hand-moved clock; the served app shows them over real
HTTP with real time, from several loopback addresses as distinct peers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hub.settings import Settings
from hub.web.config import ThrottleSettings, WebAuthSettings
from hub.web.security import Throttle
from sync.store import Store
from tests.web.conftest import AUTH, BEARER, PASSWORD, USER, Web, basic, client_at, serve_web

ATTACKER = "127.0.0.2"
COLLEAGUE = "127.0.0.3"
QUICK = ThrottleSettings(user_failures=3, address_failures=6, first_wait_seconds=1, max_wait_seconds=2)
HOLD = ThrottleSettings(user_failures=3, address_failures=6, first_wait_seconds=60, max_wait_seconds=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, capacity: int = 10_000, **limits: int) -> Throttle:
    settings = {"user_failures": 3, "address_failures": 10, "first_wait_seconds": 1, "max_wait_seconds": 8} | limits
    return Throttle(ThrottleSettings(**settings), clock=clock, capacity=capacity)


def test_waits_start_after_the_limit_and_double_with_each_further_failure_up_to_the_cap() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    assert [throttle.attempt("10.0.0.1", "pat") for _ in range(3)] == [0, 0, 0]  # three tries go ahead
    waits = []
    for _ in range(6):
        wait = throttle.attempt("10.0.0.1", "pat")
        waits.append(wait)
        clock.now += wait
        assert throttle.attempt("10.0.0.1", "pat") == 0  # after the wait one more try goes ahead (and fails)
    assert waits == [1, 2, 4, 8, 8, 8]


def test_a_success_clears_the_count() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(2):
        throttle.attempt("10.0.0.1", "pat")
    throttle.succeeded("10.0.0.1", "pat")
    assert [throttle.attempt("10.0.0.1", "pat") for _ in range(3)] == [0, 0, 0]
    assert throttle.attempt("10.0.0.1", "pat") == 1


def test_failures_are_forgotten_after_a_quiet_time() -> None:
    clock = Clock()
    throttle = _throttle(clock, forget_seconds=60)
    for _ in range(3):
        throttle.attempt("10.0.0.1", "pat")
    clock.now += 1 + 61  # the wait, then the quiet time
    assert [throttle.attempt("10.0.0.1", "pat") for _ in range(3)] == [0, 0, 0]


def test_one_address_trying_many_user_names_waits_as_a_whole() -> None:
    throttle = _throttle(Clock(), address_failures=4)
    assert [throttle.attempt("10.0.0.1", f"user{n}") for n in range(4)] == [0, 0, 0, 0]
    assert throttle.attempt("10.0.0.1", "someone-new") == 1
    assert throttle.attempt("10.0.0.1", None) == 1  # a bearer token from there waits too
    assert throttle.attempt("10.0.0.2", "user0") == 0


def test_the_table_stays_bounded_while_an_attacker_rotates_addresses() -> None:
    clock = Clock()
    throttle = _throttle(clock, capacity=100)
    for _ in range(3):
        throttle.attempt("192.0.2.1", "pat")  # blocked, and it keeps knocking below
    for n in range(5000):
        throttle.attempt(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", "pat")
        if n % 20 == 0:
            assert throttle.attempt("192.0.2.1", "pat") > 0
        assert len(throttle) <= 100
    assert throttle.attempt("192.0.2.1", "pat") > 0  # still remembered: it never went quiet


@contextmanager
def _served(directory: Path, throttle: ThrottleSettings, **auth: object) -> Iterator[Web]:
    settings = AUTH.model_copy(update={"throttle": throttle, **auth})
    with serve_web(Settings(), Store(f"sqlite:///{directory / 'pmhub.db'}"), auth=settings) as served:
        yield served


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[Web]:
    """Waits of 1 s then 2 s, to be sat out."""
    with _served(tmp_path, QUICK) as served:
        yield served


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    """Waits of a minute: whatever a test does meanwhile stays held."""
    with _served(tmp_path, HOLD) as served:
        yield served


def _form(client: httpx.Client, password: str, user: str = USER) -> httpx.Response:
    return client.post("/login", data={"username": user, "password": password, "next": "/"})


def test_after_a_few_wrong_passwords_even_the_right_one_waits_unchecked_then_a_success_resets(quick: Web) -> None:
    assert [_form(quick.client, "wrong").status_code for _ in range(3)] == [401, 401, 401]

    held = _form(quick.client, PASSWORD)
    assert (held.status_code, held.headers["retry-after"]) == (429, "1")
    assert "Too many failed logins" in held.text
    assert "pmhub_session" not in held.headers.get("set-cookie", "")

    time.sleep(1.05)
    assert _form(quick.client, PASSWORD).status_code == 303
    assert [_form(quick.client, "wrong").status_code for _ in range(3)] == [401, 401, 401]  # counted from zero again


def test_retry_after_grows_with_each_failure_up_to_the_cap(quick: Web) -> None:
    for _ in range(3):
        _form(quick.client, "wrong")
    seen = []
    for _ in range(3):
        held = _form(quick.client, "wrong")
        assert held.status_code == 429
        seen.append(int(held.headers["retry-after"]))
        time.sleep(seen[-1] + 0.05)
        assert _form(quick.client, "wrong").status_code == 401
    assert seen == [1, 2, 2]


def test_fifty_guesses_in_a_row_get_three_answers_checked(web: Web) -> None:
    answers = [_form(web.client, f"guess-{n}") for n in range(50)]
    assert [a.status_code for a in answers].count(401) == 3
    assert [a.status_code for a in answers[3:]] == [429] * 47
    assert {a.headers["retry-after"] for a in answers[3:]} <= {"59", "60"}
    assert web.state.counters.snapshot()[1:] == (3, 47)


def test_wrong_bearer_and_basic_headers_are_throttled_on_the_api_and_the_page(web: Web) -> None:
    wrong_token = {"Authorization": "Bearer not-the-token"}
    assert {web.client.get("/api/status", headers=wrong_token).status_code for _ in range(6)} == {401}
    api = web.client.get("/api/status", headers={"Authorization": f"Bearer {BEARER}"})
    assert api.status_code == 429
    assert api.headers["retry-after"] in ("59", "60")
    assert api.json() == {"detail": "too many failed logins from this address; retry later"}
    page = web.client.get("/", headers=basic())
    assert page.status_code == 429
    assert page.headers["retry-after"] in ("59", "60")
    assert 'id="throttled"' in page.text


def test_guessing_from_one_address_never_locks_out_the_right_credentials_from_another(web: Web) -> None:
    with client_at(web.url, ATTACKER) as attacker, client_at(web.url, COLLEAGUE) as colleague:
        for n in range(6):
            attacker.get("/api/version", headers=basic(USER, f"guess-{n}"))
            attacker.get("/api/version", headers={"Authorization": f"Bearer guess-{n}"})
        assert attacker.get("/api/version", headers={"Authorization": f"Bearer {BEARER}"}).status_code == 429
        assert attacker.get("/api/version", headers=basic()).status_code == 429

        assert colleague.get("/api/version", headers={"Authorization": f"Bearer {BEARER}"}).status_code == 200
        assert colleague.get("/api/version", headers=basic()).status_code == 200
        assert _form(colleague, PASSWORD).status_code == 303
        assert web.client.get("/api/version", headers=basic()).status_code == 200


def test_a_logged_in_session_keeps_working_while_its_address_is_throttled(web: Web) -> None:
    assert _form(web.client, PASSWORD).status_code == 303
    for _ in range(6):
        web.client.get("/api/version", headers={"Authorization": "Bearer wrong"})
    assert web.client.get("/api/version", headers={"Authorization": f"Bearer {BEARER}"}).status_code == 429
    assert web.client.get("/api/version").status_code == 200  # the session cookie carries no password to guess


def test_the_status_page_counts_failed_and_throttled_logins(web: Web) -> None:
    with client_at(web.url, ATTACKER) as attacker:
        for n in range(5):
            _form(attacker, f"guess-{n}")
    status = web.client.get("/api/status", headers=basic()).json()["webhooks"]
    assert (status["failed_logins"], status["throttled_logins"]) == (3, 2)
    page = web.client.get("/", headers=basic()).text
    assert '<td id="failed-logins">3</td>' in page
    assert '<td id="throttled-logins">2</td>' in page


def test_forwarded_addresses_count_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    with _served(tmp_path, HOLD, forwarded_allow_ips=["127.0.0.1"]) as web:
        proxy = web.client  # connects from 127.0.0.1, the trusted proxy
        behind = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(3):
            proxy.get("/api/version", headers=basic(USER, f"guess-{n}") | behind)
        assert proxy.get("/api/version", headers=basic() | behind).status_code == 429
        # another client behind the same proxy, and the proxy's own address, are not held up
        assert proxy.get("/api/version", headers=basic() | {"X-Forwarded-For": "203.0.113.8"}).status_code == 200
        assert proxy.get("/api/version", headers=basic()).status_code == 200

        with client_at(web.url, ATTACKER) as direct:
            for n in range(3):
                direct.get("/api/version", headers=basic(USER, f"guess-{n}") | {"X-Forwarded-For": f"198.51.100.{n}"})
            # an untrusted peer's X-Forwarded-For is ignored: rotating it does not escape the throttle
            forged = direct.get("/api/version", headers=basic() | {"X-Forwarded-For": "198.51.100.99"})
            assert forged.status_code == 429


def test_throttle_settings_refuse_a_cap_below_the_first_wait() -> None:
    with pytest.raises(ValueError, match="max_wait_seconds must be at least first_wait_seconds"):
        WebAuthSettings.model_validate({"throttle": {"first_wait_seconds": 60, "max_wait_seconds": 10}})
