"""Reconciliation: each rule with evidence on both sides, the seeded world's contradictions, and the guarded,
audited, loop-free write-back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectors.github.config import GitHubSourceConfig
from connectors.github.source import GitHubSource
from connectors.jira.config import JiraSourceConfig
from connectors.jira.source import JiraSource
from hub.sources import build_source
from sandbox.runner import Sandbox
from schema import AnyRecord, CheckState, ConfigError, PullRequestState, Record, WorkItemType
from sync.engine import relink, sync_source
from sync.reconcile import (
    COMMENT_MARKER,
    FAILED_ACTION,
    Action,
    ActionKind,
    GitHubWriter,
    History,
    JiraWriter,
    ReconcileConfig,
    SourceWriteBack,
    apply_plan,
    contradictions,
    find,
    is_pmhub_comment,
    plan,
    reconcile_store,
)
from sync.store import Store
from tests.conftest import Synced, sync_into
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
    put,
    version,
)
from tests.sync.world_records import NOW as WORLD_NOW
from tests.sync.world_records import seeded_world, world_records

CONFIG = ReconcileConfig()
TWINS = [version(), milestone(), link(VERSION_ID, MILESTONE_ID, "same_release")]


def rules_found(records: list[Record], config: ReconcileConfig = CONFIG) -> list[tuple[str, str]]:
    return [(c.rule, c.subject_label) for c in contradictions(find(records, config=config, now=NOW))]


@dataclass
class RecordingWriteBack:
    """A WriteBack that records the calls it gets, and fails the ones it is told to."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)

    def _call(self, *call: str) -> None:
        if call[0] in self.fail:
            raise ConfigError(f"{call[0]} refused")
        self.calls.append(call)

    def transition_jira(self, site: str, key: str, to_status: str) -> None:
        self._call("transition_jira", site, key, to_status)

    def comment_jira(self, site: str, key: str, text: str) -> None:
        self._call("comment_jira", site, key, text)

    def release_jira_version(self, site: str, version_id: str) -> None:
        self._call("release_jira_version", site, version_id)

    def close_github_issue(self, repo: str, number: int) -> None:
        self._call("close_github_issue", repo, str(number))

    def comment_github(self, repo: str, number: int, body: str) -> None:
        self._call("comment_github", repo, str(number), body)


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


# --------------------------------------------------------------------------------------------------- write-back


def _done_with_open_pr(store: Store) -> list[Action]:
    item, pr = jira_item(1, "Done"), pull(7, PullRequestState.OPEN)
    put(store, [item, pr, link(pr.id, item.id)])
    return reconcile_store(store, CONFIG, NOW).plan


def test_apply_is_a_dry_run_by_default_and_only_enabled_rules_run(store: Store) -> None:
    actions = _done_with_open_pr(store)
    executor = RecordingWriteBack()
    results = apply_plan(actions, executor, store, CONFIG, dry_run=False)
    assert [r.outcome for r in results] == ["disabled", "disabled"]
    enabled = ReconcileConfig(apply_rules=["done_but_pr_open"])
    assert [r.outcome for r in apply_plan(actions, executor, store, enabled)] == ["planned", "planned"]
    assert executor.calls == []
    assert store.audit.log() == []


def test_apply_executes_records_every_change_and_a_second_apply_does_nothing(store: Store) -> None:
    config = ReconcileConfig(apply_rules=["done_but_pr_open"])
    actions = _done_with_open_pr(store)
    executor = RecordingWriteBack()
    results = apply_plan(actions, executor, store, config, dry_run=False)
    assert [r.outcome for r in results] == ["applied", "applied"]
    assert [c[0] for c in executor.calls] == ["comment_jira", "transition_jira"]
    assert executor.calls[1] == ("transition_jira", "acme.atlassian.net", "SHOP-1", "In Progress")
    assert COMMENT_MARKER in executor.calls[0][3]
    audit = store.audit.log()
    assert sorted(e.action for e in audit) == ["reconcile:comment_jira", "reconcile:transition_jira"]
    assert {e.detail["rule"] for e in audit} == {"done_but_pr_open"}

    # the change has not come back through a sync yet: still a contradiction, but nothing more to do
    again = reconcile_store(store, config, NOW)
    assert [c.rule for c in again.contradictions] == ["done_but_pr_open"]
    assert again.plan == []
    assert [r.outcome for r in apply_plan(actions, executor, store, config, dry_run=False)] == [
        "already_applied",
        "already_applied",
    ]
    assert len(executor.calls) == 2

    # the sync brings pmhub's own change back: resolved, and nothing is planned in return
    put(store, [jira_item(1, "In Progress").model_copy(update={"updated": NOW})])
    after = reconcile_store(store, config, NOW)
    assert after.contradictions == []
    assert after.plan == []


