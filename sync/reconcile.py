"""Roadmap reconciliation: where Jira and GitHub disagree about the same work, and the guarded write-back that fixes it.

:func:`find` is pure: records in, :class:`Finding` s out — each a :class:`schema.readiness.Contradiction` (evidence
from both tools and a suggested fix in words) plus the write-back :class:`Action` s that would resolve it. The rules:

- ``done_but_pr_open`` — a Jira issue is Done while a linked pull request is open (or was closed without merging);
  fix: comment, move the issue back to ``reopen_status``;
- ``github_closed_jira_open`` — a GitHub issue is closed while its Jira twin is still open; fix: comment, move the
  Jira issue to ``done_status`` (only a comment while a linked pull request is open: moving it would break the
  first rule);
- ``jira_done_github_open`` — a Jira issue is Done while its GitHub twin is open; fix: comment, close the GitHub issue;
- ``epic_done_children_open`` — an epic is Done with open children; fix: comment, move the epic to ``reopen_status``;
- ``released_without_github_release`` — a version is released in Jira, its repo publishes GitHub releases, and none
  exists for it (advice only: pmhub does not write release notes);
- ``github_release_without_jira_release`` — a GitHub release is published for a version Jira has not released;
  fix: mark the version released;
- ``past_due_version`` — the release date passed and the version is unreleased (advice only);
- ``release_ci_red`` — CI fails on an unreleased version's release ref (information).

Write-back is guarded (:func:`apply_plan`): a dry run unless asked, only rules listed in
``ReconcileConfig.apply_rules``, every change recorded in the store's audit table (action ``reconcile:<kind>``,
``reconcile_failed`` for a failure, which is tried again next time) with the action's fingerprint. Loop prevention
(:class:`History`, read from the audit table):

- an action whose fingerprint was applied is never planned or applied again (a person who undoes pmhub's fix is
  not fought);
- no action targets a record whose newest change is pmhub's own state change (its ``updated`` is not after the
  audited transition, close or release): a contradiction pmhub's fix caused is reported, never "fixed" back; a later
  edit by a person lifts this;
- every comment pmhub writes carries :data:`COMMENT_MARKER`, so the webhook path can recognise and ignore it
  (:func:`is_pmhub_comment`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schema import (
    Check,
    CheckState,
    ConfigError,
    Link,
    PmhubError,
    PullRequest,
    PullRequestState,
    Record,
    RecordKind,
    Release,
    ReleaseKind,
    StatusCategory,
    Tool,
    WorkItem,
    WorkItemType,
)
from schema.readiness import Contradiction, Evidence
from sync.readiness import check_evidence, item_evidence, pr_evidence, release_evidence
from sync.scope import release_refs
from sync.status import is_open, latest_checks
from sync.store import Store

Outcome = Literal["planned", "applied", "disabled", "already_applied", "own_change", "failed"]
Rule = Literal[
    "done_but_pr_open",
    "github_closed_jira_open",
    "jira_done_github_open",
    "epic_done_children_open",
    "released_without_github_release",
    "github_release_without_jira_release",
    "past_due_version",
    "release_ci_red",
]
RECORD_KINDS: tuple[RecordKind, ...] = ("work_item", "pull_request", "release", "check", "link")
AUDIT_PREFIX = "reconcile:"
FAILED_ACTION = "reconcile_failed"
COMMENT_MARKER = "pmhub:reconcile"
_AUDIT_SCAN = 500


class ReconcileConfig(BaseModel):
    """``[reconcile]`` in pmhub.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    apply_rules: list[Rule] = Field(
        default_factory=list, description="Rules whose write-back `pmhub reconcile --apply` may execute."
    )
    reopen_status: dict[str, str] = Field(
        default_factory=lambda: {"*": "In Progress"},
        description="Per Jira project key ('*' = any): the status a wrongly-done issue or epic moves back to.",
    )
    done_status: dict[str, str] = Field(
        default_factory=lambda: {"*": "Done"},
        description="Per Jira project key ('*' = any): the status an issue moves to when its GitHub twin closed.",
    )
    comment: bool = Field(True, description="Comment with the evidence on the record a fix changes.")

    @field_validator("reopen_status", "done_status")
    @classmethod
    def _has_fallback(cls, table: dict[str, str]) -> dict[str, str]:
        if "*" not in table:
            raise ValueError("needs a '*' entry: the status for projects not named")
        return table

    def status_for(self, table: Mapping[str, str], project: str) -> str:
        return table.get(project) or table["*"]


