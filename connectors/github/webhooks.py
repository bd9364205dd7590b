"""GitHub webhook deliveries: the events pmhub subscribes to, and what one delivery changes (pure).

:data:`EVENTS` is the one list: registration subscribes a repository's hook to exactly these, and the receiver
keeps any other event as ignored (``ping``, which GitHub sends to a new hook by itself, is handled without a
subscription). :func:`change` turns one delivery into a :class:`~connectors.base.Change` for the source that
covers its repository (:func:`repository` names it): the embedded objects go through the polling mapping, so a
webhook and the next scheduled sync always agree, and the sync heals a lost delivery (GitHub does not redeliver).

- ``issues``, ``pull_request``, ``milestone``, ``release``, ``check_run``, ``status``: the embedded object
  (``issues`` deleted/transferred, ``milestone`` and ``release`` deleted: marked deleted); ``issue_comment``: its
  (full) issue. ``push``, ``check_suite`` and ``workflow_run`` carry no record of their own (the check runs and
  statuses of a suite arrive as their own events; the scheduled sync reads the rest): they change nothing.
- pmhub's own writes: a comment carrying :data:`~connectors.base.COMMENT_MARKER` is ignored; any other delivery
  whose ``sender`` is the account of the source's token (its closes, its unmarked comments) is applied as pmhub's
  own change.
- A payload that lacks what its event needs raises :class:`schema.BadDataError` naming the field.

Events and payloads: https://docs.github.com/en/webhooks/webhook-events-and-payloads
"""

from __future__ import annotations

from connectors import shape
from connectors.base import Change, Mapped, is_pmhub_comment
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
from connectors.github.source import CHECKS, ISSUES, MILESTONES, PULL_REQUESTS, RELEASES
from schema import ids

PING = "ping"
EVENTS = (
    "check_run",
    "check_suite",
    "issue_comment",
    "issues",
    "milestone",
    "pull_request",
    "push",
    "release",
    "status",
    "workflow_run",
)
_WITHOUT_RECORDS = frozenset({PING, "push", "check_suite", "workflow_run"})


def handles(event: str) -> bool:
    return event == PING or event in EVENTS


def repository(event: str, payload: Raw) -> str | None:
    """The ``owner/name`` a delivery changes records of; ``None`` for an event that carries none."""
    if event in _WITHOUT_RECORDS or not handles(event):
        return None
    return shape.text(shape.obj(payload, "repository"), "full_name", "repository")


def change(event: str, payload: Raw, me: str | None) -> Change:
    """What one delivery (``X-GitHub-Event`` and its JSON body) changes; ``me`` is the login of the token of the
    source that covers the repository (``None`` when unknown: then nothing is recognised as pmhub's own)."""
    repo = repository(event, payload)
    if repo is None:
        return Change()
    if event == "issue_comment" and is_pmhub_comment(shape.obj(payload, "comment").get("body")):
        return Change(ignored="pmhub's own comment (it carries the pmhub marker)")
    upserts, deleted = _records(event, repo, payload)
    sender = shape.optional(shape.obj, payload, "sender")
    login = sender.get("login") if sender is not None else None
    own = None
    if me is not None and isinstance(login, str) and login.casefold() == me.casefold():
        own = f"sent by {login}, the account of the token of the source that covers {repo}: pmhub's own change"
    return Change(upserts, deleted, own=own, attributed=sender is not None)


def _records(event: str, repo: str, payload: Raw) -> tuple[dict[str, list[Mapped]], list[str]]:
    """(records per stream, ids to mark deleted) of a record-carrying event."""
    action = payload.get("action")
    if event in ("issues", "issue_comment"):
        issue = shape.obj(payload, "issue")
        if event == "issues" and action in ("deleted", "transferred"):
            return {}, [ids.github(repo, "issue", shape.number(issue, "number", "issue"))]
        try:
            return {ISSUES: [Mapped(map_issue(repo, issue), issue)]}, []
        except IsPullRequestError:
            return {}, []  # a pull request's conversation: the pull_request events carry the PR itself
    if event == "pull_request":
        pull = shape.obj(payload, "pull_request")
        return {PULL_REQUESTS: [Mapped(map_pull_request(repo, pull), pull)]}, []
    if event == "milestone":
        milestone = shape.obj(payload, "milestone")
        if action == "deleted":
            return {}, [ids.github(repo, "milestone", shape.number(milestone, "number", "milestone"))]
        return {MILESTONES: [Mapped(map_milestone(repo, milestone), milestone)]}, []
    if event == "release":
        release = shape.obj(payload, "release")
        if action == "deleted":
            return {}, [ids.github(repo, "release", shape.number(release, "id", "release"))]
        return {RELEASES: [Mapped(map_release(repo, release), release)]}, []
    if event == "check_run":
        run = shape.obj(payload, "check_run")
        suite = shape.optional(shape.obj, run, "check_suite", "check_run") or {}
        ref = shape.optional(shape.text, suite, "head_branch", "check_run.check_suite") or shape.text(
            run, "head_sha", "check_run"
        )
        return {CHECKS: [Mapped(map_check_run(repo, ref, run), run)]}, []
    return {CHECKS: _status(repo, payload)}, []


def _status(repo: str, payload: Raw) -> list[Mapped]:
    """A ``status`` event names the branches that contain the commit; those whose head it is get the result."""
    sha = shape.text(payload, "sha")
    heads = [
        branch["name"]
        for branch in shape.array(payload, "branches")
        if isinstance(branch, dict) and (branch.get("commit") or {}).get("sha") == sha
    ]
    return [Mapped(map_commit_status(repo, ref, sha, payload), payload) for ref in heads or [sha]]
