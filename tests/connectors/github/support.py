"""Helpers for the GitHub connector tests: the GitHub sandbox served over real HTTP with a movable clock, fault
middleware and admin access, and small runners over streams."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connectors.base import Mapped, Page, Stream
from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.http import RetryPolicy
from sandbox.faults import FaultMiddleware, FaultPlan
from sandbox.github.app import DEFAULT_TOKENS, GitHubOptions, create_app
from sandbox.webhooks import WebhookSender
from sandbox.world import Repo, Scale, World, build_world
from serving import ServedApp

TOKEN = next(iter(DEFAULT_TOKENS))
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Clock:
    """The sandbox's clock: every change it stamps happens at ``now``; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Sandbox:
    world: World
    url: str
    faults: FaultMiddleware
    clock: Clock

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.url}/_sandbox{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests_served(self) -> int:
        total: int = requests.get(f"{self.url}/_sandbox/stats", timeout=10).json()["total"]
        return total

    def rate_limit_used(self) -> int:
        answer = requests.get(f"{self.url}/rate_limit", headers={"Authorization": f"token {TOKEN}"}, timeout=10)
        used: int = answer.json()["resources"]["core"]["used"]
        return used


def serve(scale: Scale, webhooks: WebhookSender | None = None) -> Iterator[Sandbox]:
    world = build_world(seed=11, scale=scale, now=NOW)
    clock = Clock(NOW + timedelta(minutes=5))
    options = GitHubOptions(clock=clock, webhooks=webhooks)
    app = FaultMiddleware(create_app(world, options), "github", FaultPlan(seed=3))
    with ServedApp(app) as served:
        yield Sandbox(world, served.url, app, clock)


def no_sleep(_: float) -> None:
    return None


def source_for(sandbox: Sandbox, token: str = TOKEN, base: str = "", **config: Any) -> GitHubSource:
    cfg = GitHubSourceConfig(base_url=sandbox.url + base, repos=tuple(sandbox.world.repos), **config)
    policy = RetryPolicy(tool="github", credential=cfg.token_env, sleep=no_sleep, max_wait=120)
    return GitHubSource("gh", cfg, token, policy=policy)


@dataclass
class Run:
    records: dict[str, Mapped]
    pages: list[Page]
    cursor: str | None
    census: set[str] | None


def run(stream: Stream, cursor: str | None = None) -> Run:
    pages = list(stream.pages(cursor))
    records = {m.record.id: m for page in pages for m in page.records}
    last = next((p.cursor for p in reversed(pages) if p.cursor is not None), cursor)
    census = stream.census()
    return Run(records, pages, last, None if census is None else set(census))


def stream_of(source: GitHubSource, name: str) -> Stream:
    return next(s for s in source.streams() if s.name == name)


def run_all(source: GitHubSource, cursors: dict[str, str | None] | None = None) -> dict[str, Run]:
    cursors = cursors or {}
    return {s.name: run(s, cursors.get(s.name)) for s in source.streams()}


def cursors_of(runs: dict[str, Run]) -> dict[str, str | None]:
    return {name: r.cursor for name, r in runs.items()}


def records_of(runs: dict[str, Run]) -> dict[str, Any]:
    return {rid: m.record for r in runs.values() for rid, m in r.records.items()}


def sec(moment: datetime | None) -> datetime | None:
    """GitHub serialises instants to the second."""
    return None if moment is None else moment.replace(microsecond=0)


def release_refs(repo: Repo, published: int = 2) -> list[str]:
    """The refs the checks stream reads by default: default branch, drafts (tag and target), newest published tags."""
    refs = [repo.default_branch]
    for release in repo.releases:
        if release.draft:
            refs += [release.tag_name, release.target_commitish]
    shipped = sorted(
        ((r.published_at, r.tag_name) for r in repo.releases if not r.draft and r.published_at), reverse=True
    )
    return refs + [tag for _, tag in shipped[:published]]
