"""What a GitHub webhook delivery changes in the store: records to upsert and ids to mark deleted (pure).

The embedded objects go through the same mapping functions as polling, so a webhook and the next scheduled sync
always agree; the scheduled sync heals a lost delivery (GitHub does not redeliver). Events and payloads:
https://docs.github.com/en/webhooks/webhook-events-and-payloads
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import Mapped
from connectors.github.mapping import (
    IsPullRequestError,
    Raw,
    map_check_run,
    map_commit_status,
    map_issue,
    map_milestone,
    map_pull_request,
    map_release,
)
from schema import ids

EVENTS = frozenset({"issues", "pull_request", "milestone", "release", "check_run", "status"})


@dataclass(frozen=True)
class WebhookChange:
    upserts: list[Mapped] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def from_webhook(event: str, payload: Raw) -> WebhookChange:
    """The change one delivery (``X-GitHub-Event`` and its JSON body) carries; other events carry none.

    A payload that does not fit raises :class:`schema.BadDataError`, as polling would.
    """
    if event not in EVENTS:
        return WebhookChange()
    repo: str = payload["repository"]["full_name"]
    action = payload.get("action")
    if event == "issues":
        issue = payload["issue"]
        if action in ("deleted", "transferred"):
            return WebhookChange(deleted=[ids.github(repo, "issue", issue["number"])])
        try:
            return WebhookChange([Mapped(map_issue(repo, issue), issue)])
        except IsPullRequestError:
            return WebhookChange()  # the pull_request event of the same change carries it
    if event == "pull_request":
        pull = payload["pull_request"]
        return WebhookChange([Mapped(map_pull_request(repo, pull), pull)])
    if event == "milestone":
        milestone = payload["milestone"]
        if action == "deleted":
            return WebhookChange(deleted=[ids.github(repo, "milestone", milestone["number"])])
        return WebhookChange([Mapped(map_milestone(repo, milestone), milestone)])
    if event == "release":
        release = payload["release"]
        if action == "deleted":
            return WebhookChange(deleted=[ids.github(repo, "release", release["id"])])
        return WebhookChange([Mapped(map_release(repo, release), release)])
    if event == "check_run":
        run = payload["check_run"]
        ref = (run.get("check_suite") or {}).get("head_branch") or run["head_sha"]
        return WebhookChange([Mapped(map_check_run(repo, ref, run), run)])
    return _status(repo, payload)


def _status(repo: str, payload: Raw) -> WebhookChange:
    """A ``status`` event names the branches that contain the commit; those whose head it is get the result."""
    sha: str = payload["sha"]
    heads = [b["name"] for b in payload.get("branches") or () if (b.get("commit") or {}).get("sha") == sha]
    return WebhookChange([Mapped(map_commit_status(repo, ref, sha, payload), payload) for ref in heads or [sha]])
