"""Who may write and who may read: webhook signatures, page logins, and the counters of refusals.

Every secret comparison is constant-time (:func:`hmac.compare_digest`) and every refusal looks the same whatever was
presented, so neither a forged delivery nor a failed login learns how close it came. Refusals are only counted.

A reader authenticates with one of: ``Authorization: Bearer <token>``; ``Authorization: Basic`` for a configured
user; the user header an authenticating reverse proxy sets (when configured); or the session cookie the login form
issues (``<user, base64url>.<expiry, epoch s>.<HMAC-SHA256>`` under a key drawn when the app starts, so sessions end
with the process).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from pydantic import SecretStr

from hub.web.config import Secrets

SESSION_COOKIE = "pmhub_session"

# what every answer carries (HTML pages set their own, stricter-scoped CSP)
RESPONSE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)


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


@dataclass
class Counters:
    """Refusals since start: forged deliveries (per tool) and failed logins."""

    forged: dict[str, int] = field(default_factory=dict)
    failed_logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def forged_delivery(self, tool: str) -> None:
        with self._lock:
            self.forged[tool] = self.forged.get(tool, 0) + 1

    def failed_login(self) -> None:
        with self._lock:
            self.failed_logins += 1

    def snapshot(self) -> tuple[dict[str, int], int]:
        """(forged deliveries per tool, failed logins)."""
        with self._lock:
            return dict(self.forged), self.failed_logins


class LoginRefusedError(Exception):
    """Credentials were presented and are wrong (counted as a failed login)."""


class Authenticator:
    """Decides who a request's credentials name; ``None`` when it presents none."""

    def __init__(self, secrets_: Secrets, trusted_user_header: str | None, session_hours: float) -> None:
        self._secrets = secrets_
        self._header = trusted_user_header
        self._session_seconds = int(session_hours * 3600)
        self._key = secrets.token_bytes(32)
        self._dummy = SecretStr(secrets.token_urlsafe(24))

    @property
    def configured(self) -> bool:
        return self._secrets.page_auth_configured or self._header is not None

    def check_password(self, user: str, password: str) -> bool:
        # an unknown user is compared against a random password, so timing does not tell which users exist
        expected = self._secrets.users.get(user)
        matched = token_valid(expected or self._dummy, password)
        return matched and expected is not None

    def check_token(self, token: str) -> bool:
        return token_valid(self._secrets.bearer, token)

    def identify(self, authorization: str | None, headers_user: str | None, cookie: str | None) -> str | None:
        """The authenticated user, ``None`` without credentials; :class:`LoginRefusedError` when they are wrong."""
        if self._header is not None and headers_user:
            return headers_user
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer" and self.check_token(value.strip()):
                return "bearer"
            if scheme.lower() == "basic":
                user, password = _basic(value.strip())
                if user is not None and self.check_password(user, password):
                    return user
            raise LoginRefusedError
        if cookie:
            user = self._session_user(cookie)
            if user is None:
                raise LoginRefusedError
            return user
        return None

    def session_cookie(self, user: str) -> str:
        name = base64.urlsafe_b64encode(user.encode()).decode().rstrip("=")
        payload = f"{name}.{int(time.time()) + self._session_seconds}"
        return f"{payload}.{self._mac(payload)}"

    @property
    def session_seconds(self) -> int:
        return self._session_seconds

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def _session_user(self, cookie: str) -> str | None:
        payload, _, mac = cookie.rpartition(".")
        name, _, expiry = payload.partition(".")
        if not _same(mac, self._mac(payload)) or not expiry.isdigit() or int(expiry) < time.time():
            return None
        try:
            return base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None


def _basic(value: str) -> tuple[str | None, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, ""
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, "")
