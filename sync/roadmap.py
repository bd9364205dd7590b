"""The roadmap: items from pmhub.toml and, by rule, from Jira epics and GitHub milestones, each with a status
derived from its linked work and a forecast from recent throughput.

Pure functions of records (:func:`roadmap`); :func:`roadmap_from_store` gathers them from the store.

A configured item (``[roadmap.<name>]``) names its work in ``links``, each one of:

- ``CHK-12`` — a Jira issue; an epic (or any parent) brings its children and their sub-tasks;
- ``CHK@2.4.0`` — the work items of Jira version 2.4.0 of project CHK;
- ``acme/checkout#7`` — a GitHub issue or pull request;
- ``acme/checkout@2.4.0`` — the work items of GitHub milestone 2.4.0;
- a record id (``jira:…``, ``github:…``).

An item's ``key`` is how objectives name it: the ``[roadmap.<name>]`` name, the epic's key, ``owner/repo@milestone``;
its start is the configured ``start_date``, else the earliest start date of the versions it links, else when its
first piece of work was created. :func:`plan` also forecasts releases as items of their own (the timeline's rows
for releases no roadmap item links).

A link that matches nothing is named in the item's ``reason`` (it may simply not be synced yet). A GitHub issue
that is the twin of a Jira issue already counted is not counted again. Cancelled work counts neither as done nor
in the total. Forecast: the remaining work divided by the work finished per day over the last ``throughput_days``;
the item is at risk when that lands after the target date, when nothing was finished in the window while work
remains, or when the target date has passed with work open.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from schema import (
    Link,
    MetricPoint,
    MetricTarget,
    PullRequest,
    Record,
    RecordKind,
    Release,
    ReleaseKind,
    RoadmapItem,
    SourceRef,
    StatusCategory,
    Tool,
    WorkItem,
    WorkItemType,
    release_key,
)
from schema.readiness import RoadmapStatus
from sync.metrics import compare, metric_points
from sync.store import Store

RECORD_KINDS: tuple[RecordKind, ...] = ("work_item", "pull_request", "release", "link")
_JIRA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]+-[1-9][0-9]*$")
_GITHUB_NUMBER = re.compile(r"^([\w.-]+/[\w.-]+)#([1-9][0-9]*)$")


class RoadmapConfig(BaseModel):
    """How roadmap items are derived by rule and forecast (``[roadmap_rules]`` in pmhub.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_epics: bool = Field(True, description="Every Jira epic is a roadmap item.")
    from_milestones: bool = Field(
        True, description="Every GitHub milestone that is not the twin of a Jira version is a roadmap item."
    )
    include_done: bool = Field(False, description="Keep done epics and closed milestones on the roadmap.")
    projects: list[str] = Field(default_factory=list, description="Jira projects / repos to take them from; [] = all.")
    throughput_days: int = Field(28, ge=1, description="Window of recent throughput the forecast extrapolates.")
    forecast_unit: Literal["items", "points"] = Field(
        "items", description="Forecast in items, or in story points when the item's work has any."
    )


class RoadmapEntry(Protocol):
    """One configured item; ``hub.settings.RoadmapItemSettings`` is one."""

    @property
    def title(self) -> str: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def target_date(self) -> date | None: ...

    @property
    def start_date(self) -> date | None: ...

    @property
    def links(self) -> list[str]: ...

    @property
    def metrics(self) -> list[MetricTarget]: ...


Unit = WorkItem | PullRequest


@dataclass
class _Index:
    items: dict[str, WorkItem] = field(default_factory=dict)
    prs: dict[str, PullRequest] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    by_github: dict[tuple[str, int], str] = field(default_factory=dict)
    by_release: dict[tuple[str, str, bool], str] = field(default_factory=dict)  # (project, name, milestone?) -> id
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    members: dict[str, list[Unit]] = field(default_factory=lambda: defaultdict(list))
    twins: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # GitHub id -> Jira ids
    twinned_milestones: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, records: Iterable[Record]) -> _Index:
        index = cls()
        for record in records:
            if isinstance(record, WorkItem | PullRequest):
                index._add_unit(record)
            elif isinstance(record, Release):
                index.releases[record.id] = record
                milestone = record.release_kind is ReleaseKind.GITHUB_MILESTONE
                if record.release_kind is not ReleaseKind.GITHUB_RELEASE:
                    index.by_release[(record.project.casefold(), release_key(record.name), milestone)] = record.id
            elif isinstance(record, Link):
                if record.link_kind == "same_release":
                    index.twinned_milestones.add(record.to_id)
                else:
                    index.twins[record.from_id].add(record.to_id)
        return index

    def _add_unit(self, unit: Unit) -> None:
        if isinstance(unit, WorkItem):
            self.items[unit.id] = unit
            for parent in {unit.epic_id, unit.parent_id} - {None}:
                self.children[str(parent)].append(unit.id)
            if unit.source.tool is Tool.JIRA and unit.source.key:
                self.by_key[unit.source.key.upper()] = unit.id
        else:
            self.prs[unit.id] = unit
        if unit.source.tool is Tool.GITHUB:
            number = unit.number if isinstance(unit, PullRequest) else int(unit.source.native_id)
            self.by_github[(unit.source.instance.lower(), number)] = unit.id
        for release_id in unit.release_ids:
            self.members[release_id].append(unit)

    def resolve(self, link: str) -> str | None:
        text = link.strip()
        if text in self.items or text in self.prs or text in self.releases:
            return text
        if _JIRA_KEY.match(text):
            return self.by_key.get(text.upper())
        match = _GITHUB_NUMBER.match(text)
        if match:
            return self.by_github.get((match.group(1).lower(), int(match.group(2))))
        owner, at, name = text.partition("@")
        if at:
            return self.by_release.get((owner.strip().casefold(), release_key(name), "/" in owner))
        return None

    def descendants(self, item_id: str) -> list[WorkItem]:
        found: dict[str, WorkItem] = {}
        pending = list(self.children.get(item_id, ()))
        while pending:
            child = pending.pop()
            if child not in found and child in self.items:
                found[child] = self.items[child]
                pending.extend(self.children.get(child, ()))
        return list(found.values())

    def units(self, linked: Iterable[str]) -> list[Unit]:
        """The work behind linked records, each once; GitHub twins of counted Jira issues are dropped."""
        found: dict[str, Unit] = {}
        for record_id in linked:
            if record_id in self.releases:
                members = self.members.get(record_id, [])
                items = [m for m in members if isinstance(m, WorkItem)]
                found.update((u.id, u) for u in (items or members))
            elif record_id in self.prs:
                found[record_id] = self.prs[record_id]
            elif record_id in self.items:
                item = self.items[record_id]
                below = self.descendants(record_id)
                if item.type is not WorkItemType.EPIC or not below:
                    found[record_id] = item
                found.update((d.id, d) for d in below if d.type is not WorkItemType.EPIC)
        return [u for u in found.values() if not (self.twins.get(u.id, set()) & found.keys())]


