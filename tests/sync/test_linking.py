"""Linking finds the same work across tools from evidence, and only from evidence."""

from __future__ import annotations

from datetime import UTC, date, datetime

from schema import (
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
    github_pr_status,
    ids,
)
from sync.linking import LinkRules, link_records

T = datetime(2026, 11, 1, tzinfo=UTC)
SITE = "acme.atlassian.net"


def jira_issue(key: str, native: int, *, remote: tuple[str, ...] = (), description: str = "") -> WorkItem:
    return WorkItem(
        id=ids.jira(SITE, "issue", native),
        source=SourceRef(tool=Tool.JIRA, instance=SITE, native_id=str(native), key=key),
        updated=T,
        type=WorkItemType.STORY,
        type_original="Story",
        title=f"story {key}",
        description=description,
        status=Status(category=StatusCategory.IN_PROGRESS, original="In Progress"),
        remote_urls=remote,
        created=T,
    )


def pull(number: int, title: str, head: str = "main-work", body: str = "", repo: str = "acme/checkout") -> PullRequest:
    return PullRequest(
        id=ids.github(repo, "pr", number),
        source=SourceRef(tool=Tool.GITHUB, instance=repo, native_id=str(number)),
        updated=T,
        number=number,
        title=title,
        body=body,
        state=PullRequestState.OPEN,
        status=github_pr_status("open", None),
        head_ref=head,
        base_ref="main",
        created=T,
    )


def release(kind: ReleaseKind, name: str, project: str, native: str) -> Release:
    tool = Tool.JIRA if kind is ReleaseKind.JIRA_VERSION else Tool.GITHUB
    instance = SITE if tool is Tool.JIRA else project
    return Release(
        id=f"{tool}:{instance}:{kind}:{native}",
        source=SourceRef(tool=tool, instance=instance, native_id=native),
        updated=T,
        release_kind=kind,
        name=name,
        project=project,
        released=False,
        release_date=date(2026, 12, 1),
    )


def test_key_in_title_branch_or_body_links_with_its_evidence() -> None:
    chk1, chk2, chk3 = jira_issue("CHK-1", 1), jira_issue("CHK-2", 2), jira_issue("CHK-3", 3)
    prs = [
        pull(1, "CHK-1: guest checkout"),
        pull(2, "Guest checkout", head="feature/chk-2-guest"),
        pull(3, "Guest checkout", body="Fixes CHK-3.\n\nTested."),
    ]
    links = {(lk.from_id, lk.to_id): lk for lk in link_records([chk1, chk2, chk3], prs, [])}
    assert set(links) == {(prs[0].id, chk1.id), (prs[1].id, chk2.id), (prs[2].id, chk3.id)}
    assert links[(prs[0].id, chk1.id)].evidence_field == "title"
    assert links[(prs[1].id, chk2.id)].evidence_field == "head_ref"
    assert links[(prs[1].id, chk2.id)].evidence_text == "feature/chk-2-guest"
    assert links[(prs[2].id, chk3.id)].evidence_field == "body"


def test_unknown_keys_and_lowercase_prose_link_nothing() -> None:
    chk1 = jira_issue("CHK-1", 1)
    prs = [pull(1, "Bump UTF-8 handling, see ABC-12"), pull(2, "mention chk-1 in lower case prose")]
    assert link_records([chk1], prs, []) == []


def test_github_url_in_remote_links_or_description_links_back() -> None:
    pr = pull(12, "Unrelated title")
    by_remote = jira_issue("CHK-1", 1, remote=("https://github.com/acme/checkout/pull/12",))
    by_text = jira_issue("CHK-2", 2, description="Work happens in https://github.com/Acme/Checkout/pull/12 now")
    links = link_records([by_remote, by_text], [pr], [])
    assert {(lk.to_id, lk.link_kind, lk.evidence_field) for lk in links} == {
        (by_remote.id, "remote_link", "remote_link"),
        (by_text.id, "remote_link", "description"),
    }


def test_the_same_evidence_twice_gives_one_link() -> None:
    chk1 = jira_issue("CHK-1", 1)
    pr = pull(1, "CHK-1: thing", head="feature/CHK-1-thing", body="CHK-1 CHK-1")
    links = link_records([chk1], [pr], [])
    assert len(links) == 1
    assert links[0].evidence_field == "title"


def test_milestones_match_versions_by_name_within_a_product() -> None:
    chk_version = release(ReleaseKind.JIRA_VERSION, "2.4.0", "CHK", "100")
    mob_version = release(ReleaseKind.JIRA_VERSION, "2.4.0", "MOB", "200")
    chk_milestone = release(ReleaseKind.GITHUB_MILESTONE, "v2.4.0", "acme/checkout", "3")
    mob_milestone = release(ReleaseKind.GITHUB_MILESTONE, "2.4.0", "acme/mobile-app", "3")
    rules = LinkRules(products=(("CHK", "acme/checkout"), ("MOB", "acme/mobile-app")))
    links = link_records([], [], [chk_version, mob_version, chk_milestone, mob_milestone], rules)
    assert {(lk.from_id, lk.to_id) for lk in links} == {
        (chk_version.id, chk_milestone.id),
        (mob_version.id, mob_milestone.id),
    }
    unscoped = link_records([], [], [chk_version, mob_version, chk_milestone, mob_milestone])
    assert len(unscoped) == 4


def test_link_ids_are_stable_across_runs() -> None:
    chk1 = jira_issue("CHK-1", 1)
    pr = pull(1, "CHK-1: thing")
    assert link_records([chk1], [pr], []) == link_records([chk1], [pr], [])
