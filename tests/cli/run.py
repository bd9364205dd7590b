"""The `pmhub` command line as a user runs it: a real subprocess in a folder, its output captured (so stdout and
stderr are pipes, not a terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PMHUB = [sys.executable, "-m", "cli"]


def pmhub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PMHUB_")}
    full_env.update(env or {})
    full_env["COLUMNS"] = "200"
    return subprocess.run([*PMHUB, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
