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

from schema import Link, PullRequest, Release, ReleaseKind, SourceRef, Tool, WorkItem, ids

DEFAULT_KEY_PATTERN = r"\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\b"
_GITHUB_URL = re.compile(r"https?://[^\s/]+/([\w.-]+/[\w.-]+)/(pull|issues)/(\d+)")


@dataclass(frozen=True)
class LinkRules:
    key_pattern: str = DEFAULT_KEY_PATTERN
    match_milestones_to_versions: bool = True
    products: tuple[tuple[str, str], ...] = ()  # (Jira project key, GitHub owner/repo): scopes release matching


def _release_name(name: str) -> str:
    return name.strip().casefold().removeprefix("v")


_Linked = WorkItem | PullRequest | Release


def _link(from_id: str, to_id: str, kind: str, field: str, text: str, *records: _Linked) -> Link:
    link_id = ids.link(from_id, to_id, kind)
    return Link(
        id=link_id,
        source=SourceRef(tool=Tool.PMHUB, instance="linker", native_id=link_id),
        updated=max(r.updated for r in records),
        from_id=from_id,
        to_id=to_id,
        link_kind=kind,
        evidence_field=field,
        evidence_text=text[:500],
    )


class _KeyIndex:
    def __init__(self, jira_items: Iterable[WorkItem], pattern: str) -> None:
        self.by_key: dict[str, list[WorkItem]] = defaultdict(list)
        for item in jira_items:
            if item.source.key:
                self.by_key[item.source.key.upper()].append(item)
        self.strict = re.compile(pattern)
        self.loose = re.compile(pattern, re.IGNORECASE)

    def mentioned(self, text: str, *, case_insensitive: bool = False) -> Iterator[tuple[str, WorkItem]]:
        regex = self.loose if case_insensitive else self.strict
        seen: set[str] = set()
        for match in regex.finditer(text):
            key = match.group(0).upper()
            if key in seen:
                continue
            seen.add(key)
            for item in self.by_key.get(key, ()):
                yield key, item


def link_records(
    jira_items: Iterable[WorkItem],
    github_items: Iterable[WorkItem | PullRequest],
    releases: Iterable[Release],
    rules: LinkRules = LinkRules(),
) -> list[Link]:
    """Every link the evidence supports, de-duplicated by (from, to, kind) keeping the first evidence found."""
    jira = [i for i in jira_items if i.source.tool is Tool.JIRA]
    index = _KeyIndex(jira, rules.key_pattern)
    github = list(github_items)
    by_url: dict[tuple[str, int], WorkItem | PullRequest] = {}
    links: dict[str, Link] = {}

    def add(link: Link) -> None:
        links.setdefault(link.id, link)

    for record in github:
        number = record.number if isinstance(record, PullRequest) else int(record.source.native_id)
        by_url[(record.source.instance.lower(), number)] = record
        fields: list[tuple[str, str, bool]] = [("title", record.title, False)]
        if isinstance(record, PullRequest):
            fields.append(("head_ref", record.head_ref, True))
        fields.append(("body", record.body if isinstance(record, PullRequest) else record.description, False))
        for field, text, loose in fields:
            for _key, item in index.mentioned(text, case_insensitive=loose):
                add(_link(record.id, item.id, "mentions", field, text, record, item))

    for item in jira:
        candidates = [("remote_link", url) for url in item.remote_urls] + [("description", item.description)]
        for field, text in candidates:
            for match in _GITHUB_URL.finditer(text):
                target = by_url.get((match.group(1).lower(), int(match.group(3))))
                if target is not None:
                    add(_link(target.id, item.id, "remote_link", field, match.group(0), target, item))

    if rules.match_milestones_to_versions:
        versions: dict[str, list[Release]] = defaultdict(list)
        milestones = []
        for release in releases:
            if release.release_kind is ReleaseKind.JIRA_VERSION:
                versions[_release_name(release.name)].append(release)
            elif release.release_kind is ReleaseKind.GITHUB_MILESTONE:
                milestones.append(release)
        paired = {(project.upper(), repo.lower()) for project, repo in rules.products}
        for milestone in milestones:
            for version in versions.get(_release_name(milestone.name), ()):
                if paired and (version.project.upper(), milestone.project.lower()) not in paired:
                    continue
                add(_link(version.id, milestone.id, "same_release", "name", milestone.name, version, milestone))
    return list(links.values())