# ------------------------------------------------------------------------------------------------------ plan


class ActionKind(StrEnum):
    TRANSITION_JIRA = "transition_jira"
    COMMENT_JIRA = "comment_jira"
    RELEASE_JIRA_VERSION = "release_jira_version"
    CLOSE_GITHUB_ISSUE = "close_github_issue"
    COMMENT_GITHUB = "comment_github"


class Action(BaseModel):
    """One write-back step. ``target`` is what the tool calls the record: a Jira key, a Jira version id, or
    ``owner/repo#number``; ``instance`` is the Jira site or the repo; ``value`` the status name or comment text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Rule
    kind: ActionKind
    subject_id: str
    target_id: str
    instance: str
    target: str
    value: str = ""
    reason: str
    observed: AwareDatetime = Field(description="The target record's ``updated`` when the action was planned.")

    @property
    def fingerprint(self) -> str:
        """Identifies the change, not its wording: the same fix of the same contradiction has the same one."""
        parts = [self.rule, self.kind.value, self.subject_id, self.target_id]
        if self.kind is ActionKind.TRANSITION_JIRA:
            parts.append(self.value.casefold())
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]

    def describe(self) -> str:
        what = {
            ActionKind.TRANSITION_JIRA: f"move {self.target} to {self.value!r}",
            ActionKind.COMMENT_JIRA: f"comment on {self.target}",
            ActionKind.RELEASE_JIRA_VERSION: f"mark Jira version {self.target} released",
            ActionKind.CLOSE_GITHUB_ISSUE: f"close {self.target}",
            ActionKind.COMMENT_GITHUB: f"comment on {self.target}",
        }[self.kind]
        return f"[{self.rule}] {what}"


@dataclass(frozen=True)
class Finding:
    contradiction: Contradiction
    actions: tuple[Action, ...] = ()


# --------------------------------------------------------------------------------------------------- records


def _github_number(record: WorkItem | PullRequest) -> int:
    return record.number if isinstance(record, PullRequest) else int(record.source.native_id)


def _github_label(record: WorkItem | PullRequest) -> str:
    return f"{record.source.instance}#{_github_number(record)}"


def _label(item: WorkItem) -> str:
    return item.source.key or item.id


def _version_label(release: Release) -> str:
    return f"{release.project} {release.name}"


def release_key(name: str) -> str:
    """A release name as the tools' names are compared: ``v2.4.0``, ``2.4.0`` and ``2.4.0 `` are one."""
    return name.strip().casefold().removeprefix("v")


@dataclass
class _World:
    """The records reconciliation looks at, indexed once."""

    items: dict[str, WorkItem] = field(default_factory=dict)
    prs: dict[str, PullRequest] = field(default_factory=dict)
    releases: list[Release] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    github_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # Jira id -> GitHub ids
    twins_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # version id -> milestone ids
    children_of: dict[str, list[WorkItem]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, records: Iterable[Record]) -> _World:
        world = cls()
        links: list[Link] = []
        for record in records:
            if isinstance(record, WorkItem):
                world.items[record.id] = record
            elif isinstance(record, PullRequest):
                world.prs[record.id] = record
            elif isinstance(record, Release):
                world.releases.append(record)
            elif isinstance(record, Check):
                world.checks.append(record)
            elif isinstance(record, Link):
                links.append(record)
        for link in links:
            if link.link_kind == "same_release":
                world.twins_of[link.from_id].append(link.to_id)
            elif link.to_id in world.items:
                world.github_of[link.to_id].append(link.from_id)
        for item in world.items.values():
            for parent in {item.epic_id, item.parent_id} - {None}:
                world.children_of[str(parent)].append(item)
        return world

    def jira_items(self) -> list[WorkItem]:
        return sorted((i for i in self.items.values() if i.source.tool is Tool.JIRA), key=lambda i: i.id)

    def linked_prs(self, item: WorkItem) -> list[PullRequest]:
        found = {self.prs[g].id: self.prs[g] for g in self.github_of.get(item.id, ()) if g in self.prs}
        return sorted(found.values(), key=lambda p: (p.source.instance, p.number))

    def linked_issues(self, item: WorkItem) -> list[WorkItem]:
        found = {
            g: self.items[g]
            for g in self.github_of.get(item.id, ())
            if g in self.items and self.items[g].source.tool is Tool.GITHUB
        }
        return sorted(found.values(), key=lambda i: i.id)

    def releases_by_id(self) -> dict[str, Release]:
        return {r.id: r for r in self.releases}

    def twin_repos(self, version: Release) -> list[str]:
        by_id = self.releases_by_id()
        return sorted({by_id[m].project.lower() for m in self.twins_of.get(version.id, ()) if m in by_id})

    def github_releases(self, repo: str, version: Release) -> list[Release]:
        wanted = release_key(version.name)
        return [
            r
            for r in self.releases
            if r.release_kind is ReleaseKind.GITHUB_RELEASE
            and r.project.lower() == repo
            and wanted in (release_key(r.name), release_key(r.tag_name or ""))
        ]


