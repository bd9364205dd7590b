"""The contract between connectors and the sync engine.

A :class:`Source` (one configured Jira site, GitHub account, analytics project) offers :class:`Stream` objects. A
stream reads from a saved cursor and yields :class:`Page` objects: the records mapped from one API page, the
payloads that did not fit (kept raw with the reason), and the cursor that is safe to resume from *after* this page
(``None`` while no safe point exists yet, e.g. inside an unsorted read). The engine commits records and cursor of a
page in one transaction.

Cursors are opaque strings owned by the stream (JSON is the usual encoding).

A webhook delivery becomes a :class:`Change` in each tool's ``webhooks`` module: records per stream of the source
that covers it, ids to mark deleted, and whether it is pmhub's own write — its comments carry
:data:`COMMENT_MARKER`, its state changes are made by the account of the source's token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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


COMMENT_MARKER = "pmhub:reconcile"


def is_pmhub_comment(text: object) -> bool:
    """Whether a comment body is one pmhub wrote (every comment it writes carries :data:`COMMENT_MARKER`)."""
    return isinstance(text, str) and COMMENT_MARKER in text


@dataclass(frozen=True)
class Change:
    """What one webhook delivery does to the store of the source that covers it.

    ``upserts`` are keyed by the stream names of the source's module (the delivery writes the rows polling would);
    ``ignored`` says why a delivery changes nothing; ``own`` why it is pmhub's own write (applied, so the store
    holds the truth, but nothing is re-evaluated or notified); ``attributed`` is false when the payload names
    nobody who acted (Jira version events), so only the audit of pmhub's writes can tell whether it was pmhub.
    """

    upserts: Mapping[str, Sequence[Mapped]] = field(default_factory=dict)
    deleted: Sequence[str] = ()
    ignored: str | None = None
    own: str | None = None
    attributed: bool = True

    @property
    def records(self) -> list[AnyRecord]:
        return [m.record for batch in self.upserts.values() for m in batch]


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
