"""Drive real headless Chromium over the DevTools protocol: navigate, run script, read the DOM as it changes, collect
console errors and take screenshots — what ``--dump-dom`` cannot do for a page that updates itself.

``with Chromium.launch() as page:`` starts Chromium (the flags and executable of :mod:`tests.support.browser`: fresh
profile, no background traffic; skipped locally without Chromium, failing under ``CI=true``) with a DevTools port
and attaches to its first tab.
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.support.browser import BASE_FLAGS, require_chromium


class Chromium:
    def __init__(
        self, process: subprocess.Popen[bytes], profile: tempfile.TemporaryDirectory[str], socket: ClientConnection
    ):
        self._process = process
        self._profile = profile
        self._socket = socket
        self._ids = itertools.count(1)
        self.errors: list[str] = []

    @classmethod
    def launch(cls, timeout: float = 20.0) -> Chromium:
        executable = require_chromium()
        # why: Chromium's helper processes may still be writing to the profile when it is removed after exit
        profile = tempfile.TemporaryDirectory(prefix="pmhub-cdp-", ignore_cleanup_errors=True)
        flags = [f for f in BASE_FLAGS if not f.startswith(("--enable-logging", "--v="))]
        process = subprocess.Popen(
            [
                executable,
                *flags,
                f"--user-data-dir={profile.name}",
                "--remote-debugging-port=0",
                "--window-size=1280,1400",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not port_file.exists() or not port_file.read_text().strip():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        page = next(t for t in targets if t["type"] == "page")
        socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout)
        browser = cls(process, profile, socket)
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable")
        return browser

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._socket.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._profile.cleanup()

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params") or {}
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params.get("exceptionDetails"))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(json.dumps(params.get("args"))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(str(params["entry"].get("text"))[:500])

    def call(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result") or {}
                return result
            self._event(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