# ------------------------------------------------------------------------------------------------------ rules


class _Rules:
    def __init__(self, world: _World, config: ReconcileConfig, now: datetime) -> None:
        self.world = world
        self.config = config
        self.today = now.date()

    def _comment(self, rule: Rule, subject: WorkItem, target: WorkItem | PullRequest, text: str) -> list[Action]:
        if not self.config.comment:
            return []
        if isinstance(target, WorkItem) and target.source.tool is Tool.JIRA:
            kind, label = ActionKind.COMMENT_JIRA, _label(target)
        else:
            kind, label = ActionKind.COMMENT_GITHUB, _github_label(target)
        return [
            Action(
                rule=rule,
                kind=kind,
                subject_id=subject.id,
                target_id=target.id,
                instance=target.source.instance,
                target=label,
                value=comment_text(rule, text),
                reason=text,
                observed=target.updated,
            )
        ]

    def _transition(self, rule: Rule, subject: WorkItem, item: WorkItem, status: str, reason: str) -> Action:
        return Action(
            rule=rule,
            kind=ActionKind.TRANSITION_JIRA,
            subject_id=subject.id,
            target_id=item.id,
            instance=item.source.instance,
            target=_label(item),
            value=status,
            reason=reason,
            observed=item.updated,
        )

    def _project(self, item: WorkItem) -> str:
        return _label(item).rsplit("-", 1)[0]

    def done_but_pr_open(self) -> Iterable[Finding]:
        rule: Rule = "done_but_pr_open"
        for item in self.world.jira_items():
            if item.status.category is not StatusCategory.DONE:
                continue
            prs = self.world.linked_prs(item)
            unmerged = [p for p in prs if p.state is PullRequestState.OPEN]
            if not unmerged and prs and not any(p.state is PullRequestState.MERGED for p in prs):
                unmerged = prs
            if not unmerged:
                continue
            names = ", ".join(f"{_github_label(p)} ({p.state.value})" for p in unmerged)
            summary = f"{_label(item)} is {item.status.original} in Jira but {names} is not merged"
            status = self.config.status_for(self.config.reopen_status, self._project(item))
            yield Finding(
                Contradiction(
                    rule=rule,
                    subject_id=item.id,
                    subject_label=_label(item),
                    summary=summary,
                    evidence=[item_evidence(item), *(pr_evidence(p) for p in unmerged)],
                    fix=f"Merge {names}, or move {_label(item)} back to {status!r}.",
                ),
                (*self._comment(rule, item, item, summary), self._transition(rule, item, item, status, summary)),
            )

    def github_twins(self) -> Iterable[Finding]:
        closed = (StatusCategory.DONE, StatusCategory.CANCELLED)
        for item in self.world.jira_items():
            for issue in self.world.linked_issues(item):
                jira_done = item.status.category is StatusCategory.DONE
                if issue.status.category in closed and is_open(item):
                    yield self._closed_on_github(item, issue)
                elif jira_done and is_open(issue):
                    yield self._open_on_github(item, issue)

    def _closed_on_github(self, item: WorkItem, issue: WorkItem) -> Finding:
        rule: Rule = "github_closed_jira_open"
        summary = (
            f"{_github_label(issue)} is {issue.status.original} on GitHub "
            f"but {_label(item)} is {item.status.original} in Jira"
        )
        status = self.config.status_for(self.config.done_status, self._project(item))
        pending = [p for p in self.world.linked_prs(item) if p.state is PullRequestState.OPEN]
        evidence = [item_evidence(item), _issue_evidence(issue), *(pr_evidence(p) for p in pending)]
        if pending:
            # moving the issue to done would only trade this contradiction for done_but_pr_open: advise, comment
            names = ", ".join(_github_label(p) for p in pending)
            summary = f"{summary}, and {names} is still open"
            fix = f"Merge {names} and move {_label(item)} to {status!r}, or reopen {_github_label(issue)}."
            actions = tuple(self._comment(rule, item, item, summary))
        else:
            fix = f"Move {_label(item)} to {status!r}, or reopen {_github_label(issue)} if work remains."
            actions = (*self._comment(rule, item, item, summary), self._transition(rule, item, item, status, summary))
        return Finding(
            Contradiction(
                rule=rule,
                subject_id=item.id,
                subject_label=_label(item),
                summary=summary,
                evidence=evidence,
                fix=fix,
            ),
            actions,
        )

    def _open_on_github(self, item: WorkItem, issue: WorkItem) -> Finding:
        rule: Rule = "jira_done_github_open"
        summary = f"{_label(item)} is {item.status.original} in Jira but {_github_label(issue)} is still open"
        close = Action(
            rule=rule,
            kind=ActionKind.CLOSE_GITHUB_ISSUE,
            subject_id=item.id,
            target_id=issue.id,
            instance=issue.source.instance,
            target=_github_label(issue),
            reason=summary,
            observed=issue.updated,
        )
        return Finding(
            Contradiction(
                rule=rule,
                subject_id=item.id,
                subject_label=_label(item),
                summary=summary,
                evidence=[item_evidence(item), _issue_evidence(issue)],
                fix=f"Close {_github_label(issue)} as completed.",
            ),
            (*self._comment(rule, item, issue, summary), close),
        )

    def epic_done_children_open(self) -> Iterable[Finding]:
        rule: Rule = "epic_done_children_open"
        for epic in self.world.jira_items():
            if epic.type is not WorkItemType.EPIC or epic.status.category is not StatusCategory.DONE:
                continue
            children = sorted((c for c in self.world.children_of.get(epic.id, ()) if is_open(c)), key=_label)
            if not children:
                continue
            summary = f"Epic {_label(epic)} is {epic.status.original} but {len(children)} of its issues are open"
            status = self.config.status_for(self.config.reopen_status, self._project(epic))
            listing = ", ".join(_label(c) for c in children[:20])
            yield Finding(
                Contradiction(
                    rule=rule,
                    subject_id=epic.id,
                    subject_label=_label(epic),
                    summary=summary,
                    evidence=[item_evidence(epic), *(item_evidence(c) for c in children)],
                    fix=f"Finish or move out {listing}, or move {_label(epic)} back to {status!r}.",
                ),
                (
                    *self._comment(rule, epic, epic, f"{summary}: {listing}"),
                    self._transition(rule, epic, epic, status, summary),
                ),
            )

    def versions(self) -> Iterable[Finding]:
        uses_releases = {r.project.lower() for r in self.world.releases if r.release_kind is ReleaseKind.GITHUB_RELEASE}
        versions = sorted(
            (r for r in self.world.releases if r.release_kind is ReleaseKind.JIRA_VERSION and not r.archived),
            key=lambda r: (r.project, r.release_date or self.today, r.name),
        )
        for version in versions:
            repos = self.world.twin_repos(version)
            for repo in repos:
                published = [r for r in self.world.github_releases(repo, version) if not r.draft and not r.prerelease]
                if version.released and not published and repo in uses_releases:
                    yield self._missing_github_release(version, repo)
                elif not version.released and published:
                    yield self._unreleased_in_jira(version, published[0])
            if not version.released:
                if version.release_date is not None and version.release_date < self.today:
                    yield self._past_due(version)
                yield from self._ci_red(version, repos)
        twinned = {m for ms in self.world.twins_of.values() for m in ms}
        for milestone in self.world.releases:
            if (
                milestone.release_kind is ReleaseKind.GITHUB_MILESTONE
                and milestone.id not in twinned
                and not milestone.released
            ):
                if milestone.release_date is not None and milestone.release_date < self.today:
                    yield self._past_due(milestone)
                yield from self._ci_red(milestone, [milestone.project.lower()])

    def _missing_github_release(self, version: Release, repo: str) -> Finding:
        drafts = self.world.github_releases(repo, version)
        state = "only a draft" if drafts else "none"
        return Finding(
            Contradiction(
                rule="released_without_github_release",
                subject_id=version.id,
                subject_label=_version_label(version),
                summary=f"{_version_label(version)} is released in Jira; GitHub release in {repo}: {state}",
                evidence=[release_evidence(version), *(release_evidence(d) for d in drafts)],
                fix=f"Publish a GitHub release v{version.name} in {repo} (or mark the Jira version unreleased).",
            )
        )

    def _unreleased_in_jira(self, version: Release, published: Release) -> Finding:
        rule: Rule = "github_release_without_jira_release"
        summary = (
            f"GitHub release {published.tag_name or published.name} is published in {published.project} "
            f"but {_version_label(version)} is unreleased in Jira"
        )
        action = Action(
            rule=rule,
            kind=ActionKind.RELEASE_JIRA_VERSION,
            subject_id=version.id,
            target_id=version.id,
            instance=version.source.instance,
            target=version.source.native_id,
            reason=summary,
            observed=version.updated,
        )
        return Finding(
            Contradiction(
                rule=rule,
                subject_id=version.id,
                subject_label=_version_label(version),
                summary=summary,
                evidence=[release_evidence(version), release_evidence(published)],
                fix=f"Mark {_version_label(version)} released in Jira.",
            ),
            (action,),
        )

    def _past_due(self, release: Release) -> Finding:
        return Finding(
            Contradiction(
                rule="past_due_version",
                subject_id=release.id,
                subject_label=_version_label(release),
                summary=f"{_version_label(release)} was due {release.release_date} and is not released",
                evidence=[release_evidence(release)],
                fix="Release it, or move its release date and tell the stakeholders.",
            )
        )

    def _ci_red(self, release: Release, repos: Sequence[str]) -> Iterable[Finding]:
        gh = [r for repo in repos for r in self.world.github_releases(repo, release)]
        refs = release_refs(release, gh)
        wanted = set(repos)
        checks = [c for c in self.world.checks if c.source.instance.lower() in wanted and c.ref in refs]
        failing: dict[tuple[str, str], list[Check]] = defaultdict(list)
        for check in latest_checks(checks):
            if check.state is CheckState.FAILURE:
                failing[(check.source.instance.lower(), check.ref)].append(check)
        for (repo, ref), red in sorted(failing.items()):
            names = ", ".join(c.name for c in red)
            yield Finding(
                Contradiction(
                    rule="release_ci_red",
                    subject_id=release.id,
                    subject_label=f"{repo}@{ref}",
                    summary=f"{names} failing on {ref} in {repo}, the release ref of {_version_label(release)}",
                    evidence=[check_evidence(c) for c in red],
                    fix=f"Fix or re-run {names} on {ref} before releasing.",
                )
            )


