"""The one retry and rate-limit policy every connector uses, and the URL redaction every message uses.

:class:`RetryPolicy` runs a call (``policy.call(fn, describe=...)``) under tenacity and turns what went wrong into
the pmhub error tree:

* ``Retry-After`` (seconds or HTTP date) is honoured on any retryable answer;
* GitHub's primary limit (403/429 with ``X-RateLimit-Remaining: 0``) waits until ``X-RateLimit-Reset``;
* a secondary limit without ``Retry-After`` (429, or 403 saying "rate limit") waits at least
  ``secondary_wait`` seconds, doubling while it persists;
* 5xx, 408, dropped connections and truncated bodies back off exponentially with jitter;
* a wait longer than ``max_wait``, or running out of attempts (``max_attempts``) or time (``max_seconds``), raises
  :class:`RetryLaterError` — the next run resumes from the saved cursor;
* 401/403 raise :class:`AuthError` naming the credential (its env var name); 404 and other 4xx raise
  :class:`RefusedError` naming what was asked for. Neither is retried.

It works with three kinds of caller without importing them: a ``requests`` call (a returned ``Response`` is checked),
the ``jira`` library (``JIRAError`` carries ``.response``) and PyGithub (``GithubException`` carries ``.status`` and
``.headers``). Requests, 304s and the rate-limit budget are counted by :func:`count_responses` (a ``requests``
response hook) or :func:`record_response`; retries and waits by the policy, all into one :class:`RequestStats`.
See https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import tenacity
from requests.structures import CaseInsensitiveDict
from tenacity.stop import stop_base
from urllib3.exceptions import ProtocolError

from connectors.base import RequestStats
from schema.errors import AuthError, PmhubError, RefusedError, RetryLaterError

T = TypeVar("T")
log = logging.getLogger(f"pmhub.{__name__}")

_SECRET_PARAMS = ("token", "key", "secret", "password", "passwd", "sig", "auth", "credential", "session", "code")
_SECRET_QUERY = re.compile(rf"([?&][^=&\s]*(?:{'|'.join(_SECRET_PARAMS)})[^=&\s]*=)[^&\s'\")]+", re.IGNORECASE)
_USERINFO = re.compile(r"://[^/\s@]+@")
_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    http.client.IncompleteRead,
    ProtocolError,
    ConnectionError,
    TimeoutError,
    json.JSONDecodeError,  # a body cut short parses as broken JSON; requests.JSONDecodeError subclasses it
)


def redact_url(url: str) -> str:
    """``url`` without userinfo and with secret-looking query values masked, safe for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [(k, "***" if any(s in k.lower() for s in _SECRET_PARAMS) else v) for k, v in parse_qsl(parts.query, True)],
        safe="*:/,",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


@dataclass(frozen=True)
class HttpAnswer:
    """The parts of a failed HTTP answer the policy decides on, whichever client produced it."""

    status: int
    headers: Mapping[str, str]
    url: str = ""
    text: str = ""

    @classmethod
    def of_response(cls, response: requests.Response) -> HttpAnswer:
        try:
            text = response.text[:500]
        except _TRANSPORT_ERRORS:
            text = ""
        return cls(response.status_code, response.headers, response.url or "", text)

    @classmethod
    def of_exception(cls, exc: BaseException) -> HttpAnswer | None:
        """Read the answer from ``requests.HTTPError``, ``jira.JIRAError`` or ``github.GithubException``."""
        response = getattr(exc, "response", None)
        if isinstance(response, requests.Response):
            return cls.of_response(response)
        status = getattr(exc, "status", None)
        if not isinstance(status, int):
            status = getattr(exc, "status_code", None)
        if not isinstance(status, int):
            return None
        headers = getattr(exc, "headers", None) or {}
        data = getattr(exc, "data", None) or getattr(exc, "text", None) or ""
        text = data if isinstance(data, str) else json.dumps(data, default=str)
        return cls(status, CaseInsensitiveDict(headers), str(getattr(exc, "url", None) or ""), text[:500])


class _TransientError(Exception):
    """One retryable failure, with the wait the service asked for (``None``: back off)."""

    def __init__(self, reason: str, *, wait: float | None = None, secondary: bool = False) -> None:
        super().__init__(reason)
        self.wait = wait
        self.secondary = secondary


def record_response(stats: RequestStats, status: int, headers: Mapping[str, str], method: str, url: str) -> None:
    """Count one answered request into ``stats`` (for clients whose responses a hook cannot see)."""
    stats.requests += 1
    if status == 304:
        stats.not_modified += 1
    remaining = headers.get("X-RateLimit-Remaining")
    if remaining is not None and remaining.strip().isascii() and remaining.strip().isdigit():
        stats.rate_limit_remaining = int(remaining)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s %s: %d (rate limit left: %s)", method, redact_url(url), status, remaining or "-")


