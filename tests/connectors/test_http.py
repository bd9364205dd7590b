"""The retry and rate-limit policy against a real local HTTP server answering scripted status sequences."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from email.utils import formatdate

import github
import jira
import pytest
import requests
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from connectors.base import RequestStats
from connectors.http import RetryPolicy, count_responses, redact_url
from schema.errors import AuthError, RefusedError, RetryLaterError
from serving import ServedApp

NOW = 1_800_000_000.0
TOKEN = "ghp_s3cr3tTokenValue"


class _CutShort(Response):
    """Promises 100 bytes, sends 12, then the connection drops."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"100")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
        raise ConnectionAbortedError("dropped on purpose")


SCRIPT: dict[str, list[Response]] = {}


def _app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{name:path}", methods=["GET", "POST"])
    def scripted(name: str) -> Response:
        queue = SCRIPT.get(name) or [JSONResponse({"ok": name})]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with ServedApp(_app()) as served:
        yield served.url


@pytest.fixture(autouse=True)
def _clear_script() -> None:
    SCRIPT.clear()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _policy(max_attempts: int = 6, max_wait: float = 900.0) -> tuple[RetryPolicy, Sleeps, requests.Session]:
    sleeps = Sleeps()
    policy = RetryPolicy(
        "github", "PMHUB_GITHUB_TOKEN", max_attempts=max_attempts, max_wait=max_wait, sleep=sleeps, clock=lambda: NOW
    )
    return policy, sleeps, count_responses(requests.Session(), policy.stats)


def test_retry_after_is_honoured_then_the_answer_is_returned(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({}, 429, {"Retry-After": "7"}), JSONResponse({"n": 1})]
    policy, sleeps, session = _policy()
    assert policy.get_json(session, f"{server}/a", describe="thing") == {"n": 1}
    assert sleeps == [7.0]
    assert (policy.stats.requests, policy.stats.retries, policy.stats.waited_seconds) == (2, 1, 7.0)


def test_retry_after_as_http_date_is_honoured(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({}, 503, {"Retry-After": formatdate(NOW + 12, usegmt=True)}), JSONResponse({})]
    policy, sleeps, session = _policy()
    policy.get_json(session, f"{server}/a", describe="thing")
    assert sleeps == [12.0]


def test_a_503_asking_for_more_than_max_wait_stops_the_run(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({}, 503, {"Retry-After": "7200"})]
    policy, sleeps, session = _policy(max_wait=600.0)
    with pytest.raises(RetryLaterError, match=r"HTTP 503.*7200 s") as caught:
        policy.get_json(session, f"{server}/a", describe="thing")
    assert (caught.value.retry_after, sleeps) == (7200.0, [])


def test_primary_limit_waits_until_reset(server: str) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 30)}
    SCRIPT["a"] = [JSONResponse({"message": "API rate limit exceeded"}, 403, headers), JSONResponse({})]
    policy, sleeps, session = _policy()
    policy.get_json(session, f"{server}/a", describe="repo acme/web issues")
    assert sleeps == [31.0]
    assert policy.stats.rate_limit_remaining == 0


def test_reset_further_away_than_max_wait_raises_retry_later_without_sleeping(server: str) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)}
    SCRIPT["a"] = [JSONResponse({"message": "API rate limit exceeded"}, 429, headers)]
    policy, sleeps, session = _policy(max_wait=900.0)
    with pytest.raises(RetryLaterError, match="repo acme/web issues") as caught:
        policy.get_json(session, f"{server}/a", describe="repo acme/web issues")
    assert caught.value.retry_after == 3601.0
    assert sleeps == []
    assert policy.stats.rate_limit_remaining == 0


def test_secondary_limit_without_retry_after_waits_a_minute_then_backs_off(server: str) -> None:
    body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
    SCRIPT["a"] = [JSONResponse(body, 403), JSONResponse(body, 403), JSONResponse({})]
    policy, sleeps, session = _policy()
    policy.get_json(session, f"{server}/a", describe="thing")
    assert sleeps == [60.0, 120.0]


def test_server_errors_back_off_with_jitter_and_give_up_after_bounded_attempts(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({}, 502)]
    policy, sleeps, session = _policy(max_attempts=4)
    with pytest.raises(RetryLaterError, match=r"after 4 attempts.*HTTP 502"):
        policy.get_json(session, f"{server}/a", describe="thing")
    assert len(sleeps) == 3
    assert all(0 <= s <= policy.backoff_max for s in sleeps)
    assert (policy.stats.requests, policy.stats.retries) == (4, 3)


def test_401_names_the_env_var_and_never_the_token(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({"message": "Bad credentials"}, 401)]
    policy, sleeps, session = _policy()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    with pytest.raises(AuthError) as caught:
        policy.get_json(session, f"http://user:{TOKEN}@{server[7:]}/a?access_token={TOKEN}", describe="repo acme/web")
    message = str(caught.value)
    assert "PMHUB_GITHUB_TOKEN" in message
    assert TOKEN not in message
    assert "access_token=***" in message
    assert (sleeps, policy.stats.requests) == ([], 1)


def test_403_without_rate_limit_signs_is_an_auth_error(server: str) -> None:
    SCRIPT["a"] = [JSONResponse({"message": "Resource not accessible by integration"}, 403)]
    policy, _, session = _policy()
    with pytest.raises(AuthError, match="PMHUB_GITHUB_TOKEN"):
        policy.get_json(session, f"{server}/a", describe="thing")


