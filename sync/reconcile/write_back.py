"""Reconciliation against the store and the tools: the audit history, the plan still to take, and its guarded
execution.

:func:`reconcile_store` reads the records, finds the contradictions (:mod:`sync.reconcile.rules`) and plans what
pmhub has not done yet (:func:`history_of`, from the store's audit table). :func:`apply_plan` executes that plan
through a :class:`WriteBack`: a dry run unless asked, only rules listed in ``ReconcileConfig.apply_rules``, every
change recorded in the audit table (action ``reconcile:<kind>``, ``reconcile_failed`` for a failure, which is tried
again next time) with the action's fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from schema import PmhubError, RecordKind
from schema.readiness import Contradiction
from sync.reconcile.rules import (
    Action,
    ActionKind,
    Finding,
    History,
    Outcome,
    ReconcileConfig,
    contradictions,
    find,
    plan,
)
from sync.store import Store

RECORD_KINDS: tuple[RecordKind, ...] = ("work_item", "pull_request", "release", "check", "link")
AUDIT_PREFIX = "reconcile:"
FAILED_ACTION = "reconcile_failed"
_AUDIT_SCAN = 500


class WriteBack(Protocol):
    """What :func:`apply_plan` needs from the tools; ``hub.sources.SourcesWriteBack`` wires it to the connectors."""

    def transition_jira(self, site: str, key: str, to_status: str) -> None: ...

    def comment_jira(self, site: str, key: str, text: str) -> None: ...

    def release_jira_version(self, site: str, version_id: str) -> None: ...

    def close_github_issue(self, repo: str, number: int) -> None: ...

    def comment_github(self, repo: str, number: int, body: str) -> None: ...


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
    "FAILED_ACTION",
    "ActionResult",
    "Reconciliation",
    "WriteBack",
    "apply_plan",
    "history_of",
    "reconcile_store",
]
