"""Roadmap reconciliation: where Jira and GitHub disagree about the same work, and the guarded write-back that fixes it.

Two halves: :mod:`sync.reconcile.rules` (pure: the rules, their findings and actions, the plan given pmhub's history)
and :mod:`sync.reconcile.write_back` (the store and the tools: audit history, executing the plan, recording it).
"""
