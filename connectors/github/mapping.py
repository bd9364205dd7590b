"""Pure mapping of GitHub REST payloads (and the objects embedded in webhooks) to schema records.

One function per entity, raw ``dict`` in, record out; no I/O, so a mapping fix can be replayed over stored raw
payloads. A payload that does not fit raises :class:`schema.BadDataError` naming the field; an item of the issues
listing that is really a pull request raises :class:`IsPullRequestError` (the pull-request stream owns it). Fields
are read through :mod:`connectors.shape`, so a reject names the field that did not fit ("github issue 1347:
`updated_at` is missing (it must be a non-empty string)").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

from connectors import shape
from schema import (
    BadDataError,
    Check,
    CheckKind,
    CheckState,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    Status,
    Tool,
    UnmappedStatusError,
    WorkItem,
    WorkItemType,
    github_issue_status,
    github_pr_status,
    ids,
)

Raw = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")

# https://docs.github.com/en/rest/checks/runs — conclusions of a completed check run
_CONCLUSIONS = {
    "success": CheckState.SUCCESS,
    "failure": CheckState.FAILURE,
    "timed_out": CheckState.FAILURE,
    "cancelled": CheckState.FAILURE,
    "action_required": CheckState.FAILURE,
    "startup_failure": CheckState.FAILURE,
    "neutral": CheckState.NEUTRAL,
    "skipped": CheckState.NEUTRAL,
    "stale": CheckState.NEUTRAL,
}
# https://docs.github.com/en/rest/commits/statuses — "error" is a failure to run, still not a pass
_STATUS_STATES = {
    "success": CheckState.SUCCESS,
    "failure": CheckState.FAILURE,
    "error": CheckState.FAILURE,
    "pending": CheckState.PENDING,
}


# https://docs.github.com/en/issues/tracking-your-work-with-issues/configuring-issues/managing-issue-types-in-an-organization
# (an organisation's default types are Task, Bug and Feature); any other type keeps its name in type_original
_ISSUE_TYPES = {
    "bug": WorkItemType.BUG,
    "task": WorkItemType.TASK,
    "feature": WorkItemType.STORY,
    "story": WorkItemType.STORY,
    "epic": WorkItemType.EPIC,
}
_ISSUE_URL = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)$")


class IsPullRequestError(BadDataError):
    """An item of ``GET /repos/{o}/{r}/issues`` that is a pull request.

    GitHub's issues listing includes pull requests, marked by a ``pull_request`` key
    (https://docs.github.com/en/rest/issues/issues#list-repository-issues); they are read from ``/pulls`` instead.
    """


def _fits(entity: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Name the entity and its id in every :class:`BadDataError` (the readers of :mod:`connectors.shape` name the
    field), and turn anything else a payload of the wrong shape trips over into one."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def mapped(*args: P.args, **kwargs: P.kwargs) -> R:
            raw = args[-1]
            if not isinstance(raw, dict):
                raise BadDataError(f"github {entity}: expected a JSON object, got {type(raw).__name__}")
            native = _native_id(raw)
            try:
                return fn(*args, **kwargs)
            except IsPullRequestError:
                raise
            except BadDataError as exc:
                raise BadDataError(f"github {entity} {native}: {exc}", native_id=exc.native_id or native) from exc
            except (TypeError, ValueError, AttributeError, KeyError, ValidationError) as exc:
                reason = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first_error(exc)
                raise BadDataError(f"github {entity} {native}: {reason}", native_id=native) from exc

        return mapped

    return decorate


def _native_id(raw: Raw) -> str | None:
    value = raw.get("number", raw.get("id"))
    return None if value is None else str(value)[:40]


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(map(str, error['loc']))}: {error['msg']}"


def _when(raw: Mapping[str, Any], name: str, path: str = "") -> datetime:
    """An ISO 8601 instant with its offset (GitHub writes ``2011-04-22T13:33:48Z``)."""
    value = shape.text(raw, name, path)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadDataError(f"`{name}` is not an ISO 8601 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise BadDataError(f"`{name}` is a timestamp without a time zone: {value[:40]!r}")
    return parsed


def _maybe_when(raw: Raw, name: str) -> datetime | None:
    return shape.optional(_when, raw, name)


def _login(raw: Raw, name: str) -> str | None:
    """The login of the user object at ``name``; a value that is not a user object names nobody."""
    user = raw.get(name)
    return shape.text(user, "login", name) if isinstance(user, dict) else None


def _labels(raw: Raw) -> tuple[str, ...]:
    return tuple(_label(label) for label in shape.array(raw, "labels"))


def _label(label: object) -> str:
    # labels are objects in responses, but plain names are accepted on input and appear in some payloads
    if isinstance(label, str):
        return label
    if isinstance(label, dict):
        return shape.text(label, "name", "labels")
    raise BadDataError(f"`labels` must hold label objects or names, got {shape.kind_of(label)}")


def _milestone_ids(repo: str, raw: Raw) -> tuple[str, ...]:
    milestone = shape.optional(shape.obj, raw, "milestone")
    return (ids.github(repo, "milestone", shape.number(milestone, "number", "milestone")),) if milestone else ()


def _source(repo: str, native_id: str | int, raw: Raw, key: str | None = None, link: str = "html_url") -> SourceRef:
    url = shape.optional(shape.string, raw, link)
    return SourceRef(tool=Tool.GITHUB, instance=repo.lower(), native_id=str(native_id), key=key, url=url)


def _issue_status(raw: Raw) -> Status:
    state = shape.one_of(raw, "state", ("open", "closed"))
    reason = shape.optional(shape.text, raw, "state_reason")
    try:
        return github_issue_status(state, reason)
    except UnmappedStatusError:
        # why: GitHub's states are a closed set (https://docs.github.com/en/rest/issues/issues), so no rule could map
        # another; it is bad data, not a missing configuration
        raise BadDataError(f"`state_reason` {reason!r:.40} is not one GitHub gives a closed issue") from None


@_fits("issue")
def map_issue(repo: str, raw: Raw) -> WorkItem:
    number = shape.number(raw, "number")
    if "pull_request" in raw:
        what = f"github issue {number} of {repo} is a pull request (`pull_request`)"
        raise IsPullRequestError(what, native_id=str(number))
    kind = shape.optional(shape.obj, raw, "type")
    issue_type = shape.optional(shape.text, kind, "name", "type") if kind else None
    status = _issue_status(raw)
    return WorkItem(
        id=ids.github(repo, "issue", number),
        source=_source(repo, number, raw, key=f"{repo.lower()}#{number}"),
        updated=_when(raw, "updated_at"),
        type=_ISSUE_TYPES.get(str(issue_type).casefold(), WorkItemType.ISSUE),
        type_original=issue_type or "issue",
        title=shape.text(raw, "title"),
        description=shape.optional(shape.string, raw, "body") or "",
        status=status,
        parent_id=_parent_id(raw),
        assignee=_login(raw, "assignee"),
        labels=_labels(raw),
        release_ids=_milestone_ids(repo, raw),
        created=_when(raw, "created_at"),
        resolved=_maybe_when(raw, "closed_at") if status.original != "open" else None,
    )


def _parent_id(raw: Raw) -> str | None:
    """The parent of a sub-issue, from ``parent_issue_url`` (it may live in another repository)."""
    url = shape.optional(shape.string, raw, "parent_issue_url")
    if not url:
        return None
    match = _ISSUE_URL.search(url)
    if match is None:
        raise BadDataError(f"`parent_issue_url` is not an issue URL: {url[:80]!r}")
    return ids.github(match["repo"], "issue", int(match["number"]))


@_fits("pull request")
def map_pull_request(repo: str, raw: Raw) -> PullRequest:
    number = shape.number(raw, "number")
    merged_at = _maybe_when(raw, "merged_at")
    draft = shape.optional(shape.flag, raw, "draft") or False
    listed_state = shape.one_of(raw, "state", ("open", "closed"))
    # merged_at decides: GitHub's own example shows state "open" with merged_at set
    # (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests); "merged" is absent from list items
    state = PullRequestState.MERGED if merged_at is not None else PullRequestState(listed_state)
    head, base = shape.obj(raw, "head"), shape.obj(raw, "base")
    return PullRequest(
        id=ids.github(repo, "pr", number),
        source=_source(repo, number, raw, key=f"{repo.lower()}#{number}"),
        updated=_when(raw, "updated_at"),
        number=number,
        title=shape.text(raw, "title"),
        body=shape.optional(shape.string, raw, "body") or "",
        state=state,
        status=github_pr_status(listed_state, merged_at, draft),
        draft=draft,
        author=_login(raw, "user"),
        head_ref=shape.text(head, "ref", "head"),
        head_sha=shape.optional(shape.text, head, "sha", "head"),
        base_ref=shape.text(base, "ref", "base"),
        labels=_labels(raw),
        release_ids=_milestone_ids(repo, raw),
        created=_when(raw, "created_at"),
        closed_at=_maybe_when(raw, "closed_at"),
        merged_at=merged_at,
    )


@_fits("milestone")
def map_milestone(repo: str, raw: Raw) -> Release:
    number = shape.number(raw, "number")
    due_on = _maybe_when(raw, "due_on")
    closed = shape.one_of(raw, "state", ("open", "closed")) == "closed"
    title = shape.text(raw, "title")
    return Release(
        id=ids.github(repo, "milestone", number),
        source=_source(repo, number, raw, key=title),
        updated=_when(raw, "updated_at"),
        release_kind=ReleaseKind.GITHUB_MILESTONE,
        project=repo.lower(),
        name=title,
        description=shape.optional(shape.string, raw, "description") or "",
        released=closed,
        release_date=due_on.date() if due_on else None,
        released_at=_maybe_when(raw, "closed_at") if closed else None,
    )


@_fits("release")
def map_release(repo: str, raw: Raw) -> Release:
    release_id = shape.number(raw, "id")
    created = _when(raw, "created_at")
    published = _maybe_when(raw, "published_at")
    draft = shape.flag(raw, "draft")
    tag = shape.text(raw, "tag_name")
    return Release(
        id=ids.github(repo, "release", release_id),
        source=_source(repo, release_id, raw, key=tag),
        # a release has no updated_at; publishing is its last recorded change
        updated=max(created, published) if published else created,
        release_kind=ReleaseKind.GITHUB_RELEASE,
        project=repo.lower(),
        name=shape.optional(shape.string, raw, "name") or tag,
        description=shape.optional(shape.string, raw, "body") or "",
        released=not draft and published is not None,
        draft=draft,
        prerelease=shape.optional(shape.flag, raw, "prerelease") or False,
        tag_name=tag,
        release_date=published.date() if published and not draft else None,
        released_at=published if not draft else None,
    )


def check_id(repo: str, ref: str, kind: CheckKind, name: str) -> str:
    """One record per check name on a ref: a re-run or a new commit on the ref replaces the previous result.

    ``:`` cannot occur in a git ref name, so the id splits back unambiguously.
    """
    return ids.github(repo, "check", f"{ref}:{'run' if kind is CheckKind.CHECK_RUN else 'status'}:{name}")


@_fits("check run")
def map_check_run(repo: str, ref: str, raw: Raw) -> Check:
    name = shape.text(raw, "name")
    status = shape.text(raw, "status")
    conclusion = shape.optional(shape.text, raw, "conclusion")
    if status != "completed":
        state = CheckState.PENDING
    elif conclusion in _CONCLUSIONS:
        state = _CONCLUSIONS[conclusion]
    else:
        raise BadDataError(f"unknown check run `conclusion` {conclusion!r:.60}")
    completed_at = _maybe_when(raw, "completed_at")
    started_at = _maybe_when(raw, "started_at")
    updated = completed_at or started_at
    if updated is None:
        raise BadDataError("check run has neither `started_at` nor `completed_at`")
    return Check(
        id=check_id(repo, ref, CheckKind.CHECK_RUN, name),
        source=_source(repo, shape.number(raw, "id"), raw),
        updated=updated,
        check_kind=CheckKind.CHECK_RUN,
        name=name,
        ref=ref,
        sha=shape.text(raw, "head_sha"),
        state=state,
        conclusion_original=conclusion or status,
        details_url=shape.optional(shape.string, raw, "details_url") or shape.optional(shape.string, raw, "html_url"),
        completed_at=completed_at,
    )


@_fits("commit status")
def map_commit_status(repo: str, ref: str, sha: str, raw: Raw) -> Check:
    """One commit status (an entry of a combined status, or the body of a ``status`` webhook)."""
    context = shape.text(raw, "context")
    state = shape.one_of(raw, "state", tuple(_STATUS_STATES))
    target_url = shape.optional(shape.string, raw, "target_url")
    return Check(
        id=check_id(repo, ref, CheckKind.COMMIT_STATUS, context),
        source=_source(repo, shape.number(raw, "id"), raw, link="target_url"),
        updated=_when(raw, "updated_at"),
        check_kind=CheckKind.COMMIT_STATUS,
        name=context,
        ref=ref,
        sha=sha,
        state=_STATUS_STATES[state],
        conclusion_original=state,
        details_url=target_url,
    )


@_fits("combined status")
def map_combined_status(repo: str, ref: str, raw: Raw) -> list[Check]:
    """``GET /repos/{o}/{r}/commits/{ref}/status``: one check per context (the latest status of each)."""
    sha = shape.text(raw, "sha")
    checks = []
    for index, status in enumerate(shape.array(raw, "statuses")):
        try:
            checks.append(map_commit_status(repo, ref, sha, status))
        except BadDataError as exc:
            raise BadDataError(f"`statuses` entry {index}: {exc}") from exc
    return checks
