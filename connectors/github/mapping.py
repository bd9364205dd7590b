"""Pure mapping of GitHub REST payloads (and the objects embedded in webhooks) to schema records.

One function per entity, raw ``dict`` in, record out; no I/O, so a mapping fix can be replayed over stored raw
payloads. A payload that does not fit raises :class:`schema.BadDataError` naming the field; an item of the issues
listing that is really a pull request raises :class:`IsPullRequestError` (the pull-request stream owns it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

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
    Tool,
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
    """Turn a missing or malformed field into :class:`BadDataError` naming the entity, its id and the field."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def mapped(*args: P.args, **kwargs: P.kwargs) -> R:
            raw = args[-1]
            if not isinstance(raw, dict):
                raise BadDataError(f"github {entity}: expected a JSON object, got {type(raw).__name__}")
            native = _native_id(raw)
            try:
                return fn(*args, **kwargs)
            except BadDataError:
                raise
            except KeyError as exc:
                raise BadDataError(f"github {entity} {native}: missing field {exc}", native_id=native) from exc
            except (TypeError, ValueError, AttributeError, ValidationError) as exc:
                reason = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first_error(exc)
                raise BadDataError(f"github {entity} {native}: {reason}", native_id=native) from exc

        return mapped

    return decorate


def _native_id(raw: Raw) -> str | None:
    value = raw.get("number", raw.get("id"))
    return None if value is None else str(value)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(map(str, error['loc']))}: {error['msg']}"


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed


def _maybe_when(value: object) -> datetime | None:
    return None if value is None else _when(value)


def _login(user: object) -> str | None:
    return user["login"] if isinstance(user, dict) else None


def _labels(raw: Raw) -> tuple[str, ...]:
    # labels are objects in responses, but plain names are accepted on input and appear in some payloads
    return tuple(label if isinstance(label, str) else label["name"] for label in raw.get("labels") or ())


def _milestone_ids(repo: str, raw: Raw) -> tuple[str, ...]:
    milestone = raw.get("milestone")
    return (ids.github(repo, "milestone", milestone["number"]),) if milestone else ()


def _source(repo: str, native_id: str | int, raw: Raw, key: str | None = None) -> SourceRef:
    url = raw.get("html_url")
    return SourceRef(tool=Tool.GITHUB, instance=repo.lower(), native_id=str(native_id), key=key, url=url)


@_fits("issue")
def map_issue(repo: str, raw: Raw) -> WorkItem:
    number = int(raw["number"])
    if "pull_request" in raw:
        raise IsPullRequestError(f"github issue {number} of {repo} is a pull request", native_id=str(number))
    issue_type = (raw.get("type") or {}).get("name")
    return WorkItem(
        id=ids.github(repo, "issue", number),
        source=_source(repo, number, raw, key=f"{repo.lower()}#{number}"),
        updated=_when(raw["updated_at"]),
        type=_ISSUE_TYPES.get(str(issue_type).casefold(), WorkItemType.ISSUE),
        type_original=issue_type or "issue",
        title=raw["title"],
        description=raw.get("body") or "",
        status=github_issue_status(raw["state"], raw.get("state_reason")),
        parent_id=_parent_id(raw.get("parent_issue_url")),
        assignee=_login(raw.get("assignee")),
        labels=_labels(raw),
        release_ids=_milestone_ids(repo, raw),
        created=_when(raw["created_at"]),
        resolved=_maybe_when(raw.get("closed_at")) if raw["state"] == "closed" else None,
    )


def _parent_id(url: object) -> str | None:
    """The parent of a sub-issue, from ``parent_issue_url`` (it may live in another repository)."""
    if not url:
        return None
    match = _ISSUE_URL.search(str(url))
    if match is None:
        raise ValueError(f"parent_issue_url is not an issue URL: {url!r}")
    return ids.github(match["repo"], "issue", int(match["number"]))


