"""Serving the web app with uvicorn: blocking (:meth:`WebServer.run`) or beside other work (:meth:`WebServer.start`).

``pmhub serve`` runs the Prefect schedules in the foreground and this server on a thread::

    server = WebServer(create_app(cfg, store), host=cfg.serve.host, port=cfg.serve.port).start()
    print(server.banner())
    serve_schedules(cfg, config_path)        # blocks until interrupted
    server.stop()

The app binds to 127.0.0.1 unless told otherwise, and :meth:`banner` says where it listens and whether that is
reachable from other machines.
"""

from __future__ import annotations

import gc
import socket
import sys
import threading
import time

import uvicorn

from hub.web.app import WebApp

# why: a full collection of the heap the connectors and pydantic leave behind pauses every thread for tens of ms,
# which showed as the slowest 1 % of webhook answers; objects alive at start are frozen out of collections and
# young ones are collected less often (https://docs.python.org/3/library/gc.html#gc.freeze)
GC_THRESHOLDS = (20_000, 50, 100)

# why: the apply worker and the request path share the GIL; a thread that holds it keeps it for up to the switch
# interval (5 ms by default, https://docs.python.org/3/library/sys.html#sys.setswitchinterval), which a request
# waiting to finish would pay in full on every hand-over
SWITCH_INTERVAL_SECONDS = 0.001


class WebServer:
    def __init__(self, app: WebApp, host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning") -> None:
        # IPPROTO_TCP named explicitly so asyncio turns Nagle's algorithm off on every accepted connection
        self._sock = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self._app = app
        config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def banner(self) -> str:
        local = self.host in ("127.0.0.1", "::1", "localhost")
        reach = "this machine only; set serve.host to expose it" if local else "reachable from the network"
        return f"pmhub web: status page {self.url}/ and webhooks {self.url}/webhooks/{{github,jira}} ({reach})"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop the apply worker."""
        _tune_process()
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self._close()

    def start(self, timeout: float = 10.0) -> WebServer:
        _tune_process()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="pmhub-web", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web app on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close()

    def _close(self) -> None:
        self._app.close()
        self._sock.close()


def _tune_process() -> None:
    """Process-wide settings for serving (see the constants above)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
