"""Roadmap reconciliation: where Jira and GitHub disagree about the same work, and the guarded write-back that fixes it.

Two halves: :mod:`sync.reconcile.rules` (pure: the rules, their findings and actions, the plan given pmhub's history)
and :mod:`sync.reconcile.write_back` (the store and the tools: audit history, executing the plan, recording it).
"""

from sync.reconcile.rules import (
    COMMENT_MARKER,
    Action,
    ActionKind,
    Finding,
    History,
    Outcome,
    ReconcileConfig,
    Rule,
    comment_text,
    contradictions,
    find,
    is_pmhub_comment,
    plan,
)
from sync.reconcile.write_back import (
    AUDIT_PREFIX,
    FAILED_ACTION,
    ActionResult,
    GitHubWriter,
    JiraWriter,
    Reconciliation,
    SourceWriteBack,
    WriteBack,
    apply_plan,
    history_of,
    reconcile_store,
)

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
    "Outcome",
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
]
