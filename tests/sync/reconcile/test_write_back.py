"""Reconciliation write-back: guarded, audited and loop-free, against the store and, over HTTP, the sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import COMMENT_MARKER
from hub.sources import Sources, SourcesWriteBack, build_source
from sandbox.runner import Sandbox
from schema import ConfigError, PullRequestState
from sync.engine import relink, sync_source
from sync.reconcile.rules import Action, ActionKind, ReconcileConfig, plan
from sync.reconcile.write_back import (
    FAILED_ACTION,
    apply_plan,
    reconcile_store,
)
from sync.store import Store
from tests.conftest import Synced, sync_into
from tests.sync.builders import NOW, github_issue, jira_item, link, pull, put

CONFIG = ReconcileConfig()


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


# ------------------------------------------------------------------------------------- the synced sandbox (HTTP)


def test_reconciliation_of_the_synced_sandbox_finds_exactly_the_seeded_contradictions(synced: Synced) -> None:
    found = reconcile_store(synced.store, CONFIG, datetime.now(UTC))
    assert sorted((c.rule, c.subject_label) for c in found.contradictions) == sorted(
        (c.rule, c.subject) for c in synced.sandbox.world.contradictions
    )
    assert {a.rule for a in found.plan} == {"done_but_pr_open", "github_closed_jira_open", "epic_done_children_open"}


def _write_back(synced: Synced) -> SourcesWriteBack:
    return SourcesWriteBack(Sources(synced.settings))


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