@_fits("pull request")
def map_pull_request(repo: str, raw: Raw) -> PullRequest:
    number = int(raw["number"])
    merged_at = _maybe_when(raw.get("merged_at"))
    draft = bool(raw.get("draft"))
    # merged_at decides: GitHub's own example shows state "open" with merged_at set
    # (https://docs.github.com/en/rest/pulls/pulls#list-pull-requests); "merged" is absent from list items
    state = PullRequestState.MERGED if merged_at is not None else PullRequestState(raw["state"])
    return PullRequest(
        id=ids.github(repo, "pr", number),
        source=_source(repo, number, raw, key=f"{repo.lower()}#{number}"),
        updated=_when(raw["updated_at"]),
        number=number,
        title=raw["title"],
        body=raw.get("body") or "",
        state=state,
        status=github_pr_status(raw["state"], merged_at, draft),
        draft=draft,
        author=_login(raw.get("user")),
        head_ref=raw["head"]["ref"],
        head_sha=raw["head"].get("sha"),
        base_ref=raw["base"]["ref"],
        labels=_labels(raw),
        release_ids=_milestone_ids(repo, raw),
        created=_when(raw["created_at"]),
        closed_at=_maybe_when(raw.get("closed_at")),
        merged_at=merged_at,
    )


@_fits("milestone")
def map_milestone(repo: str, raw: Raw) -> Release:
    number = int(raw["number"])
    due_on = _maybe_when(raw.get("due_on"))
    return Release(
        id=ids.github(repo, "milestone", number),
        source=_source(repo, number, raw, key=raw["title"]),
        updated=_when(raw["updated_at"]),
        release_kind=ReleaseKind.GITHUB_MILESTONE,
        project=repo.lower(),
        name=raw["title"],
        description=raw.get("description") or "",
        released=raw["state"] == "closed",
        release_date=due_on.date() if due_on else None,
        released_at=_maybe_when(raw.get("closed_at")) if raw["state"] == "closed" else None,
    )


@_fits("release")
def map_release(repo: str, raw: Raw) -> Release:
    release_id = int(raw["id"])
    created = _when(raw["created_at"])
    published = _maybe_when(raw.get("published_at"))
    draft = bool(raw["draft"])
    tag = raw["tag_name"]
    return Release(
        id=ids.github(repo, "release", release_id),
        source=_source(repo, release_id, raw, key=tag),
        # a release has no updated_at; publishing is its last recorded change
        updated=max(created, published) if published else created,
        release_kind=ReleaseKind.GITHUB_RELEASE,
        project=repo.lower(),
        name=raw.get("name") or tag,
        description=raw.get("body") or "",
        released=not draft and published is not None,
        draft=draft,
        prerelease=bool(raw.get("prerelease")),
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
    name = raw["name"]
    status, conclusion = raw["status"], raw.get("conclusion")
    if status != "completed":
        state = CheckState.PENDING
    elif conclusion in _CONCLUSIONS:
        state = _CONCLUSIONS[conclusion]
    else:
        raise ValueError(f"unknown check run conclusion {conclusion!r}")
    completed_at = _maybe_when(raw.get("completed_at"))
    started_at = _maybe_when(raw.get("started_at"))
    updated = completed_at or started_at
    if updated is None:
        raise ValueError("check run has neither started_at nor completed_at")
    return Check(
        id=check_id(repo, ref, CheckKind.CHECK_RUN, name),
        source=_source(repo, raw["id"], raw),
        updated=updated,
        check_kind=CheckKind.CHECK_RUN,
        name=name,
        ref=ref,
        sha=raw["head_sha"],
        state=state,
        conclusion_original=conclusion or status,
        details_url=raw.get("details_url") or raw.get("html_url"),
        completed_at=completed_at,
    )


@_fits("commit status")
def map_commit_status(repo: str, ref: str, sha: str, raw: Raw) -> Check:
    """One commit status (an entry of a combined status, or the body of a ``status`` webhook)."""
    context, state = raw["context"], raw["state"]
    if state not in _STATUS_STATES:
        raise ValueError(f"unknown commit status state {state!r}")
    return Check(
        id=check_id(repo, ref, CheckKind.COMMIT_STATUS, context),
        source=_source(repo, raw["id"], {"html_url": raw.get("target_url")}),
        updated=_when(raw["updated_at"]),
        check_kind=CheckKind.COMMIT_STATUS,
        name=context,
        ref=ref,
        sha=sha,
        state=_STATUS_STATES[state],
        conclusion_original=state,
        details_url=raw.get("target_url"),
    )


@_fits("combined status")
def map_combined_status(repo: str, ref: str, raw: Raw) -> list[Check]:
    """``GET /repos/{o}/{r}/commits/{ref}/status``: one check per context (the latest status of each)."""
    sha = raw["sha"]
    return [map_commit_status(repo, ref, sha, status) for status in raw["statuses"]]