# --------------------------------------------------------------------------------------------------- items


CONFIGURED = "pmhub:roadmap:"  # the id prefix of the items configured in pmhub.toml


def _pmhub_item(name: str, entry: RoadmapEntry, linked: Sequence[str], now: datetime) -> RoadmapItem:
    return RoadmapItem(
        id=f"{CONFIGURED}{name}",
        source=SourceRef(tool=Tool.PMHUB, instance="pmhub.toml", native_id=name, key=name),
        updated=now,
        title=entry.title,
        owner=entry.owner,
        target_date=entry.target_date,
        linked_ids=tuple(linked),
        metric_targets=tuple(entry.metrics),
    )


def _in_scope(config: RoadmapConfig, project: str) -> bool:
    wanted = {p.casefold() for p in config.projects}
    return not wanted or project.casefold() in wanted


def _rule_items(index: _Index, config: RoadmapConfig) -> list[RoadmapItem]:
    """Roadmap items from Jira epics and from GitHub milestones that have no Jira version twin."""
    items: list[RoadmapItem] = []
    if config.from_epics:
        for epic in sorted(index.items.values(), key=lambda i: i.id):
            project = (epic.source.key or "").rsplit("-", 1)[0]
            if epic.type is not WorkItemType.EPIC or epic.source.tool is not Tool.JIRA:
                continue
            if not _in_scope(config, project) or (
                epic.status.category is StatusCategory.DONE and not config.include_done
            ):
                continue
            dates = [
                index.releases[r].release_date
                for child in index.descendants(epic.id)
                for r in child.release_ids
                if r in index.releases and index.releases[r].release_date is not None
            ]
            items.append(
                RoadmapItem(
                    id=epic.id,
                    source=epic.source,
                    updated=epic.updated,
                    title=f"{epic.source.key} {epic.title}" if epic.source.key else epic.title,
                    owner=epic.assignee,
                    target_date=max((d for d in dates if d is not None), default=None),
                    linked_ids=(epic.id,),
                )
            )
    if config.from_milestones:
        for ms in sorted(index.releases.values(), key=lambda r: r.id):
            if ms.release_kind is not ReleaseKind.GITHUB_MILESTONE or ms.id in index.twinned_milestones:
                continue
            if not _in_scope(config, ms.project) or (ms.released and not config.include_done):
                continue
            items.append(
                RoadmapItem(
                    id=ms.id,
                    source=ms.source,
                    updated=ms.updated,
                    title=f"{ms.project} {ms.name}",
                    target_date=ms.release_date,
                    linked_ids=(ms.id,),
                )
            )
    return items