def _issue_evidence(issue: WorkItem) -> Evidence:
    return Evidence(record_id=issue.id, label=_github_label(issue), url=issue.source.url, detail=issue.status.original)


def comment_text(rule: str, text: str) -> str:
    """A comment pmhub writes: the finding, then the marker the webhook path recognises."""
    return f"{text}.\n\n(pmhub reconciliation, rule {rule}) [{COMMENT_MARKER}]"


def is_pmhub_comment(text: str) -> bool:
    return COMMENT_MARKER in text


def find(records: Iterable[Record], *, config: ReconcileConfig, now: datetime) -> list[Finding]:
    """Every contradiction in ``records``, with the actions that would resolve it."""
    rules = _Rules(_World.of(records), config, now)
    return [
        *rules.done_but_pr_open(),
        *rules.github_twins(),
        *rules.epic_done_children_open(),
        *rules.versions(),
    ]


def contradictions(findings: Iterable[Finding]) -> list[Contradiction]:
    return [f.contradiction for f in findings]


@dataclass(frozen=True)
class History:
    """What pmhub already did, from the audit table: the fingerprints it applied, and when it last changed the state
    of each record (a transition, a close, a release; its comments change no state)."""

    fingerprints: frozenset[str] = frozenset()
    changed_at: Mapping[str, datetime] = field(default_factory=dict)

    def blocks(self, action: Action) -> Outcome | None:
        """Why ``action`` must not run: it was applied, or its target still shows pmhub's own last change."""
        if action.fingerprint in self.fingerprints:
            return "already_applied"
        changed = self.changed_at.get(action.target_id)
        if changed is not None and action.observed <= changed:
            return "own_change"
        return None


