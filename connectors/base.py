"""The contract between connectors and the sync engine.

A :class:`Source` (one configured Jira site, GitHub account, analytics project) offers :class:`Stream` objects. A
stream reads from a saved cursor and yields :class:`Page` objects: the records mapped from one API page, the
payloads that did not fit (kept raw with the reason), and the cursor that is safe to resume from *after* this page
(``None`` while no safe point exists yet, e.g. inside an unsorted read). The engine commits records and cursor of a
page in one transaction.

Cursors are opaque strings owned by the stream (JSON is the usual encoding).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from schema import AnyRecord


@dataclass(frozen=True)
class Rejected:
    """A payload that did not fit the schema: kept, reported, skipped."""

    native_id: str | None
    reason: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Mapped:
    """A record together with the raw payload it was mapped from."""

    record: AnyRecord
    raw: dict[str, Any]


@dataclass(frozen=True)
class Page:
    records: list[Mapped]
    cursor: str | None
    rejected: list[Rejected] = field(default_factory=list)


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The default :data:`Clock` of sources; tests pass their own."""
    return datetime.now(UTC)


@dataclass
class RequestStats:
    """What a source's HTTP traffic cost in one run."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    rate_limit_remaining: int | None = None


class Stream(Protocol):
    name: str

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages after ``cursor`` (everything when ``None``)."""
        ...

    def census(self) -> Iterator[str] | None:
        """Ids of every record of this stream that still exists at the source, or ``None`` if it has no census."""
        ...


class Source(Protocol):
    name: str

    @property
    def stats(self) -> RequestStats: ...

    def streams(self) -> list[Stream]: ...