# -------------------------------------------------------------------------------------------------- status


def _done_at(unit: Unit) -> datetime:
    if isinstance(unit, PullRequest):
        return unit.merged_at or unit.closed_at or unit.updated
    return unit.resolved or unit.updated


def _points(unit: Unit) -> float:
    return (unit.story_points or 0.0) if isinstance(unit, WorkItem) else 0.0


def _metric_notes(targets: Iterable[MetricTarget], metrics: Sequence[MetricPoint]) -> list[str]:
    """A note per target missed by the newest point; each analytics project reporting the metric is judged (and
    named, when there are several) on its own."""
    notes = []
    for target in targets:
        latest: dict[tuple[str, str], MetricPoint] = {}
        for point in metrics:
            if point.metric == target.metric and not point.dimensions:
                where = (point.source.tool.value, point.source.instance)
                if where not in latest or point.bucket > latest[where].bucket:
                    latest[where] = point
        if not latest:
            notes.append(f"no {target.metric} data")
        for (tool, project), point in sorted(latest.items()):
            if not compare(point.value, target.op, target.value):
                name = f"{target.metric} ({tool} {project})" if len(latest) > 1 else target.metric
                notes.append(f"{name} {point.value:g} misses {target.op} {target.value:g}")
    return notes


def _key(item: RoadmapItem) -> str | None:
    if item.source.tool is Tool.GITHUB:
        return f"{item.source.instance}@{item.source.key}"
    return item.source.key


def _start(item: RoadmapItem, index: _Index, units: Sequence[Unit], configured: date | None) -> date | None:
    if configured is not None:
        return configured
    starts = [r.start_date for r in map(index.releases.get, item.linked_ids) if r is not None and r.start_date]
    if starts:
        return min(starts)
    return min((u.created.date() for u in units), default=None)


def item_status(
    item: RoadmapItem,
    units: Sequence[Unit],
    *,
    config: RoadmapConfig,
    now: datetime,
    metrics: Sequence[MetricPoint] = (),
    unresolved: Sequence[str] = (),
    start: date | None = None,
    release_ids: Sequence[str] = (),
) -> RoadmapStatus:
    live = [u for u in units if u.status.category is not StatusCategory.CANCELLED]
    done = [u for u in live if u.status.category is StatusCategory.DONE]
    points_total = sum(_points(u) for u in live)
    points_done = sum(_points(u) for u in done)
    if not live:
        category = StatusCategory.TODO
    elif len(done) == len(live):
        category = StatusCategory.DONE
    elif done or any(u.status.category is StatusCategory.IN_PROGRESS for u in live):
        category = StatusCategory.IN_PROGRESS
    else:
        category = StatusCategory.TODO

    by_points = config.forecast_unit == "points" and points_total > 0
    measure = _points if by_points else (lambda _u: 1.0)
    unit_name = "points" if by_points else "items"
    remaining = sum(measure(u) for u in live) - sum(measure(u) for u in done)
    since = now - timedelta(days=config.throughput_days)
    rate = sum(measure(u) for u in done if _done_at(u) >= since) / config.throughput_days
    today = now.date()
    forecast: date | None = None
    notes: list[str] = []
    at_risk = False
    if remaining > 0:
        if rate > 0:
            forecast = today + timedelta(days=math.ceil(remaining / rate))
            notes.append(f"{remaining:g} {unit_name} left at {rate * 7:.1f}/week → {forecast}")
        else:
            notes.append(f"{remaining:g} {unit_name} left, none finished in the last {config.throughput_days} days")
        if item.target_date is not None:
            if item.target_date < today:
                at_risk = True
                notes.append(f"target {item.target_date} has passed")
            elif forecast is None or forecast > item.target_date:
                at_risk = True
                notes.append(f"misses target {item.target_date}")
    notes.extend(_metric_notes(item.metric_targets, metrics))
    if unresolved:
        notes.append(f"unresolved links: {', '.join(unresolved)}")
    return RoadmapStatus(
        id=item.id,
        title=item.title,
        owner=item.owner,
        target_date=item.target_date,
        category=category.value,
        items_done=len(done),
        items_total=len(live),
        points_done=points_done,
        points_total=points_total,
        last_activity=max((u.updated for u in units), default=None),
        at_risk=at_risk,
        forecast_date=forecast,
        reason="; ".join(notes),
        key=_key(item),
        start_date=start,
        release_ids=list(release_ids),
    )