def plan(findings: Iterable[Finding], history: History | None = None) -> list[Action]:
    """The actions still to take: not applied before, and not aimed at a record whose newest change is pmhub's own
    (a contradiction pmhub's fix caused is reported, never fixed back; a person's later edit lifts that)."""
    seen = history or History()
    return [a for f in findings for a in f.actions if seen.blocks(a) is None]


# ----------------------------------------------------------------------------------------------------- apply


class WriteBack(Protocol):
    """What :func:`apply_plan` needs from the tools; :class:`SourceWriteBack` wires it to the connectors."""

    def transition_jira(self, site: str, key: str, to_status: str) -> None: ...

    def comment_jira(self, site: str, key: str, text: str) -> None: ...

    def release_jira_version(self, site: str, version_id: str) -> None: ...

    def close_github_issue(self, repo: str, number: int) -> None: ...

    def comment_github(self, repo: str, number: int, body: str) -> None: ...


class JiraWriter(Protocol):
    def transition(self, key: str, to_status_name: str) -> str: ...

    def add_comment(self, key: str, text: str) -> str: ...

    def release_version(self, version_id: str) -> None: ...


class GitHubWriter(Protocol):
    def add_comment(self, repo: str, number: int, body: str) -> object: ...

    def close_issue(self, repo: str, number: int) -> object: ...