def count_responses(session: requests.Session, stats: RequestStats) -> requests.Session:
    """Install a response hook on ``session`` (ours, or ``jira._session``) that counts every answer into ``stats``."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        record_response(stats, response.status_code, response.headers, str(response.request.method), response.url)

    session.hooks.setdefault("response", []).append(hook)
    return session


@dataclass(frozen=True)
class RetryPolicy:
    """How one source retries. ``credential`` is the env var name(s) of its secret, quoted in auth errors."""

    tool: str
    credential: str
    stats: RequestStats = field(default_factory=RequestStats)
    max_attempts: int | None = 6  # None: as many as ``max_seconds`` allows
    max_seconds: float | None = None  # no attempt starts later than this after the first
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    secondary_wait: float = 60.0
    max_wait: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def call(self, fn: Callable[[], T], *, describe: str) -> T:
        """``fn()`` retried per this policy; a returned ``requests.Response`` that failed is classified too.

        ``describe`` names what is being fetched ("repo acme/web issues"), for messages.
        """
        stops: list[stop_base] = []
        if self.max_attempts is not None:
            stops.append(tenacity.stop_after_attempt(self.max_attempts))
        if self.max_seconds is not None:
            stops.append(tenacity.stop_before_delay(self.max_seconds))
        retrying = tenacity.Retrying(
            stop=tenacity.stop_any(*stops),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(_TransientError),
            sleep=self.sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            result: T = retrying(self._attempt, fn, describe)
            return result
        except _TransientError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise RetryLaterError(f"{self.tool}: {describe} still failing after {attempts} attempts: {exc}") from exc

    def get_json(self, session: requests.Session, url: str, *, describe: str, method: str = "GET", **kw: Any) -> Any:
        """One JSON request through ``session`` under this policy; a truncated body is retried."""

        def fetch() -> Any:
            return self.check_response(session.request(method, url, **kw), describe).json()

        return self.call(fetch, describe=describe)

    def check_response(self, response: requests.Response, describe: str) -> requests.Response:
        """``response`` if it succeeded (2xx/304), else the classified error raised."""
        if response.status_code < 400:
            return response
        raise self._classify(HttpAnswer.of_response(response), describe)

    def _attempt(self, fn: Callable[[], T], describe: str) -> T:
        try:
            result = fn()
        except (_TransientError, PmhubError):
            raise
        except _TRANSPORT_ERRORS as exc:
            raise _TransientError(f"{type(exc).__name__}: {_redact_text(str(exc))}") from exc
        except Exception as exc:
            answer = HttpAnswer.of_exception(exc)
            if answer is None:
                raise
            raise self._classify(answer, describe) from exc
        if isinstance(result, requests.Response):
            self.check_response(result, describe)
        return result

    def _classify(self, answer: HttpAnswer, describe: str) -> Exception:
        status, headers = answer.status, answer.headers
        where = f"{self.tool}: {describe} ({redact_url(answer.url)})" if answer.url else f"{self.tool}: {describe}"
        retry_after = _retry_after(headers.get("Retry-After"), self.clock())
        if status in (403, 429) and headers.get("X-RateLimit-Remaining") == "0" and retry_after is None:
            reset = headers.get("X-RateLimit-Reset", "")
            known = reset.isascii() and reset.isdigit()
            wait = max(float(reset) - self.clock(), 0.0) + 1.0 if known else self.secondary_wait
            return self._throttled(where, "primary rate limit exhausted", wait)
        if status == 429 or (status == 403 and (retry_after is not None or "rate limit" in answer.text.lower())):
            if retry_after is not None:
                return self._throttled(where, f"rate limited ({status})", retry_after)
            return _TransientError(f"{where}: secondary rate limit ({status})", secondary=True)
        if status in (401, 403):
            return AuthError(
                f"{where}: the service refused the credential ({status}); check {self.credential}",
                status=status,
                credential=self.credential,
                said=_reason(answer.text),
            )
        if status >= 500 or status == 408:
            if retry_after is not None:
                return self._throttled(where, f"HTTP {status}", retry_after)
            return _TransientError(f"{where}: HTTP {status}")
        what = "not found" if status == 404 else f"refused ({status}): {_redact_text(answer.text[:200])}"
        return RefusedError(f"{where}: {what}", status=status, url=redact_url(answer.url))

    def _throttled(self, where: str, reason: str, wait: float) -> Exception:
        if wait > self.max_wait:
            return RetryLaterError(
                f"{where}: {reason}; the service asks to wait {wait:.0f} s, more than the {self.max_wait:.0f} s "
                "allowed; the next run resumes from the saved cursor",
                retry_after=wait,
            )
        return _TransientError(f"{where}: {reason}", wait=wait)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _TransientError) and exc.wait is not None:
            return exc.wait
        if isinstance(exc, _TransientError) and exc.secondary:
            return min(self.secondary_wait * 2.0 ** (state.attempt_number - 1), self.max_wait)
        backoff = tenacity.wait_random_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
        return float(backoff(state))

    def _count_retry(self, state: tenacity.RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        self.stats.retries += 1
        self.stats.waited_seconds += wait
        exc = state.outcome.exception() if state.outcome else None
        log.info("retrying in %.1f s (attempt %d): %s", wait, state.attempt_number, exc)


def _retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max(email.utils.parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


def _reason(text: str) -> str:
    """The reason an error body gives: GitHub's ``message``, Jira's ``errorMessages``, else its first line."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = body.get("message") or body.get("errorMessages") or body.get("detail") or body.get("error")
        text = " ".join(map(str, found)) if isinstance(found, list) else str(found or "")
    return _redact_text(text.strip().splitlines()[0][:200]) if text.strip() else ""


def _redact_text(text: str) -> str:
    """``text`` (e.g. a urllib3 message quoting a path and query) with userinfo and secret query values masked."""
    return _SECRET_QUERY.sub(r"\1***", _USERINFO.sub("://", text))