def _status(
    index: _Index,
    item: RoadmapItem,
    *,
    config: RoadmapConfig,
    now: datetime,
    metrics: Sequence[MetricPoint] = (),
    unresolved: Sequence[str] = (),
    start: date | None = None,
) -> RoadmapStatus:
    units = index.units(item.linked_ids)
    return item_status(
        item,
        units,
        config=config,
        now=now,
        metrics=metrics,
        unresolved=unresolved,
        start=_start(item, index, units, start),
        release_ids=[r for r in item.linked_ids if r in index.releases],
    )


def plan(
    entries: Mapping[str, RoadmapEntry],
    records: Iterable[Record],
    *,
    config: RoadmapConfig,
    now: datetime,
    metrics: Sequence[MetricPoint] = (),
    releases: Sequence[Release] = (),
) -> tuple[list[RoadmapStatus], list[RoadmapStatus]]:
    """(the roadmap, a forecast of each of ``releases`` as an item of its own) over one index of ``records``.

    The roadmap: configured items first (in config order), then rule items not already linked by a configured one.
    """
    index = _Index.of(records)
    statuses: list[RoadmapStatus] = []
    claimed: set[str] = set()
    for name, entry in entries.items():
        resolved = {link: index.resolve(link) for link in entry.links}
        linked = [r for r in resolved.values() if r is not None]
        claimed.update(linked)
        item = _pmhub_item(name, entry, linked, now)
        unresolved = [link for link, found in resolved.items() if found is None]
        statuses.append(
            _status(
                index, item, config=config, now=now, metrics=metrics, unresolved=unresolved, start=entry.start_date
            )
        )
    for item in _rule_items(index, config):
        if item.id not in claimed:
            statuses.append(_status(index, item, config=config, now=now))
    forecasts = [_status(index, _release_item(release), config=config, now=now) for release in releases]
    return statuses, forecasts


def _release_item(release: Release) -> RoadmapItem:
    return RoadmapItem(
        id=release.id,
        source=release.source,
        updated=release.updated,
        title=f"{release.project} {release.name}",
        target_date=release.release_date,
        linked_ids=(release.id,),
    )


def roadmap(
    entries: Mapping[str, RoadmapEntry],
    records: Iterable[Record],
    *,
    config: RoadmapConfig,
    now: datetime,
    metrics: Sequence[MetricPoint] = (),
) -> list[RoadmapStatus]:
    """Configured items first (in config order), then rule items not already linked by a configured one."""
    return plan(entries, records, config=config, now=now, metrics=metrics)[0]


def plan_from_store(
    store: Store,
    entries: Mapping[str, RoadmapEntry],
    config: RoadmapConfig,
    now: datetime,
    releases: Sequence[Release] = (),
) -> tuple[list[RoadmapStatus], list[RoadmapStatus]]:
    """:func:`plan` over the store's records."""
    records = [r for kind in RECORD_KINDS for r in store.records.iter(kind=kind)]
    metrics = metric_points(store, (t.metric for entry in entries.values() for t in entry.metrics))
    return plan(entries, records, config=config, now=now, metrics=metrics, releases=releases)


def roadmap_from_store(
    store: Store, entries: Mapping[str, RoadmapEntry], config: RoadmapConfig, now: datetime
) -> list[RoadmapStatus]:
    return plan_from_store(store, entries, config, now)[0]


__all__ = [
    "CONFIGURED",
    "RoadmapConfig",
    "RoadmapEntry",
    "item_status",
    "plan",
    "plan_from_store",
    "roadmap",
    "roadmap_from_store",
]
