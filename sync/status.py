"""The consolidated status report, assembled in one place for the CLI, the digest and the status page: readiness of
every upcoming release, the roadmap and its timeline, the objectives, the top of each product's backlog, the recent
launches, contradictions between tools and per-source freshness.

:func:`status_report` reads the store once per part; ``persist`` keeps each release's readiness report as the
baseline its notifications diff against (the CLI and the digest do; the status page does not, so a change seen
first on the page is still sent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schema.readiness import StatusReport
from sync.launches import LaunchReviewConfig, reviews_from_store
from sync.objectives import ObjectiveConfig, objectives_from_store
from sync.overview import upcoming_releases
from sync.priorities import PrioritiesConfig, ProductScope, backlog_records, priorities
from sync.readiness import ReadinessConfig, freshness_rows, readiness_for
from sync.reconcile.rules import ReconcileConfig
from sync.reconcile.write_back import reconcile_store
from sync.roadmap import RoadmapConfig, RoadmapEntry, plan_from_store
from sync.store import Store
from sync.timeline import timeline


@dataclass(frozen=True)
class StatusConfig:
    """How the report judges: the configuration's readiness checks, reconciliation rules (None: none checked),
    roadmap, objectives, prioritisation, products and launch reviews."""

    readiness: ReadinessConfig = field(default_factory=ReadinessConfig)
    reconcile: ReconcileConfig | None = field(default_factory=ReconcileConfig)
    roadmap_items: Mapping[str, RoadmapEntry] = field(default_factory=dict)
    roadmap_rules: RoadmapConfig = field(default_factory=RoadmapConfig)
    objectives: Mapping[str, ObjectiveConfig] = field(default_factory=dict)
    priorities: PrioritiesConfig = field(default_factory=PrioritiesConfig)
    products: Mapping[str, ProductScope] = field(default_factory=dict)
    launch_review: LaunchReviewConfig = field(default_factory=LaunchReviewConfig)


def status_report(store: Store, config: StatusConfig, now: datetime, *, persist: bool = False) -> StatusReport:
    upcoming = upcoming_releases(store)
    releases = [readiness_for(store, r, config.readiness, now, persist=persist) for r in upcoming]
    roadmap, forecasts = plan_from_store(store, config.roadmap_items, config.roadmap_rules, now, upcoming)
    return StatusReport(
        generated_at=now,
        releases=releases,
        roadmap=roadmap,
        contradictions=reconcile_store(store, config.reconcile, now).contradictions if config.reconcile else [],
        freshness=freshness_rows(store.runs.last_successes(), config.readiness.freshness, now),
        objectives=objectives_from_store(store, config.objectives, roadmap, now).objectives,
        timeline=timeline(roadmap, forecasts, releases, now.date()),
        priorities=priorities(
            backlog_records(store), config.priorities, config.products, now, limit=config.priorities.show
        ).products,
        launches=reviews_from_store(store, config.launch_review, config.readiness.guardrails, now).launches,
    )


__all__ = ["StatusConfig", "status_report"]