def test_a_failed_action_is_audited_and_tried_again_next_time(store: Store) -> None:
    config = ReconcileConfig(apply_rules=["done_but_pr_open"])
    actions = _done_with_open_pr(store)
    refusing = RecordingWriteBack(fail={"transition_jira"})
    results = apply_plan(actions, refusing, store, config, dry_run=False)
    assert [(r.outcome, r.error) for r in results] == [("applied", None), ("failed", "transition_jira refused")]
    assert next(e.action for e in store.audit.log()) == FAILED_ACTION
    retry = reconcile_store(store, config, NOW).plan
    assert [a.kind for a in retry] == [ActionKind.TRANSITION_JIRA]
    assert [r.outcome for r in apply_plan(retry, RecordingWriteBack(), store, config, dry_run=False)] == ["applied"]


def test_plan_leaves_out_fingerprints_already_applied() -> None:
    item, pr = jira_item(1, "Done"), pull(7, PullRequestState.OPEN)
    findings = find([item, pr, link(pr.id, item.id)], config=CONFIG, now=NOW)
    actions = plan(findings)
    assert plan(findings, History(fingerprints=frozenset({actions[0].fingerprint}))) == actions[1:]


def test_a_contradiction_caused_by_pmhubs_own_change_is_reported_but_never_fixed_back(store: Store) -> None:
    config = ReconcileConfig(apply_rules=["github_closed_jira_open", "done_but_pr_open"], comment=False)
    item, closed, abandoned = (
        jira_item(1, "In Progress"),
        github_issue(5, closed=True),
        pull(7, PullRequestState.CLOSED),
    )
    put(store, [item, closed, abandoned, link(closed.id, item.id), link(abandoned.id, item.id)])
    first = reconcile_store(store, config, NOW)
    assert [(a.rule, a.value) for a in first.plan] == [("github_closed_jira_open", "Done")]
    assert [r.outcome for r in apply_plan(first.plan, RecordingWriteBack(), store, config, dry_run=False)] == [
        "applied"
    ]

    # the sync brings pmhub's transition back; with only an abandoned PR, Jira Done now contradicts GitHub
    [entry] = store.audit.log(target_id=item.id)
    done = jira_item(1, "Done", resolved=entry.at - timedelta(seconds=1))
    put(store, [done])
    second = reconcile_store(store, config, NOW)
    assert [c.rule for c in second.contradictions] == ["done_but_pr_open"]
    assert second.plan == []
    assert [r.outcome for r in apply_plan(plan(second.findings), RecordingWriteBack(), store, config)] == ["own_change"]

    # a person touches the issue afterwards: pmhub may act on it again
    put(store, [done.model_copy(update={"updated": entry.at + timedelta(minutes=5)})])
    assert [a.rule for a in reconcile_store(store, config, NOW).plan] == ["done_but_pr_open"]


def test_closing_on_github_with_a_pr_still_open_only_advises_and_comments() -> None:
    item, closed, pr = jira_item(1, "In Progress"), github_issue(5, closed=True), pull(7, PullRequestState.OPEN)
    [finding] = find([item, closed, pr, link(closed.id, item.id), link(pr.id, item.id)], config=CONFIG, now=NOW)
    assert finding.contradiction.summary.endswith("and acme/shop#7 is still open")
    assert finding.contradiction.fix == "Merge acme/shop#7 and move SHOP-1 to 'Done', or reopen acme/shop#5."
    assert [a.kind for a in finding.actions] == [ActionKind.COMMENT_JIRA]


@dataclass
class _Jira:
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def transition(self, key: str, to_status_name: str) -> str:
        self.calls.append(("transition", key, to_status_name))
        return "31"

    def add_comment(self, key: str, text: str) -> str:
        self.calls.append(("comment", key))
        return "1"

    def release_version(self, version_id: str) -> None:
        self.calls.append(("release", version_id))


