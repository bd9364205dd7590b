"""What belongs to a release, gathered across tools from the store.

A release is usually a Jira version; its GitHub twins are the milestones linked to it by name (``same_release``
links) and the GitHub release of the same name or tag in those repos. Its scope is the work items with the version
(or a twin milestone), the pull requests in a twin milestone or linked to one of those items, and the CI results on
the release's refs (``v<name>``, ``<name>``, ``release/<name>`` and the tag of its GitHub release). Reading is a
handful of streamed queries whatever the size: never one query per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schema import Check, Link, PullRequest, Release, ReleaseKind, StatusCategory, Tool, WorkItem, release_key
from sync.collector import collector_paused
from sync.store import Store


@dataclass(frozen=True)
class ReleaseScope:
    release: Release
    milestones: list[Release] = field(default_factory=list)
    github_releases: list[Release] = field(default_factory=list)
    items: list[WorkItem] = field(default_factory=list)
    pull_requests: list[PullRequest] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def repos(self) -> set[str]:
        return {m.project.lower() for m in self.milestones}

    def done(self) -> list[WorkItem]:
        return [i for i in self.items if i.status.category in (StatusCategory.DONE, StatusCategory.CANCELLED)]

    def points(self) -> tuple[float, float]:
        """(done, total) story points; cancelled work counts as neither."""
        live = [i for i in self.items if i.status.category is not StatusCategory.CANCELLED]
        total = sum(i.story_points or 0.0 for i in live)
        done = sum(i.story_points or 0.0 for i in live if i.status.category is StatusCategory.DONE)
        return done, total

    def last_activity(self) -> datetime | None:
        moments = [r.updated for r in (*self.items, *self.pull_requests)]
        return max(moments) if moments else None


def release_refs(release: Release, github_releases: Iterable[Release]) -> set[str]:
    """The refs whose CI speaks for this release."""
    refs = {f"v{release.name}", release.name, f"release/{release.name}", f"refs/tags/v{release.name}"}
    for gh in github_releases:
        if gh.tag_name:
            refs.add(gh.tag_name)
    return refs


def find_release(store: Store, name: str, project: str | None = None) -> list[Release]:
    """Jira versions (else GitHub milestones) called ``name``, optionally in one project or repo."""
    wanted = release_key(name)
    found = [
        r
        for r in store.records.iter(kind="release")
        if isinstance(r, Release)
        and r.release_kind in (ReleaseKind.JIRA_VERSION, ReleaseKind.GITHUB_MILESTONE)
        and release_key(r.name) == wanted
        and (project is None or r.project.casefold() == project.casefold())
    ]
    versions = [r for r in found if r.release_kind is ReleaseKind.JIRA_VERSION]
    return versions or found


def release_scope(store: Store, release: Release) -> ReleaseScope:
    """Everything the store holds about ``release``: its items, pull requests, twins, GitHub releases and checks."""
    with collector_paused():
        return _read_scope(store, release)


def twins(
    release: Release, releases: Mapping[str, Release], own_links: Iterable[Link]
) -> tuple[list[Release], list[Release]]:
    """(milestones, GitHub releases) that are ``release`` in GitHub: the milestones linked to it by name
    (``same_release`` links among ``own_links``; a milestone is its own), and the GitHub releases of its name or tag
    in their repositories."""
    twin_ids = {
        lk.to_id if lk.from_id == release.id else lk.from_id for lk in own_links if lk.link_kind == "same_release"
    }
    milestones = [releases[i] for i in sorted(twin_ids) if i in releases]
    if release.release_kind is ReleaseKind.GITHUB_MILESTONE:
        milestones.append(release)
    repos = {m.project.lower() for m in milestones}
    wanted = release_key(release.name)
    github_releases = [
        r
        for r in releases.values()
        if r.release_kind is ReleaseKind.GITHUB_RELEASE
        and r.project.lower() in repos
        and wanted in (release_key(r.name), release_key(r.tag_name or ""))
    ]
    return milestones, github_releases


def _read_scope(store: Store, release: Release) -> ReleaseScope:
    releases = {r.id: r for r in store.records.iter(kind="release") if isinstance(r, Release)}
    own_links = store.links.of(release.id)
    milestones, github_releases = twins(release, releases, own_links)
    repos = {m.project.lower() for m in milestones}

    members = store.records.in_release(release.id)
    for milestone in milestones:
        if milestone.id != release.id:
            members.extend(store.records.in_release(milestone.id))
    items = list({r.id: r for r in members if isinstance(r, WorkItem)}.values())
    prs = {r.id: r for r in members if isinstance(r, PullRequest)}

    jira_ids = {i.id for i in items if i.source.tool is Tool.JIRA}
    member_links = store.links.into_releases([release.id, *(m.id for m in milestones)])
    links = [lk for lk in member_links if lk.to_id in jira_ids and lk.link_kind != "same_release"]
    wanted_prs = {lk.from_id for lk in links} - set(prs)
    prs.update((r.id, r) for r in store.records.get_many(wanted_prs) if isinstance(r, PullRequest))

    refs = release_refs(release, github_releases)
    checks = [
        c
        for c in store.records.iter(kind="check")
        if isinstance(c, Check) and c.source.instance.lower() in repos and c.ref in refs
    ]
    return ReleaseScope(
        release=release,
        milestones=[m for m in milestones if m.id != release.id],
        github_releases=github_releases,
        items=items,
        pull_requests=sorted(prs.values(), key=lambda p: (p.source.instance, p.number)),
        checks=checks,
        links=own_links + links,
    )
