"""Serve an ASGI app with uvicorn on a socket bound up front: in a background thread (:meth:`ServedApp.start`,
or as a context manager) or blocking (:meth:`ServedApp.run`). Used by the web app, the sandbox and tests.

A package of its own below both the app shell (``hub.web.server``) and the sandbox, importing nothing of pmhub's:
the sandbox stands in for the tools pmhub talks to and must not depend on pmhub's application, nor pmhub's
application on its test double.

Real uvicorn, real sockets, port 0 (the OS picks a free port) unless one is given; IPv6 when the host is an IPv6
address; HTTPS when a certificate and its key are given (``url`` then starts with ``https://``). ``X-Forwarded-For``
and ``X-Forwarded-Proto`` are applied (uvicorn's ``proxy_headers``) only from the peers in ``forwarded_allow_ips``;
with none given, from nobody — not even uvicorn's default of the loopback addresses.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


class ServedApp:
    """``with ServedApp(app) as served: requests.get(served.url + "/path")``."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        ssl_certfile: Path | None = None,
        ssl_keyfile: Path | None = None,
        forwarded_allow_ips: Sequence[str] = (),
    ) -> None:
        # IPPROTO_TCP explicitly: with protocol 0 asyncio never sets TCP_NODELAY, and keep-alive requests stall ~40 ms.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self.scheme = "https" if ssl_certfile is not None else "http"
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            proxy_headers=bool(forwarded_allow_ips),
            forwarded_allow_ips=list(forwarded_allow_ips),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C)."""
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self._sock.close()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