class SourceWriteBack:
    """:class:`WriteBack` over the connectors' sources: Jira sources by site, GitHub sources by ``owner/repo``."""

    def __init__(self, jira: Mapping[str, JiraWriter], github: Mapping[str, GitHubWriter]) -> None:
        self._jira = {site.lower(): source for site, source in jira.items()}
        self._github = {repo.lower(): source for repo, source in github.items()}

    def _j(self, site: str) -> JiraWriter:
        try:
            return self._jira[site.lower()]
        except KeyError:
            raise ConfigError(f"reconcile: no Jira source is configured for site {site}") from None

    def _g(self, repo: str) -> GitHubWriter:
        try:
            return self._github[repo.lower()]
        except KeyError:
            raise ConfigError(f"reconcile: no GitHub source is configured for {repo}") from None

    def transition_jira(self, site: str, key: str, to_status: str) -> None:
        self._j(site).transition(key, to_status)

    def comment_jira(self, site: str, key: str, text: str) -> None:
        self._j(site).add_comment(key, text)

    def release_jira_version(self, site: str, version_id: str) -> None:
        self._j(site).release_version(version_id)

    def close_github_issue(self, repo: str, number: int) -> None:
        self._g(repo).close_issue(repo, number)

    def comment_github(self, repo: str, number: int, body: str) -> None:
        self._g(repo).add_comment(repo, number, body)


