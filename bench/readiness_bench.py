"""Readiness of one large release: 10,000 work items and 2,000 pull requests (target: < 0.5 s from the store).

``python -m bench.readiness_bench [--items N] [--prs N] [--url URL]`` fills a fresh store (a temporary SQLite file
unless ``--url`` names one), then times :func:`sync.scope.release_scope` (reading), :func:`sync.readiness.evaluate`
(the pure checks), :func:`sync.readiness.readiness_for` (both, plus the previous report) and the self-contained HTML
report of the result (:func:`reports.render_readiness`, target: < 1 s) — best of three each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from connectors.base import Mapped
from reports import render_readiness
from schema import (
    AnyRecord,
    Check,
    CheckKind,
    CheckState,
    Link,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    Status,
    StatusCategory,
    Tool,
    WorkItem,
    WorkItemType,
    ids,
)
from sync.readiness import ReadinessConfig, evaluate, readiness_for
from sync.scope import release_scope
from sync.store import Store

SITE = "bench.atlassian.net"
REPO = "bench/app"
NOW = datetime.now(UTC).replace(microsecond=0)
_CATEGORIES = [StatusCategory.DONE] * 7 + [StatusCategory.IN_PROGRESS, StatusCategory.TODO, StatusCategory.CANCELLED]


def _releases() -> list[AnyRecord]:
    version = Release(
        id=ids.jira(SITE, "version", 1),
        source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id="1"),
        updated=NOW,
        release_kind=ReleaseKind.JIRA_VERSION,
        name="9.0.0",
        project="BEN",
        released=False,
        start_date=NOW.date() - timedelta(days=60),
        release_date=NOW.date() + timedelta(days=3),
    )
    milestone = Release(
        id=ids.github(REPO, "milestone", 1),
        source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id="1"),
        updated=NOW,
        release_kind=ReleaseKind.GITHUB_MILESTONE,
        name="9.0.0",
        project=REPO,
        released=False,
    )
    twin = ids.link(version.id, milestone.id, "same_release")
    link = Link(
        id=twin,
        source=SourceRef(tool=Tool.PMHUB, instance="linker", native_id=twin),
        updated=NOW,
        from_id=version.id,
        to_id=milestone.id,
        link_kind="same_release",
        evidence_field="name",
        evidence_text="9.0.0",
    )
    return [version, milestone, link]


def _items(count: int) -> list[AnyRecord]:
    version_id = ids.jira(SITE, "version", 1)
    records: list[AnyRecord] = []
    for n in range(1, count + 1):
        category = _CATEGORIES[n % len(_CATEGORIES)]
        created = NOW - timedelta(days=n % 60 + 1, minutes=n)
        records.append(
            WorkItem(
                id=ids.jira(SITE, "issue", n),
                source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id=str(n), key=f"BEN-{n}"),
                updated=created + timedelta(hours=5),
                type=WorkItemType.BUG if n % 4 == 0 else WorkItemType.STORY,
                type_original="Story",
                title=f"Work {n}",
                status=Status(category=category, original=category.value),
                assignee=f"dev{n % 23}",
                priority="Highest" if n % 101 == 0 else "Medium",
                story_points=float(n % 8 + 1),
                release_ids=(version_id,),
                created=created,
                resolved=created + timedelta(hours=5) if category is StatusCategory.DONE else None,
            )
        )
    return records


def _prs(count: int) -> list[AnyRecord]:
    milestone_id = ids.github(REPO, "milestone", 1)
    records: list[AnyRecord] = []
    for n in range(1, count + 1):
        merged = n % 10 != 0
        created = NOW - timedelta(days=n % 30 + 1)
        records.append(
            PullRequest(
                id=ids.github(REPO, "pr", n),
                source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id=str(n)),
                updated=created + timedelta(hours=3),
                number=n,
                title=f"BEN-{n} change",
                state=PullRequestState.MERGED if merged else PullRequestState.OPEN,
                status=Status(category=StatusCategory.DONE if merged else StatusCategory.IN_PROGRESS, original="x"),
                author=f"dev{n % 23}",
                head_ref=f"feature/{n}",
                base_ref="main",
                release_ids=(milestone_id,),
                created=created,
                merged_at=created + timedelta(hours=3) if merged else None,
            )
        )
    return records


def _checks() -> list[AnyRecord]:
    return [
        Check(
            id=ids.github(REPO, "check", f"release/9.0.0:run:job-{n}"),
            source=SourceRef(tool=Tool.GITHUB, instance=REPO, native_id=str(n)),
            updated=NOW - timedelta(hours=1),
            check_kind=CheckKind.CHECK_RUN,
            name=f"job-{n}",
            ref="release/9.0.0",
            sha="f" * 40,
            state=CheckState.SUCCESS,
            conclusion_original="success",
        )
        for n in range(20)
    ]


def _best(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def run(store: Store, items: int, prs: int) -> dict[str, float]:
    records = _releases() + _items(items) + _prs(prs) + _checks()
    store.records.upsert([Mapped(record=r, raw={}) for r in records], source="bench", stream="records")
    store.runs.finish(store.runs.start("bench", "records"), "ok", {})
    release = records[0]
    assert isinstance(release, Release)
    config = ReadinessConfig()
    scope = release_scope(store, release)
    freshness = store.runs.last_successes()
    report = readiness_for(store, release, config, NOW)
    return {
        "release_scope": _best(3, lambda: release_scope(store, release)),
        "evaluate": _best(3, lambda: evaluate(scope, freshness=freshness, config=config, now=NOW)),
        "readiness_for": _best(3, lambda: readiness_for(store, release, config, NOW)),
        "html report": _best(3, lambda: render_readiness(report, "html")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--prs", type=int, default=2_000)
    parser.add_argument("--url", help="SQLAlchemy URL of an empty store (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        with Store(url) as store:
            timings = run(store, args.items, args.prs)
    print(f"readiness of a release with {args.items:,} items and {args.prs:,} PRs ({date.today()}):")
    for name, seconds in timings.items():
        print(f"  {name:<14} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
