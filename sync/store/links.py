"""Links: the cross-tool links linking computes, kept as records (kind ``link``, source ``pmhub``) with an index of
their ends, and the generation tokens that let linking skip work when nothing it reads has changed.

API at a glance (``store.links``)::

    replace(from_ids | None, links, *, link_kinds=None, generation=None) -> LinkResult
    of(record_id) -> list[Link];  into_releases(release_ids) -> list[Link]
    generation() -> str;  linked_generation() -> str | None        # does linking have anything new to look at?
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select

from connectors.base import Mapped
from schema import Link
from sync.store.database import Database, chunks
from sync.store.records import LINK_SOURCE, LINK_STREAM, LINKABLE_CHANGED, Records
from sync.store.runs import Cursors
from sync.store.tables import links, record_releases, records

_LINKED = "links.linked"  # a cursor of LINK_SOURCE: the generation the last complete linking started from


@dataclass(frozen=True)
class LinkResult:
    added: int
    changed: int
    kept: int
    removed: int
    current: bool = False  # nothing linking reads had changed since the last linking, so it was not redone


class Links:
    """See the module docstring for the API at a glance."""

    def __init__(self, db: Database, records_part: Records, cursors: Cursors) -> None:
        self._db = db
        self._records = records_part
        self._cursors = cursors

    def generation(self) -> str:
        """A token that changes whenever a record linking reads is written or deleted (``""`` before the first)."""
        return self._cursors.get(LINK_SOURCE, LINKABLE_CHANGED) or ""

    def linked_generation(self) -> str | None:
        """The :meth:`generation` the last complete linking started from (``None``: never linked)."""
        return self._cursors.get(LINK_SOURCE, _LINKED)

    def replace(
        self,
        from_ids: Collection[str] | None,
        new_links: Sequence[Link],
        *,
        link_kinds: Collection[str] | None = None,
        generation: str | None = None,
    ) -> LinkResult:
        """Make the links out of ``from_ids`` (``None``: every link) of ``link_kinds`` (default all) ``new_links``.

        Links whose evidence disappeared are removed; the others are upserted like any record. ``generation``: the
        :meth:`generation` the links were computed from, saved with them.
        """
        scope = None if from_ids is None else set(from_ids)
        if scope is not None:
            strays = sorted({link.id for link in new_links if link.from_id not in scope})
            if strays:
                raise ValueError(f"links {strays[:5]} start outside from_ids; replacing would never remove them")
        keep = {link.id for link in new_links}
        kinds = [] if link_kinds is None else [links.c.link_kind.in_(list(link_kinds))]
        mapped = [Mapped(record=link, raw={}) for link in new_links]

        def replace(conn: Connection) -> LinkResult:
            if scope is None:
                current = set(conn.scalars(select(links.c.id).where(*kinds)))
            else:
                current = set()
                for chunk in chunks(scope):
                    found = select(links.c.id).where(self._db.among(links.c.from_id, chunk), *kinds)
                    current.update(conn.scalars(found))
            gone = current - keep
            self._records.delete(conn, gone)
            result = self._records.upsert(mapped, source=LINK_SOURCE, stream=LINK_STREAM, conn=conn)
            if generation is not None:
                self._cursors.set(LINK_SOURCE, _LINKED, generation, conn=conn)
            return LinkResult(added=result.inserted, changed=result.updated, kept=result.unchanged, removed=len(gone))

        return self._db.write(replace)

    def of(self, record_id: str) -> list[Link]:
        """Links from or to the record."""
        stmt = (
            select(records.c.data)
            .join(links, links.c.id == records.c.id)
            .where(or_(links.c.from_id == record_id, links.c.to_id == record_id), records.c.deleted_at.is_(None))
            .order_by(records.c.id)
        )
        return [link for link in self._records.query(stmt) if isinstance(link, Link)]

    def into_releases(self, release_ids: Collection[str]) -> list[Link]:
        """Links that end at an item of any of ``release_ids``: one query through the release index."""
        members = select(record_releases.c.record_id).where(record_releases.c.release_id.in_(list(release_ids)))
        stmt = (
            select(records.c.data)
            .join(links, links.c.id == records.c.id)
            .where(links.c.to_id.in_(members), records.c.deleted_at.is_(None))
        )
        return [link for link in self._records.query(stmt) if isinstance(link, Link)]
