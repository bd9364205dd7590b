"""What a source's credentials reach, found before the first sync by a few requests through its client.

Each tool's ``access`` module probes its own way (who the token is, which configured repositories or projects it
sees, which reads it may make) and says what it found as :class:`Finding` rows: ``ok``; ``warn``, something a sync
goes on without (a Jira site without Jira Software has no sprints); ``fix``, something to change before a sync can
work, with the change in ``fix``. A finding never carries a secret: it names the variable that holds one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from schema import AuthError, ConfigError, RetryLaterError

T = TypeVar("T")


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FIX = "fix"


@dataclass(frozen=True)
class Finding:
    level: Level
    what: str  # what was probed: "token", "repo acme/checkout", "checks"
    detail: str  # what the source answered
    fix: str = ""  # what to change (warn, fix)


def ok(what: str, detail: str) -> Finding:
    return Finding(Level.OK, what, detail)


def warn(what: str, detail: str, fix: str = "") -> Finding:
    return Finding(Level.WARN, what, detail, fix)


def must_fix(what: str, detail: str, fix: str) -> Finding:
    return Finding(Level.FIX, what, detail, fix)


def reached(what: str, probe: Callable[[], T], credential: str) -> T | Finding:
    """``probe()``, or the finding that says why the source could not be asked at all: unreachable, or the
    credential refused."""
    try:
        return probe()
    except RetryLaterError as exc:
        return must_fix(what, f"unreachable: {exc}", "check the source's URL and that this machine can reach it")
    except AuthError as exc:
        return must_fix(what, f"the credential was refused ({refusal(exc)})", f"check the value of {credential}")
    except ConfigError as exc:
        return must_fix(what, str(exc), "check the source's URL and settings in pmhub.toml")


def refusal(exc: AuthError) -> str:
    """The status of a refusal, with the service's own reason when it gave one."""
    return f"{exc.status}: {exc.said}" if exc.said else str(exc.status)
