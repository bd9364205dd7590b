"""pmhub's error tree, grouped by what the caller should do about it.

    PmhubError (Exception)
    │   retry later
    ├── RetryLaterError          rate limited, 5xx, connection trouble; the next run resumes from the cursor
    │   fix the configuration
    ├── ConfigError (ValueError) a bad key, a missing credential, an unknown source
    │   ├── AuthError            the service refused the credential (401/403); names its env var
    │   ├── RefusedError         the service refused the request (404, 400, 410): fix the config or the query
    │   └── UnmappedStatusError  a status no rule maps; names the value and the config key to add
    │   bad data
    ├── BadDataError (ValueError) a payload that does not fit the schema (kept raw, reported, skipped), or an answer
    │                            that cannot be right (a paginator that loops)
    │   skip the stream
    ├── StreamUnavailableError   the source does not offer this stream (a Jira site without Jira Software has no
    │                            sprints): skipped, saying why; nothing to fix or retry
    │   a failed run
    └── SyncFailedError (RuntimeError)  some sources or streams failed; ``summary`` says which and why

A tool-specific refinement lives with its tool and subclasses one of these (``IsPullRequestError``, a
``BadDataError``, is how the GitHub mapping tells an issue listing's pull request apart). ``RetryLaterError``
subclasses no builtin: none means "wait and resume" (``ConnectionError`` and ``TimeoutError`` are
``OSError`` s with errno semantics, and a rate limit is neither). Messages name the tool and what to do; they never
contain a secret.
"""

from __future__ import annotations

from typing import Any


class PmhubError(Exception):
    """Base of every error pmhub raises on purpose."""


class RetryLaterError(PmhubError):
    """A transient failure: retrying later (or resuming from the saved cursor) is the fix."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(PmhubError, ValueError):
    """The configuration (or a credential it names) must be fixed before this can work."""


class AuthError(ConfigError):
    """The service refused the credential (401/403): the message names its env var, never its value; ``said`` is
    the service's own reason, when it gave one ("Resource not accessible by personal access token")."""

    def __init__(self, message: str, *, status: int, credential: str, said: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.credential = credential
        self.said = said


class RefusedError(ConfigError):
    """A 4xx other than auth or rate limit (404 not found, 400 bad query, 410 gone): fix the config or the query."""

    def __init__(self, message: str, *, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class UnmappedStatusError(ConfigError):
    """A tool reported a status that no mapping rule covers."""

    def __init__(self, tool: str, value: str, config_key: str) -> None:
        super().__init__(
            f"{tool} status {value!r} is not mapped to a status category; "
            f"add it under [{config_key}] in pmhub.toml with one of: todo, in_progress, done, cancelled"
        )
        self.tool = tool
        self.value = value
        self.config_key = config_key


class StreamUnavailableError(PmhubError):
    """The source does not offer this stream at all; the message says why. The stream is skipped, not failed."""


class BadDataError(PmhubError, ValueError):
    """A payload that does not fit the unified schema, or an answer that cannot be right."""

    def __init__(self, message: str, *, native_id: str | None = None) -> None:
        super().__init__(message)
        self.native_id = native_id


class SyncFailedError(PmhubError, RuntimeError):
    """At least one source or stream failed; ``summary`` (one row per stream, ``error`` set where it failed) says
    which and why."""

    def __init__(self, summary: list[dict[str, Any]]) -> None:
        failed = sorted({row["source"] for row in summary if row["error"]})
        super().__init__(f"sync failed for: {', '.join(failed)}")
        self.summary = summary
