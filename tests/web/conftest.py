"""The web app served over real HTTP or HTTPS (uvicorn on 127.0.0.1) on a temporary SQLite store, clients that
connect from another loopback address, and signed posting."""

from __future__ import annotations

import base64
import json
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from hub.settings import Settings
from hub.web.app import WebApp, WebState, create_app
from hub.web.config import WebAuthSettings, WebhookSettings
from sandbox.webhooks import hmac_sha256
from serving import ServedApp
from sync.store import Store
from sync.store.tables import metadata

GITHUB_SECRET = "github-hook-secret-for-tests"
JIRA_SECRET = "jira-hook-secret-for-tests"
JIRA_URL_TOKEN = "jira-url-token-for-tests"
BEARER = "bearer-token-for-tests"
PASSWORD = "pm-password-for-tests"
USER = "pat"
SESSION_KEY = "session-key-for-tests-0123456789abcdef"

ENV = {
    "PMHUB_TEST_GITHUB_HOOK": GITHUB_SECRET,
    "PMHUB_TEST_JIRA_HOOK": JIRA_SECRET,
    "PMHUB_TEST_BEARER": BEARER,
    "PMHUB_TEST_PAT_PASSWORD": PASSWORD,
    "PMHUB_TEST_SESSION_KEY": SESSION_KEY,
}
WEBHOOKS = WebhookSettings(
    github_secret_env="PMHUB_TEST_GITHUB_HOOK",
    jira_secret_env="PMHUB_TEST_JIRA_HOOK",
    retry_seconds=0.2,
    debounce_seconds=0.1,
)
AUTH = WebAuthSettings(bearer_token_env="PMHUB_TEST_BEARER", basic_users={USER: "PMHUB_TEST_PAT_PASSWORD"})


def basic(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def client_at(url: str, address: str = "127.0.0.1", cafile: Path | None = None) -> httpx.Client:
    """A client whose connections come from ``address``: any of 127.0.0.0/8 reaches a server on 127.0.0.1 as a
    peer of its own. ``cafile`` is the certificate to trust for https."""
    verify = ssl.create_default_context(cafile=str(cafile)) if cafile else True
    transport = httpx.HTTPTransport(local_address=address, verify=verify)
    return httpx.Client(base_url=url, transport=transport, timeout=10.0)


@dataclass
class Web:
    app: WebApp
    served: ServedApp
    store: Store
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.served.url

    @property
    def state(self) -> WebState:
        return self.app.web

    def github(
        self, event: str, body: bytes, *, delivery: str | None = None, secret: str | None = GITHUB_SECRET
    ) -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        }
        if secret is not None:
            headers["X-Hub-Signature-256"] = hmac_sha256(secret, body)
        return self.client.post("/webhooks/github", content=body, headers=headers)

    def jira(
        self, body: bytes, *, delivery: str | None = None, secret: str | None = JIRA_SECRET, query: str = ""
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": delivery or uuid.uuid4().hex}
        if secret is not None:
            headers["X-Hub-Signature"] = hmac_sha256(secret, body)
        return self.client.post("/webhooks/jira" + query, content=body, headers=headers)

    def settle(self) -> None:
        assert self.state.applier.wait_idle(10.0), "the apply worker did not finish in time"

    def clear(self) -> None:
        """Empty every table (a fresh store for the next delivery, without a new server)."""
        with self.store.db.transaction() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name != "meta":
                    conn.execute(delete(table))


@contextmanager
def serve_web(
    settings: Settings, store: Store, *, tls: tuple[Path, Path] | None = None, **options: Any
) -> Iterator[Web]:
    """The app over ``store`` on uvicorn (HTTPS with ``tls``, a certificate and its key), trusting forwarded headers
    from the app's ``forwarded_allow_ips`` as ``pmhub serve`` does; ``options`` go to :func:`create_app`."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        options.setdefault("webhooks", WEBHOOKS)
        options.setdefault("auth", AUTH)
        app = create_app(settings, store, **options)
    cert, cert_key = tls or (None, None)
    served = ServedApp(app, ssl_certfile=cert, ssl_keyfile=cert_key, forwarded_allow_ips=app.trusted_proxies).start()
    try:
        with client_at(served.url, cafile=cert) as client:
            yield Web(app, served, store, client)
    finally:
        app.close()
        served.stop()


def fixture_settings(github_repos: list[str], jira_projects: list[str], jira_url: str) -> Settings:
    """Sources covering the vendor examples' repositories and projects (no Jira token: no calls out)."""
    return Settings(
        sources={
            "gh": {"kind": "github", "repos": github_repos, "token_env": "PMHUB_TEST_UNSET_GITHUB_TOKEN"},
            "jira": {
                "kind": "jira",
                "url": jira_url,
                "projects": jira_projects,
                "token_env": "PMHUB_TEST_UNSET_JIRA_TOKEN",
            },
        }
    )


def load(path: Path) -> tuple[bytes, dict[str, Any]]:
    raw = path.read_bytes()
    return raw, json.loads(raw)
