"""Reconciliation rules: each rule with evidence on both sides, the seeded world's contradictions, and what a plan
leaves out."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.base import COMMENT_MARKER, is_pmhub_comment
from schema import AnyRecord, CheckState, PullRequestState, Record, WorkItemType
from sync.reconcile.rules import (
    ActionKind,
    History,
    ReconcileConfig,
    contradictions,
    find,
    plan,
)
from tests.sync.builders import (
    MILESTONE_ID,
    NOW,
    REPO,
    VERSION_ID,
    check,
    github_issue,
    github_release,
    jira_item,
    link,
    milestone,
    pull,
    version,
)
from tests.sync.world_records import NOW as WORLD_NOW
from tests.sync.world_records import seeded_world, world_records

CONFIG = ReconcileConfig()
TWINS = [version(), milestone(), link(VERSION_ID, MILESTONE_ID, "same_release")]


def rules_found(records: list[Record], config: ReconcileConfig = CONFIG) -> list[tuple[str, str]]:
    return [(c.rule, c.subject_label) for c in contradictions(find(records, config=config, now=NOW))]


# ------------------------------------------------------------------------------------------------------- rules


def test_jira_done_with_an_open_pr_plans_a_comment_and_a_move_back() -> None:
    item = jira_item(1, "Done", assignee="ada")
    pr = pull(7, PullRequestState.OPEN)
    findings = find([item, pr, link(pr.id, item.id)], config=CONFIG, now=NOW)
    [finding] = findings
    c = finding.contradiction
    assert (c.rule, c.subject_label) == ("done_but_pr_open", "SHOP-1")
    assert c.summary == "SHOP-1 is Done in Jira but acme/shop#7 (open) is not merged"
    assert [e.url for e in c.evidence] == [
        "https://acme.atlassian.net/browse/SHOP-1",
        "https://github.com/acme/shop/pull/7",
    ]
    assert c.fix == "Merge acme/shop#7 (open), or move SHOP-1 back to 'In Progress'."
    assert [(a.kind, a.target, a.value) for a in finding.actions][1] == (
        ActionKind.TRANSITION_JIRA,
        "SHOP-1",
        "In Progress",
    )
    assert finding.actions[0].kind is ActionKind.COMMENT_JIRA
    assert is_pmhub_comment(finding.actions[0].value)


def test_an_abandoned_pr_beside_a_merged_one_is_no_contradiction_but_only_abandoned_ones_are() -> None:
    item = jira_item(1, "Done")
    merged, abandoned = pull(7), pull(8, PullRequestState.CLOSED)
    assert rules_found([item, merged, abandoned, link(merged.id, item.id), link(abandoned.id, item.id)]) == []
    assert rules_found([item, abandoned, link(abandoned.id, item.id)]) == [("done_but_pr_open", "SHOP-1")]


def test_github_closed_while_jira_twin_open_and_the_reverse() -> None:
    open_item, done_item = jira_item(1, "In Progress"), jira_item(2, "Done")
    closed, still_open = github_issue(5, closed=True), github_issue(6, closed=False)
    records: list[AnyRecord] = [
        open_item,
        done_item,
        closed,
        still_open,
        link(closed.id, open_item.id),
        link(still_open.id, done_item.id),
    ]
    findings = find(records, config=CONFIG, now=NOW)
    assert [(f.contradiction.rule, f.contradiction.subject_label) for f in findings] == [
        ("github_closed_jira_open", "SHOP-1"),
        ("jira_done_github_open", "SHOP-2"),
    ]
    assert [(a.kind, a.target, a.value) for a in findings[0].actions if a.kind is ActionKind.TRANSITION_JIRA] == [
        (ActionKind.TRANSITION_JIRA, "SHOP-1", "Done")
    ]
    assert [(a.kind, a.target) for a in findings[1].actions] == [
        (ActionKind.COMMENT_GITHUB, "acme/shop#6"),
        (ActionKind.CLOSE_GITHUB_ISSUE, "acme/shop#6"),
    ]


def test_statuses_to_move_to_are_configured_per_project() -> None:
    config = ReconcileConfig(reopen_status={"*": "In Progress", "SHOP": "Doing"}, comment=False)
    item, pr = jira_item(1, "Done"), pull(7, PullRequestState.OPEN)
    [finding] = find([item, pr, link(pr.id, item.id)], config=config, now=NOW)
    assert [(a.kind, a.value) for a in finding.actions] == [(ActionKind.TRANSITION_JIRA, "Doing")]
    with pytest.raises(ValueError, match="needs a '\\*' entry"):
        ReconcileConfig(done_status={"SHOP": "Shipped"})


def test_epic_done_with_open_children_lists_them() -> None:
    epic = jira_item(1, "Done", type=WorkItemType.EPIC, release_ids=())
    children = [jira_item(2, "Done", epic=1), jira_item(3, "In Progress", epic=1), jira_item(4, "Won't Do", epic=1)]
    [finding] = find([epic, *children], config=CONFIG, now=NOW)
    assert finding.contradiction.summary == "Epic SHOP-1 is Done but 1 of its issues are open"
    assert [e.label for e in finding.contradiction.evidence] == ["SHOP-1", "SHOP-3"]
    assert rules_found([epic, children[0], children[2]]) == []


def test_released_version_without_a_github_release_only_where_the_repo_publishes_releases() -> None:
    released = version("2.3.0", released=True, release=date(2026, 11, 1))
    twins = [released, milestone("2.3.0", released=True), link(released.id, MILESTONE_ID, "same_release")]
    assert rules_found(twins) == []
    other = github_release("v2.2.0")
    assert rules_found([*twins, other]) == [("released_without_github_release", "SHOP 2.3.0")]
    assert rules_found([*twins, other, github_release("v2.3.0")]) == []


def test_published_github_release_of_an_unreleased_version_plans_marking_it_released() -> None:
    findings = find([*TWINS, github_release("v2.4.0")], config=CONFIG, now=NOW)
    [finding] = findings
    assert finding.contradiction.rule == "github_release_without_jira_release"
    assert [(a.kind, a.target) for a in finding.actions] == [(ActionKind.RELEASE_JIRA_VERSION, "500")]
    assert rules_found([*TWINS, github_release("v2.4.0", draft=True)]) == []


def test_past_due_version_and_red_release_ci_are_advice_without_write_back() -> None:
    late = version(release=date(2026, 11, 10))
    records: list[AnyRecord] = [
        late,
        milestone(),
        link(late.id, MILESTONE_ID, "same_release"),
        check("e2e", CheckState.FAILURE),
        check("build"),
    ]
    findings = find(records, config=CONFIG, now=NOW)
    assert [(f.contradiction.rule, f.contradiction.subject_label, f.actions) for f in findings] == [
        ("past_due_version", "SHOP 2.4.0", ()),
        ("release_ci_red", f"{REPO}@release/2.4.0", ()),
    ]
    assert findings[1].contradiction.evidence[0].label == "e2e on release/2.4.0"


def test_an_untwinned_milestone_past_its_due_date_is_past_due() -> None:
    assert rules_found([milestone(due=date(2026, 11, 1))]) == [("past_due_version", "acme/shop 2.4.0")]


def test_the_seeded_world_has_exactly_its_seeded_contradictions() -> None:
    world = seeded_world()
    found = find(world_records(world), config=CONFIG, now=WORLD_NOW)
    assert sorted((f.contradiction.rule, f.contradiction.subject_label) for f in found) == sorted(
        (c.rule, c.subject) for c in world.contradictions
    )
    for finding in found:
        assert finding.contradiction.evidence
        assert finding.contradiction.fix


def test_plan_leaves_out_fingerprints_already_applied() -> None:
    item, pr = jira_item(1, "Done"), pull(7, PullRequestState.OPEN)
    findings = find([item, pr, link(pr.id, item.id)], config=CONFIG, now=NOW)
    actions = plan(findings)
    assert plan(findings, History(fingerprints=frozenset({actions[0].fingerprint}))) == actions[1:]


def test_closing_on_github_with_a_pr_still_open_only_advises_and_comments() -> None:
    item, closed, pr = jira_item(1, "In Progress"), github_issue(5, closed=True), pull(7, PullRequestState.OPEN)
    [finding] = find([item, closed, pr, link(closed.id, item.id), link(pr.id, item.id)], config=CONFIG, now=NOW)
    assert finding.contradiction.summary.endswith("and acme/shop#7 is still open")
    assert finding.contradiction.fix == "Merge acme/shop#7 and move SHOP-1 to 'Done', or reopen acme/shop#5."
    assert [a.kind for a in finding.actions] == [ActionKind.COMMENT_JIRA]


def test_the_webhook_path_recognises_pmhub_comments() -> None:
    assert is_pmhub_comment(f"SHOP-1 is Done.\n\n(pmhub reconciliation, rule x) [{COMMENT_MARKER}]")
    assert not is_pmhub_comment("Looks done to me")
