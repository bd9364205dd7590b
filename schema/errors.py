"""pmhub's error tree, grouped by what the caller should do about it.

    PmhubError
    ├── RetryLaterError      transient: rate limited, 5xx, connection trouble; the next run resumes from the cursor
    ├── ConfigError          fix the configuration: bad key, missing credential, auth refused, project not found
    │   └── UnmappedStatusError   a status no rule maps; names the value and the config key to add
    ├── StreamUnavailableError  the source does not offer this stream (a Jira site without Jira Software has no
    │                        sprints): the stream is skipped, saying why; nothing to fix or retry
    └── BadDataError         a payload that does not fit the schema: kept raw, reported, skipped

Messages name the tool and what to do; they never contain a secret.
"""

from __future__ import annotations


class PmhubError(Exception):
    """Base of every error pmhub raises on purpose."""


class RetryLaterError(PmhubError):
    """A transient failure: retrying later (or resuming from the saved cursor) is the fix."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConfigError(PmhubError, ValueError):
    """The configuration (or a credential it names) must be fixed before this can work."""


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
    """A payload that does not fit the unified schema."""

    def __init__(self, message: str, *, native_id: str | None = None) -> None:
        super().__init__(message)
        self.native_id = native_id
