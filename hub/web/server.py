"""Serving the web app with uvicorn: blocking (:meth:`WebServer.run`) or beside other work (:meth:`WebServer.start`).

``pmhub serve`` runs the Prefect schedules in the foreground and this server on a thread::

    server = WebServer(create_app(cfg, store), host=cfg.serve.host, port=cfg.serve.port).start()
    print(server.banner())
    serve_schedules(cfg, config_path)        # blocks until interrupted
    server.stop()

The app binds to 127.0.0.1 unless told otherwise, applies forwarded headers only from the app's trusted proxies
(``[web] forwarded_allow_ips``), and :meth:`banner` says where it listens, whether that is reachable from other
machines and whether logins are shared with other replicas.
"""

from __future__ import annotations

import gc
import sys

from hub.web.app import WebApp
from serving import ServedApp

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
        self._app = app
        self._served = ServedApp(app, host, port, log_level, forwarded_allow_ips=app.trusted_proxies)
        self.host, self.port = self._served.host, self._served.port

    @property
    def url(self) -> str:
        return self._served.url

    def banner(self) -> str:
        local = self.host in ("127.0.0.1", "::1", "localhost")
        reach = "this machine only; set serve.host to expose it" if local else "reachable from the network"
        return (
            f"pmhub web: status page {self.url}/ and webhooks {self.url}/webhooks/{{github,jira}} ({reach})\n"
            f"pmhub web: {self._app.session_note()}"
        )

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop the apply worker."""
        _tune_process()
        try:
            self._served.run()
        finally:
            self._app.close()

    def start(self, timeout: float = 10.0) -> WebServer:
        _tune_process()
        try:
            self._served.start(timeout)
        except RuntimeError:
            self._app.close()
            raise
        return self

    def stop(self) -> None:
        self._served.stop()
        self._app.close()


def _tune_process() -> None:
    """Process-wide settings for serving (see the constants above)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