def test_404_names_what_was_asked_for_and_is_not_retried(server: str) -> None:
    SCRIPT["repos/acme/web"] = [JSONResponse({"message": "Not Found"}, 404)]
    policy, sleeps, session = _policy()
    with pytest.raises(RefusedError, match=r"repo acme/web .*/repos/acme/web\).*not found") as caught:
        policy.get_json(session, f"{server}/repos/acme/web", describe="repo acme/web")
    assert caught.value.status == 404
    assert sleeps == []


def test_connection_dropped_mid_body_is_retried(server: str) -> None:
    SCRIPT["a"] = [_CutShort(), JSONResponse({"whole": True})]
    policy, sleeps, session = _policy()
    assert policy.get_json(session, f"{server}/a", describe="thing") == {"whole": True}
    assert len(sleeps) == 1


def test_json_cut_short_is_retried(server: str) -> None:
    SCRIPT["a"] = [Response(b'{"results": [[1, 2', media_type="application/json"), JSONResponse({"results": []})]
    policy, _, session = _policy()
    assert policy.get_json(session, f"{server}/a", describe="thing") == {"results": []}
    assert policy.stats.retries == 1


def test_refused_connection_is_retried_then_reported_as_retry_later() -> None:
    policy, sleeps, session = _policy(max_attempts=2)
    with pytest.raises(RetryLaterError, match=r"ConnectionError") as caught:
        policy.get_json(session, f"http://127.0.0.1:9/x?api_key={TOKEN}", describe="thing")
    assert TOKEN not in str(caught.value)
    assert len(sleeps) == 1


def test_a_retried_request_with_a_token_in_its_url_logs_no_token(server: str, caplog: pytest.LogCaptureFixture) -> None:
    SCRIPT["t"] = [
        JSONResponse({}, 503, {"Retry-After": "2"}),
        JSONResponse({"n": 1}, headers={"X-RateLimit-Remaining": "7"}),
    ]
    policy, sleeps, session = _policy()
    caplog.set_level(logging.DEBUG, logger="pmhub")
    secret_url = server.replace("://", f"://pm:{TOKEN}@") + f"/t?access_token={TOKEN}&page=2"
    assert policy.get_json(session, secret_url, describe="thing") == {"n": 1}
    assert sleeps == [2.0]
    [retry] = [r for r in caplog.records if r.levelno == logging.INFO]
    assert retry.name == "pmhub.connectors.http"
    assert retry.getMessage().startswith("retrying in 2.0 s (attempt 1): github: thing (")
    answers = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert [a.split(": ", 1)[1] for a in answers] == ["503 (rate limit left: -)", "200 (rate limit left: 7)"]
    assert all(a.startswith("GET http://127.0.0.1") and "access_token=***&page=2" in a for a in answers)
    assert TOKEN not in caplog.text
    assert "pm@" not in caplog.text


def test_a_time_bound_instead_of_an_attempt_bound_gives_up_once_the_next_attempt_would_start_too_late() -> None:
    policy = RetryPolicy(
        "store", "store.url", max_attempts=None, max_seconds=0.5, backoff_initial=0.05, backoff_max=0.1
    )
    started = time.monotonic()

    def refused() -> None:
        raise ConnectionError("connection refused")

    with pytest.raises(RetryLaterError, match=r"still failing after \d+ attempts: ConnectionError: connection refused"):
        policy.call(refused, describe="the database")

    assert 0.3 < time.monotonic() - started <= 0.6
    assert policy.stats.retries >= 4


def test_stats_count_requests_not_modified_and_remaining_budget(server: str) -> None:
    SCRIPT["a"] = [Response(status_code=304, headers={"X-RateLimit-Remaining": "4999"})]
    policy, _, session = _policy()
    response = policy.call(lambda: session.get(f"{server}/a"), describe="thing")
    assert response.status_code == 304
    policy.call(lambda: session.get(f"{server}/b"), describe="thing")
    assert policy.stats == RequestStats(requests=2, not_modified=1, rate_limit_remaining=4999)


def test_pygithub_errors_are_classified(server: str) -> None:
    SCRIPT["repos/acme/web"] = [
        JSONResponse({"message": "Server Error"}, 500),
        JSONResponse({"message": "Bad credentials"}, 401),
    ]
    policy, sleeps, _ = _policy()
    client = github.Github(auth=github.Auth.Token(TOKEN), base_url=server, retry=None, seconds_between_requests=None)
    with pytest.raises(AuthError, match="PMHUB_GITHUB_TOKEN") as caught:
        policy.call(lambda: client.get_repo("acme/web"), describe="repo acme/web")
    assert TOKEN not in str(caught.value)
    assert len(sleeps) == 1


def test_jira_library_errors_are_classified_through_its_session(server: str) -> None:
    SCRIPT["rest/api/2/myself"] = [
        JSONResponse({}, 429, {"Retry-After": "3"}),
        JSONResponse({"errorMessages": ["Client must be authenticated"]}, 401),
    ]
    policy, sleeps, _ = _policy()
    policy = RetryPolicy(tool="jira", credential="PMHUB_JIRA_TOKEN", stats=policy.stats, sleep=sleeps)
    client = jira.JIRA(server, basic_auth=("me@example.com", TOKEN), get_server_info=False, max_retries=0)
    count_responses(client._session, policy.stats)
    with pytest.raises(AuthError, match="PMHUB_JIRA_TOKEN") as caught:
        policy.call(client.myself, describe="Jira user")
    assert TOKEN not in str(caught.value)
    assert sleeps == [3.0]
    assert policy.stats.requests == 2


def test_redact_url_drops_userinfo_and_masks_secret_params() -> None:
    url = f"https://bot:{TOKEN}@api.example.com:8443/p?api_key={TOKEN}&page=2&access_token={TOKEN}"
    assert redact_url(url) == "https://api.example.com:8443/p?api_key=***&page=2&access_token=***"
