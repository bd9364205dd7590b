"""A TCP proxy in front of the suite's real PostgreSQL that can make it blink, over real sockets in threads.

:meth:`BlinkingProxy.blink` resets every connection at once (TCP RST), then for ``shutting_down`` seconds answers
each new connection as PostgreSQL does while it shuts down or starts up (``FATAL 57P03 the database system is
shutting down``), then for ``refused`` seconds closes its port so connections are refused — the three faces of a
server restart or fail-over a client sees.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from contextlib import suppress

from sqlalchemy.engine import make_url

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104
_LINGER_RESET = struct.pack("ii", 1, 0)  # close() sends RST instead of FIN


def _error_response(sqlstate: str, message: str) -> bytes:
    parts = ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    body = b"".join(key + value.encode() + b"\0" for key, value in parts) + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


class BlinkingProxy:
    def __init__(self, upstream_url: str) -> None:
        url = make_url(upstream_url)
        self._upstream = (url.host or "127.0.0.1", url.port or 5432)
        self._listener: socket.socket | None = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._shutting_down_until = 0.0
        self._refused_until = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="blinking-proxy", daemon=True)
        self.resets = 0  # connections reset by blink()
        self.turned_away = 0  # connections answered "shutting down"

    def url(self, url: str) -> str:
        """``url`` (of the upstream server) through this proxy."""
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> BlinkingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._reset_all()

    def blink(self, *, shutting_down: float = 0.0, refused: float = 0.0) -> None:
        now = time.monotonic()
        with self._lock:
            self._shutting_down_until = now + shutting_down
            self._refused_until = now + shutting_down + refused
            if not shutting_down and refused and self._listener is not None:
                self._listener.close()  # refused from now on, not from the accept loop's next turn
                self._listener = None
        self._reset_all()

    def _listen(self, port: int) -> socket.socket:
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(0.05)
        return listener

    def _reset_all(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
            self.resets += len(doomed) // 2
        for sock in doomed:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                # why shutdown first: close() alone leaves the connection up while a pump thread is in recv() on it
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                if self._shutting_down_until <= now < self._refused_until:
                    if self._listener is not None:
                        self._listener.close()
                        self._listener = None
                elif self._listener is None:
                    self._listener = self._listen(self.port)
                listener = self._listener
            if listener is None:
                time.sleep(0.02)
                continue
            try:
                client, _ = listener.accept()
            except OSError:  # a timeout, or blink() closed the port
                continue
            with self._lock:
                shutting_down = time.monotonic() < self._shutting_down_until
            if shutting_down:
                threading.Thread(target=self._turn_away, args=(client,), daemon=True).start()
            else:
                self._relay(client)
        if self._listener is not None:
            self._listener.close()

    def _turn_away(self, client: socket.socket) -> None:
        with client, suppress(OSError, ConnectionError):
            client.settimeout(5)
            while True:
                length, code = struct.unpack("!ii", _read_exactly(client, 8))
                if code in (_SSL_REQUEST, _GSSENC_REQUEST):
                    client.sendall(b"N")  # no encryption: the startup message comes next
                    continue
                _read_exactly(client, length - 8)
                with self._lock:
                    self.turned_away += 1
                client.sendall(_error_response("57P03", "the database system is shutting down"))
                return

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        client.settimeout(None)
        with self._lock:
            self._open |= {client, upstream}
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
