"""Open a page in real headless Chromium (Debian ``chromium``): its DOM after load, console messages, a screenshot.

``open_page(url, screenshot=path)`` runs Chromium once with ``--dump-dom`` and ``--enable-logging=stderr``: the
serialised DOM comes back on stdout, every console message the page produced (errors, CSP violations, failed loads)
is a ``…:CONSOLE…`` line on stderr, and the optional screenshot is saved as a PNG by the same run. Each run gets a
fresh profile directory and no network chatter of its own (no sync, updates or background requests).

``require_chromium()`` gives the executable, or skips the test when Chromium is not installed — except under
``CI=true``, where a missing browser fails the test instead of hiding it. ``ARTIFACTS`` is ``test-artifacts/`` in
the checkout root (git-ignored), where tests keep screenshots.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
)
_CONSOLE = re.compile(r":CONSOLE\b[^\]]*\]\s*(?P<message>.*)$")


@dataclass(frozen=True)
class Page:
    dom: str
    console: list[str]


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed, and CI must run the browser tests (install the chromium package)")
        pytest.skip("Chromium is not installed")
    return found


def _run(url: str, *flags: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="pmhub-chromium-") as profile:
        return subprocess.run(
            [require_chromium(), *BASE_FLAGS, f"--user-data-dir={profile}", *flags, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def console_messages(stderr: str) -> list[str]:
    return [match.group("message") for line in stderr.splitlines() if (match := _CONSOLE.search(line))]


def open_page(url: str, *, screenshot: Path | None = None, window_size: str = "1280,1600") -> Page:
    """Load ``url`` once: its DOM and console messages, and a PNG at ``screenshot`` when a path is given."""
    flags = ["--dump-dom", f"--window-size={window_size}"]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.unlink(missing_ok=True)
        flags.append(f"--screenshot={screenshot}")
    done = _run(url, *flags)
    if screenshot is not None and (not screenshot.exists() or screenshot.stat().st_size == 0):
        raise AssertionError(f"Chromium wrote no screenshot at {screenshot}")
    return Page(dom=done.stdout, console=console_messages(done.stderr))
