"""Cross-tool linking: which GitHub records and Jira records are the same piece of work.

Pure functions over records. Evidence, in the order it is looked for:

- a Jira key in a pull request's title, branch name or body, or in a GitHub issue's title or body
  (``mentions``; branch names match case-insensitively, as branches are often lower-cased);
- a GitHub pull request or issue URL among a Jira issue's remote links or in its description (``remote_link``);
- a GitHub milestone whose name equals a Jira version's name, ignoring case and a leading ``v`` (``same_release``).

Only keys of Jira issues that exist in the store produce links, so ``ABC-1`` in prose links to nothing unless ABC-1
is a known issue. Every link keeps the field and the text that produced it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from schema import Link, PullRequest, Release, ReleaseKind, SourceRef, Tool, WorkItem, ids, release_key

DEFAULT_KEY_PATTERN = r"\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\b"
_GITHUB_URL = re.compile(r"https?://[^\s/]+/([\w.-]+/[\w.-]+)/(pull|issues)/(\d+)")


@dataclass(frozen=True)
class LinkRules:
    key_pattern: str = DEFAULT_KEY_PATTERN
    match_milestones_to_versions: bool = True
    products: tuple[tuple[str, str], ...] = ()  # (Jira project key, GitHub owner/repo): scopes release matching


@dataclass(frozen=True)
class _Ref:
    """What a link needs of a record: its id and when it last changed."""

    id: str
    updated: datetime


def _link(from_ref: _Ref, to_ref: _Ref, kind: str, field: str, text: str) -> Link:
    link_id = ids.link(from_ref.id, to_ref.id, kind)
    return Link(
        id=link_id,
        source=SourceRef(tool=Tool.PMHUB, instance="linker", native_id=link_id),
        updated=max(from_ref.updated, to_ref.updated),
        from_id=from_ref.id,
        to_id=to_ref.id,
        link_kind=kind,
        evidence_field=field,
        evidence_text=text[:500],
    )


class _KeyIndex:
    def __init__(self, pattern: str) -> None:
        self.by_key: dict[str, list[_Ref]] = defaultdict(list)
        self.strict = re.compile(pattern)
        self.loose = re.compile(pattern, re.IGNORECASE)

    def mentioned(self, text: str, *, case_insensitive: bool = False) -> Iterator[_Ref]:
        regex = self.loose if case_insensitive else self.strict
        seen: set[str] = set()
        for match in regex.finditer(text):
            key = match.group(0).upper()
            if key not in seen:
                seen.add(key)
                yield from self.by_key.get(key, ())


def link_records(
    jira_items: Iterable[WorkItem],
    github_items: Iterable[WorkItem | PullRequest],
    releases: Iterable[Release],
    rules: LinkRules = LinkRules(),
) -> list[Link]:
    """Every link the evidence supports, de-duplicated by (from, to, kind) keeping the first evidence found.

    Each iterable is read once and no record is kept: only ids, keys and timestamps, so the store can stream them.
    """
    index = _KeyIndex(rules.key_pattern)
    urls: list[tuple[tuple[str, int], _Ref, str, str]] = []  # GitHub URLs in Jira items: (repo, number), ...
    for item in jira_items:
        if item.source.tool is not Tool.JIRA:
            continue
        ref = _Ref(item.id, item.updated)
        if item.source.key:
            index.by_key[item.source.key.upper()].append(ref)
        candidates = [("remote_link", url) for url in item.remote_urls] + [("description", item.description)]
        for field, text in candidates:
            for match in _GITHUB_URL.finditer(text):
                urls.append(((match.group(1).lower(), int(match.group(3))), ref, field, match.group(0)))

    links: dict[str, Link] = {}

    def add(link: Link) -> None:
        links.setdefault(link.id, link)

    by_url: dict[tuple[str, int], _Ref] = {}
    for record in github_items:
        ref = _Ref(record.id, record.updated)
        number = record.number if isinstance(record, PullRequest) else int(record.source.native_id)
        by_url[(record.source.instance.lower(), number)] = ref
        fields: list[tuple[str, str, bool]] = [("title", record.title, False)]
        if isinstance(record, PullRequest):
            fields.append(("head_ref", record.head_ref, True))
        fields.append(("body", record.body if isinstance(record, PullRequest) else record.description, False))
        for field, text, loose in fields:
            for target in index.mentioned(text, case_insensitive=loose):
                add(_link(ref, target, "mentions", field, text))

    for place, jira_ref, field, text in urls:
        if (github_ref := by_url.get(place)) is not None:
            add(_link(github_ref, jira_ref, "remote_link", field, text))

    if rules.match_milestones_to_versions:
        for link in _release_links(list(releases), rules):
            add(link)
    return list(links.values())


def _release_links(releases: list[Release], rules: LinkRules) -> Iterator[Link]:
    versions: dict[str, list[Release]] = defaultdict(list)
    for release in releases:
        if release.release_kind is ReleaseKind.JIRA_VERSION:
            versions[release_key(release.name)].append(release)
    paired = {(project.upper(), repo.lower()) for project, repo in rules.products}
    for milestone in releases:
        if milestone.release_kind is not ReleaseKind.GITHUB_MILESTONE:
            continue
        for version in versions.get(release_key(milestone.name), ()):
            if paired and (version.project.upper(), milestone.project.lower()) not in paired:
                continue
            yield _link(
                _Ref(version.id, version.updated),
                _Ref(milestone.id, milestone.updated),
                "same_release",
                "name",
                milestone.name,
            )