def test_source_write_back_routes_by_site_and_names_a_missing_source() -> None:
    jira = _Jira()
    writer = SourceWriteBack(jira={"ACME.atlassian.net": jira}, github={})
    writer.transition_jira("acme.atlassian.net", "SHOP-1", "Done")
    writer.release_jira_version("acme.atlassian.net", "500")
    assert jira.calls == [("transition", "SHOP-1", "Done"), ("release", "500")]
    with pytest.raises(ConfigError, match="no GitHub source is configured for acme/shop"):
        writer.close_github_issue("acme/shop", 6)


def test_the_webhook_path_recognises_pmhub_comments() -> None:
    assert is_pmhub_comment(f"SHOP-1 is Done.\n\n(pmhub reconciliation, rule x) [{COMMENT_MARKER}]")
    assert not is_pmhub_comment("Looks done to me")


# ------------------------------------------------------------------------------------- the synced sandbox (HTTP)


def test_reconciliation_of_the_synced_sandbox_finds_exactly_the_seeded_contradictions(synced: Synced) -> None:
    found = reconcile_store(synced.store, CONFIG, datetime.now(UTC))
    assert sorted((c.rule, c.subject_label) for c in found.contradictions) == sorted(
        (c.rule, c.subject) for c in synced.sandbox.world.contradictions
    )
    assert {a.rule for a in found.plan} == {"done_but_pr_open", "github_closed_jira_open", "epic_done_children_open"}


def _write_back(synced: Synced) -> SourceWriteBack:
    jira: dict[str, JiraWriter] = {}
    github: dict[str, GitHubWriter] = {}
    for name, config in synced.settings.sources.items():
        source = build_source(name, synced.settings)
        if isinstance(config, JiraSourceConfig) and isinstance(source, JiraSource):
            jira[config.site_name] = source
        elif isinstance(config, GitHubSourceConfig) and isinstance(source, GitHubSource):
            github.update((repo, source) for repo in config.repos)
    return SourceWriteBack(jira=jira, github=github)


def _resync(synced: Synced) -> None:
    for name in ("jira", "github"):
        assert sync_source(synced.store, build_source(name, synced.settings)).ok
    relink(synced.store, synced.settings.link_rules())


def test_apply_changes_the_sandbox_through_its_apis_and_a_second_apply_does_nothing(
    fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = sync_into(fresh_sandbox, tmp_path, monkeypatch)
    config = ReconcileConfig(
        apply_rules=["done_but_pr_open", "github_closed_jira_open", "epic_done_children_open"],
        reopen_status={"*": "In Progress", "MOB": "Doing"},
        done_status={"*": "Done", "MOB": "Shipped"},
    )
    writer = _write_back(synced)
    before = reconcile_store(synced.store, config, datetime.now(UTC))
    results = apply_plan(before.plan, writer, synced.store, config, dry_run=False)
    assert [r.error for r in results if r.outcome != "applied"] == []
    assert {r.action.rule for r in results} == set(config.apply_rules)

    world = fresh_sandbox.world
    commented = {a.target for a in before.plan if a.kind is ActionKind.COMMENT_JIRA}
    assert all(any(COMMENT_MARKER in text for _, _, text in world.jira_issues[key].comments) for key in commented)

    _resync(synced)
    after = reconcile_store(synced.store, config, datetime.now(UTC))
    moved = {(f.contradiction.rule, f.contradiction.subject_id) for f in before.findings if len(f.actions) == 2}
    remaining = {(c.rule, c.subject_id) for c in after.contradictions}
    assert moved
    assert not moved & remaining
    assert {rule for rule, _ in remaining} <= {
        "github_closed_jira_open",  # advice only while its PR is open
        "past_due_version",
        "release_ci_red",
        "released_without_github_release",
    }
    assert after.plan == []
    audited = len(synced.store.audit.log(limit=1000))
    again = apply_plan(plan(after.findings), writer, synced.store, config, dry_run=False)
    assert {r.outcome for r in again} <= {"already_applied", "own_change", "disabled"}
    assert len(synced.store.audit.log(limit=1000)) == audited
