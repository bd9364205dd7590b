"""Serving: the uvicorn wrapper binds where told and says so; the event stream announces data versions."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.settings import Settings
from hub.web.app import create_app
from hub.web.server import WebServer
from sync.store import Store
from tests.web.conftest import AUTH, BEARER, WEBHOOKS, serve_web


def test_the_server_listens_on_localhost_by_default_and_says_so(tmp_path: Path) -> None:
    app = create_app(Settings(), Store(f"sqlite:///{tmp_path / 'pmhub.db'}"), webhooks=WEBHOOKS, auth=AUTH)
    server = WebServer(app, port=0).start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert "this machine only" in server.banner()
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    finally:
        server.stop()
    assert app.web.closing.is_set()  # stopping the server stops the apply worker too


def test_the_event_stream_sends_the_data_version_and_its_changes(tmp_path: Path) -> None:
    with serve_web(Settings(), Store(f"sqlite:///{tmp_path / 'pmhub.db'}")) as web:
        headers = {"Authorization": f"Bearer {BEARER}"}
        with web.client.stream("GET", "/api/events", headers=headers) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.iter_lines()
            first = next(line for line in lines if line.startswith("data:"))
            web.state.version.bump()
            second = next(line for line in lines if line.startswith("data:"))
        assert first.split(":", 1)[1].strip().startswith("0.")
        assert second.split(":", 1)[1].strip().startswith("1.")