def _execute(action: Action, executor: WriteBack) -> None:
    if action.kind is ActionKind.TRANSITION_JIRA:
        executor.transition_jira(action.instance, action.target, action.value)
    elif action.kind is ActionKind.COMMENT_JIRA:
        executor.comment_jira(action.instance, action.target, action.value)
    elif action.kind is ActionKind.RELEASE_JIRA_VERSION:
        executor.release_jira_version(action.instance, action.target)
    else:
        repo, number = action.target.rsplit("#", 1)
        if action.kind is ActionKind.CLOSE_GITHUB_ISSUE:
            executor.close_github_issue(repo, int(number))
        else:
            executor.comment_github(repo, int(number), action.value)


@dataclass(frozen=True)
class ActionResult:
    action: Action
    outcome: Outcome
    error: str | None = None


_STATE_CHANGES = {
    AUDIT_PREFIX + kind.value
    for kind in (ActionKind.TRANSITION_JIRA, ActionKind.CLOSE_GITHUB_ISSUE, ActionKind.RELEASE_JIRA_VERSION)
}


def history_of(store: Store, target_ids: Iterable[str]) -> History:
    """pmhub's applied write-back on these records, from the audit table (one indexed query per record)."""
    fingerprints: set[str] = set()
    changed_at: dict[str, datetime] = {}
    for target_id in sorted(set(target_ids)):
        for entry in store.audit.log(target_id=target_id, limit=_AUDIT_SCAN):
            if entry.action.startswith(AUDIT_PREFIX):
                fingerprints.add(str(entry.detail.get("fingerprint")))
            if entry.action in _STATE_CHANGES:
                changed_at[target_id] = max(entry.at, changed_at.get(target_id, entry.at))
    return History(frozenset(fingerprints), changed_at)


def apply_plan(
    actions: Sequence[Action],
    executor: WriteBack,
    store: Store,
    config: ReconcileConfig,
    *,
    dry_run: bool = True,
) -> list[ActionResult]:
    """Execute the enabled, not yet applied actions (or only say what would run, when ``dry_run``).

    A failed action is recorded as ``reconcile_failed`` and tried again next time; the others go on.
    """
    history = history_of(store, (a.target_id for a in actions))
    ran: set[str] = set()
    results: list[ActionResult] = []
    for action in actions:
        blocked = "already_applied" if action.fingerprint in ran else history.blocks(action)
        if blocked is not None:
            results.append(ActionResult(action, blocked))
        elif action.rule not in config.apply_rules:
            results.append(ActionResult(action, "disabled"))
        elif dry_run:
            results.append(ActionResult(action, "planned"))
        else:
            detail = {
                "rule": action.rule,
                "subject_id": action.subject_id,
                "target": action.target,
                "value": action.value,
                "fingerprint": action.fingerprint,
            }
            try:
                _execute(action, executor)
            except PmhubError as exc:
                store.audit.add(FAILED_ACTION, action.target_id, detail | {"error": str(exc)})
                results.append(ActionResult(action, "failed", str(exc)))
                continue
            store.audit.add(AUDIT_PREFIX + action.kind.value, action.target_id, detail)
            ran.add(action.fingerprint)
            results.append(ActionResult(action, "applied"))
    return results


@dataclass(frozen=True)
class Reconciliation:
    findings: list[Finding]
    plan: list[Action]

    @property
    def contradictions(self) -> list[Contradiction]:
        return contradictions(self.findings)


def reconcile_store(store: Store, config: ReconcileConfig, now: datetime) -> Reconciliation:
    """Find the contradictions in the store and plan the actions pmhub has not taken yet."""
    records = [r for kind in RECORD_KINDS for r in store.records.iter(kind=kind)]
    findings = find(records, config=config, now=now)
    targets = {a.target_id for f in findings for a in f.actions}
    return Reconciliation(findings, plan(findings, history_of(store, targets)))


__all__ = [
    "AUDIT_PREFIX",
    "COMMENT_MARKER",
    "FAILED_ACTION",
    "Action",
    "ActionKind",
    "ActionResult",
    "Finding",
    "GitHubWriter",
    "History",
    "JiraWriter",
    "ReconcileConfig",
    "Reconciliation",
    "Rule",
    "SourceWriteBack",
    "WriteBack",
    "apply_plan",
    "comment_text",
    "contradictions",
    "find",
    "history_of",
    "is_pmhub_comment",
    "plan",
    "reconcile_store",
    "release_key",
]
