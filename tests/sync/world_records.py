"""The sandbox's seeded world as unified records, built directly from :mod:`sandbox.world` (no HTTP).

Statuses go through the schema's real status rules and links through the real linker, so reconciliation and
readiness see what a sync of the sandbox would store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.world import Repo, World, build_world
from schema import (
    AnyRecord,
    Check,
    CheckKind,
    CheckState,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    StatusRules,
    Tool,
    WorkItem,
    WorkItemType,
    github_issue_status,
    github_pr_status,
    ids,
    jira_status,
)
from sync.linking import LinkRules, link_records

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
_TYPES = {
    "Epic": WorkItemType.EPIC,
    "Story": WorkItemType.STORY,
    "Task": WorkItemType.TASK,
    "Bug": WorkItemType.BUG,
    "Sub-task": WorkItemType.SUBTASK,
}
_CONCLUSIONS = {"success": CheckState.SUCCESS, "failure": CheckState.FAILURE}


def seeded_world(now: datetime = NOW) -> World:
    return build_world(seed=7, now=now)


def _jira(world: World) -> list[AnyRecord]:
    site = world.site
    id_of = {key: ids.jira(site, "issue", issue.id) for key, issue in world.jira_issues.items()}
    records: list[AnyRecord] = []
    for key, issue in world.jira_issues.items():
        project = world.jira_projects[issue.project]
        status = project.status(issue.status)
        records.append(
            WorkItem(
                id=id_of[key],
                source=SourceRef(
                    tool=Tool.JIRA, instance=site, native_id=str(issue.id), key=key, url=f"https://{site}/browse/{key}"
                ),
                updated=issue.updated,
                type=_TYPES[issue.type],
                type_original=issue.type,
                title=issue.summary,
                description=issue.description,
                status=jira_status(issue.project, status.name, status.category, StatusRules(), issue.resolution),
                parent_id=id_of.get(issue.parent_key or ""),
                epic_id=id_of.get(issue.epic_key or ""),
                assignee=issue.assignee,
                priority=issue.priority,
                story_points=issue.story_points,
                release_ids=tuple(ids.jira(site, "version", v) for v in issue.fix_versions),
                remote_urls=tuple(issue.remote_links),
                created=issue.created,
                resolved=issue.resolved,
            )
        )
    for version in world.versions.values():
        records.append(
            Release(
                id=ids.jira(site, "version", version.id),
                source=SourceRef(tool=Tool.JIRA, instance=site, native_id=str(version.id)),
                updated=world.now,
                release_kind=ReleaseKind.JIRA_VERSION,
                name=version.name,
                project=version.project,
                released=version.released,
                archived=version.archived,
                start_date=version.start_date,
                release_date=version.release_date,
            )
        )
    return records


def _source(repo: Repo, native: int | str, path: str) -> SourceRef:
    return SourceRef(
        tool=Tool.GITHUB,
        instance=repo.full_name,
        native_id=str(native),
        key=f"{repo.full_name}#{native}",
        url=f"https://github.com/{repo.full_name}/{path}",
    )


def _github(repo: Repo) -> list[AnyRecord]:
    name = repo.full_name
    milestone = {n: ids.github(name, "milestone", n) for n in repo.milestones}
    records: list[AnyRecord] = []
    for issue in repo.issues.values():
        records.append(
            WorkItem(
                id=ids.github(name, "issue", issue.number),
                source=_source(repo, issue.number, f"issues/{issue.number}"),
                updated=issue.updated,
                type=WorkItemType.ISSUE,
                type_original="issue",
                title=issue.title,
                description=issue.body,
                status=github_issue_status(issue.state, issue.state_reason),
                assignee=issue.assignee,
                labels=tuple(issue.labels),
                release_ids=(milestone[issue.milestone],) if issue.milestone else (),
                created=issue.created,
                resolved=issue.closed_at,
            )
        )
    for pr in repo.pulls.values():
        state = PullRequestState.MERGED if pr.merged_at else PullRequestState(pr.state)
        records.append(
            PullRequest(
                id=ids.github(name, "pr", pr.number),
                source=_source(repo, pr.number, f"pull/{pr.number}"),
                updated=pr.updated,
                number=pr.number,
                title=pr.title,
                body=pr.body,
                state=state,
                status=github_pr_status(pr.state, pr.merged_at, pr.draft),
                draft=pr.draft,
                author=pr.user,
                head_ref=pr.head_ref,
                head_sha=pr.head_sha,
                base_ref=pr.base_ref,
                release_ids=(milestone[pr.milestone],) if pr.milestone else (),
                created=pr.created,
                closed_at=pr.closed_at,
                merged_at=pr.merged_at,
            )
        )
    for ms in repo.milestones.values():
        records.append(
            Release(
                id=milestone[ms.number],
                source=_source(repo, ms.number, f"milestone/{ms.number}"),
                updated=ms.updated,
                release_kind=ReleaseKind.GITHUB_MILESTONE,
                name=ms.title,
                project=name,
                released=ms.state == "closed",
                release_date=ms.due_on.date() if ms.due_on else None,
            )
        )
    for rel in repo.releases:
        records.append(
            Release(
                id=ids.github(name, "release", rel.id),
                source=_source(repo, rel.id, f"releases/tag/{rel.tag_name}"),
                updated=rel.published_at or rel.created,
                release_kind=ReleaseKind.GITHUB_RELEASE,
                name=rel.name,
                project=name,
                description=rel.body,
                released=not rel.draft and rel.published_at is not None,
                draft=rel.draft,
                tag_name=rel.tag_name,
            )
        )
    ref_of = {sha: ref for ref, sha in repo.branches.items()}
    for run in repo.check_runs:
        ref = ref_of[run.sha]
        records.append(
            Check(
                id=ids.github(name, "check", f"{ref}:run:{run.name}"),
                source=_source(repo, run.id, f"runs/{run.id}"),
                updated=run.completed_at or run.started_at,
                check_kind=CheckKind.CHECK_RUN,
                name=run.name,
                ref=ref,
                sha=run.sha,
                state=_CONCLUSIONS[run.conclusion or "success"],
                conclusion_original=run.conclusion or run.status,
                completed_at=run.completed_at,
            )
        )
    return records


def world_records(world: World) -> list[AnyRecord]:
    """Every record of the world plus the links the linker finds between them."""
    records = _jira(world)
    for repo in world.repos.values():
        records.extend(_github(repo))
    jira_items = [r for r in records if isinstance(r, WorkItem) and r.source.tool is Tool.JIRA]
    github = [r for r in records if isinstance(r, WorkItem | PullRequest) and r.source.tool is Tool.GITHUB]
    releases = [r for r in records if isinstance(r, Release)]
    pairs = tuple((p.jira_project, p.repo) for p in world.products)
    return [*records, *link_records(jira_items, github, releases, LinkRules(products=pairs))]
