"""Who may write and who may read: webhook signatures, page logins, their throttle and sessions, and the counters of
refusals.

Every secret comparison is constant-time (:func:`hmac.compare_digest`) and every refusal looks the same whatever was
presented, so neither a forged delivery nor a failed login learns how close it came. Refusals are only counted.

A reader authenticates with one of: ``Authorization: Bearer <token>``; ``Authorization: Basic`` for a configured
user; the user header an authenticating reverse proxy sets (when configured); or the session cookie the login form
issues (:class:`Sessions`).

Guessing is slowed by :class:`Throttle`: every attempt that presents a password or token (the form, basic, bearer)
counts against its client address and against that address with the user name; past a few failures the next
attempts wait — answered without looking at the password — for a time that doubles with each further failure, up
to a cap. Another address is never held up, so guessing from one place cannot lock out the right token from another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from pydantic import SecretStr

from hub.web.config import Secrets, ThrottleSettings
from sync.store import Store

SESSION_COOKIE = "pmhub_session"

# what every answer carries (HTML pages set their own, stricter-scoped CSP)
RESPONSE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)
HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600
THROTTLE_CAPACITY = 10_000  # addresses and (address, user) pairs remembered; the least recently seen go first


def hsts_header(include_subdomains: bool) -> tuple[bytes, bytes]:
    """``Strict-Transport-Security`` for answers that went out over https (never over plain http, where a
    man in the middle could strip or forge it: https://www.rfc-editor.org/rfc/rfc6797#section-7.2)."""
    value = f"max-age={HSTS_MAX_AGE_SECONDS}" + ("; includeSubDomains" if include_subdomains else "")
    return b"strict-transport-security", value.encode()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def sign(secret: SecretStr, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body, as GitHub and Jira send it."""
    return "sha256=" + hmac.digest(secret.get_secret_value().encode(), body, "sha256").hex()


def signature_valid(secret: SecretStr | None, body: bytes, header: str | None) -> bool:
    """True only when a secret is configured and ``header`` is the body's signature under it."""
    # why: GitHub's guidance is HMAC-SHA256 over the raw payload bytes and a constant-time compare
    # (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries); Jira signs the same way
    # (https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks).
    if secret is None or not header:
        return False
    return _same(header.strip(), sign(secret, body))


def token_valid(secret: SecretStr | None, given: str | None) -> bool:
    return secret is not None and given is not None and _same(given, secret.get_secret_value())


class Refusals(NamedTuple):
    forged: dict[str, int]
    failed_logins: int
    throttled_logins: int


@dataclass
class Counters:
    """Refusals since start: forged deliveries (per tool), failed logins, and attempts refused by the throttle."""

    forged: dict[str, int] = field(default_factory=dict)
    failed_logins: int = 0
    throttled_logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def forged_delivery(self, tool: str) -> None:
        with self._lock:
            self.forged[tool] = self.forged.get(tool, 0) + 1

    def failed_login(self) -> None:
        with self._lock:
            self.failed_logins += 1

    def throttled_login(self) -> None:
        with self._lock:
            self.throttled_logins += 1

    def snapshot(self) -> Refusals:
        with self._lock:
            return Refusals(dict(self.forged), self.failed_logins, self.throttled_logins)


class LoginRefusedError(Exception):
    """Credentials were presented and are wrong (counted as a failed login)."""


class LoginThrottledError(Exception):
    """Too many failed attempts from this client: refused unchecked until ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


_Key = tuple[str, str | None]  # (address, None) or (address, user name)


@dataclass
class _Strikes:
    failures: int = 0
    waits: int = 0
    until: float = 0.0  # when the current wait ends
    last: float = 0.0  # the last failure


class Throttle:
    """Failed attempts per client address and per (address, user name), and the waits they earn.

    Every attempt is charged as a failure when it starts (:meth:`attempt`), so parallel guesses cannot slip past the
    limit, and a success clears its charges (:meth:`succeeded`). ``clock`` is monotonic seconds."""

    def __init__(
        self,
        settings: ThrottleSettings,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = THROTTLE_CAPACITY,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._capacity = capacity
        self._strikes: OrderedDict[_Key, _Strikes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._strikes)

    def attempt(self, address: str, user: str | None) -> int:
        """Seconds the client must still wait (the attempt is refused, uncharged), or 0: go ahead, charged."""
        now = self._clock()
        limits = self._limits(address, user)
        with self._lock:
            found = [self._strikes.get(key) for key, _ in limits]
            wait = max((s.until - now for s in found if s is not None), default=0.0)
            if wait > 0:
                for (key, _), strikes in zip(limits, found, strict=True):
                    if strikes is not None:
                        self._strikes.move_to_end(key)  # a guesser that keeps knocking stays remembered
                return math.ceil(wait)
            for (key, threshold), strikes in zip(limits, found, strict=True):
                self._charge(key, threshold, strikes, now)
            self._forget_oldest(now)
        return 0

    def succeeded(self, address: str, user: str | None) -> None:
        with self._lock:
            for key, _ in self._limits(address, user):
                self._strikes.pop(key, None)

    def _limits(self, address: str, user: str | None) -> list[tuple[_Key, int]]:
        limits: list[tuple[_Key, int]] = [((address, None), self._settings.address_failures)]
        if user:
            limits.append(((address, user), self._settings.user_failures))
        return limits

    def _stale(self, strikes: _Strikes, now: float) -> bool:
        return max(strikes.last, strikes.until) + self._settings.forget_seconds < now

    def _charge(self, key: _Key, threshold: int, strikes: _Strikes | None, now: float) -> None:
        if strikes is None or self._stale(strikes, now):
            strikes = _Strikes()
        strikes.failures += 1
        strikes.last = now
        if strikes.failures >= threshold:
            strikes.waits += 1
            doubled = self._settings.first_wait_seconds * 2 ** min(strikes.waits - 1, 32)
            strikes.until = now + min(self._settings.max_wait_seconds, doubled)
        self._strikes[key] = strikes
        self._strikes.move_to_end(key)

    def _forget_oldest(self, now: float) -> None:
        while self._strikes:
            oldest = next(iter(self._strikes.values()))
            if len(self._strikes) <= self._capacity and not self._stale(oldest, now):
                return
            self._strikes.popitem(last=False)


@dataclass(frozen=True)
class Session:
    id: str
    user: str
    expires: int  # epoch seconds


class Sessions:
    """Session cookies ``<id>.<user, base64url>.<expiry, epoch s>.<HMAC-SHA256>``, and their end at logout.

    The key is the configured shared one, so a restart or another replica accepts the cookie, or else one drawn when
    the process starts. A logout records the session id in the store, where every replica sees it until the
    session would have expired anyway."""

    def __init__(self, key: SecretStr | None, hours: float, store: Store) -> None:
        self.shared = key is not None
        self._key = key.get_secret_value().encode() if key is not None else secrets.token_bytes(32)
        self.seconds = int(hours * 3600)
        self._store = store

    def issue(self, user: str) -> str:
        name = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
        payload = f"{secrets.token_urlsafe(16)}.{name}.{int(time.time()) + self.seconds}"
        return f"{payload}.{self._mac(payload)}"

    def read(self, cookie: str) -> Session | None:
        """The session the cookie names when it is genuine, unexpired and not logged out; else ``None``."""
        session = self._verified(cookie)
        if session is None or self._store.sessions.revoked(session.id):
            return None
        return session

    def revoke(self, cookie: str) -> None:
        session = self._verified(cookie)
        if session is not None:
            self._store.sessions.revoke(session.id, datetime.fromtimestamp(session.expires, UTC))

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def _verified(self, cookie: str) -> Session | None:
        payload, _, mac = cookie.rpartition(".")
        parts = payload.split(".")
        if len(parts) != 3 or not _same(mac, self._mac(payload)):
            return None
        session_id, name, expiry = parts
        if not expiry.isdigit() or int(expiry) < time.time():
            return None
        try:
            user = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return Session(session_id, user, int(expiry))


class Authenticator:
    """Decides who a request's credentials name; ``None`` when it presents none. Wrong credentials raise
    :class:`LoginRefusedError` (counted), a throttled client :class:`LoginThrottledError` (counted, not checked)."""

    def __init__(
        self,
        secrets_: Secrets,
        trusted_user_header: str | None,
        sessions: Sessions,
        throttle: Throttle,
        counters: Counters,
    ) -> None:
        self._secrets = secrets_
        self._header = trusted_user_header
        self.sessions = sessions
        self._throttle = throttle
        self._counters = counters
        self._dummy = SecretStr(secrets.token_urlsafe(24))

    @property
    def configured(self) -> bool:
        return self._secrets.page_auth_configured or self._header is not None

    def identify(
        self, client: str, authorization: str | None, headers_user: str | None, cookie: str | None
    ) -> str | None:
        """The user that ``client`` (its address) authenticates as with these headers and session cookie."""
        if self._header is not None and headers_user:
            return headers_user
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "basic":
                user, password = _basic(value.strip())
                return self._attempt(client, user, lambda: user if user and self._password(user, password) else None)
            token = value.strip() if scheme.lower() == "bearer" else None
            return self._attempt(client, None, lambda: "bearer" if self._token(token) else None)
        if cookie:
            session = self.sessions.read(cookie)
            if session is None:
                self._counters.failed_login()
                raise LoginRefusedError
            return session.user
        return None

    def login(self, client: str, user: str, password: str) -> str:
        """Who the login form's fields name: a user and its password, or no user and the access token."""
        if user:
            return self._attempt(client, user, lambda: user if self._password(user, password) else None)
        return self._attempt(client, None, lambda: "bearer" if self._token(password) else None)

    def _attempt(self, client: str, user: str | None, check: Callable[[], str | None]) -> str:
        wait = self._throttle.attempt(client, user)
        if wait:
            self._counters.throttled_login()
            raise LoginThrottledError(wait)
        who = check()
        if who is None:
            self._counters.failed_login()
            raise LoginRefusedError
        self._throttle.succeeded(client, user)
        return who

    def _password(self, user: str, password: str) -> bool:
        # an unknown user is compared against a random password, so timing does not tell which users exist
        expected = self._secrets.users.get(user)
        matched = token_valid(expected or self._dummy, password)
        return matched and expected is not None

    def _token(self, token: str | None) -> bool:
        return bool(token) and token_valid(self._secrets.bearer, token)


def _basic(value: str) -> tuple[str | None, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, ""
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, "")
