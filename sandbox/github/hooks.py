"""GitHub webhook bodies for sandbox changes, shaped as ``shared/fixtures/github/webhooks/<event>/<action>.json``.

Each function builds the body of one event and hands it to the shared :class:`~sandbox.webhooks.WebhookSender`;
nothing is built when no GitHub target is registered.
"""

from __future__ import annotations

from typing import Any

from sandbox.github import render
from sandbox.github.core import GitHubApi
from sandbox.github.render import Item, Json, Links
from sandbox.github.store import RepoState
from sandbox.world import CheckRun, GitHubRelease, Milestone, PullRequest


def _send(
    api: GitHubApi, links: Links, state: RepoState, event: str, action: str, login: str, body: dict[str, Any]
) -> None:
    payload: Json = {"action": action, **body}
    payload["repository"] = api.store.repo_json(links, state) | {"custom_properties": {}}
    payload["sender"] = render.login_user(links, api.store.world, login)
    api.webhooks.send_github(event, payload)


def _issue(api: GitHubApi, links: Links, state: RepoState, item: Item) -> Json:
    # why: webhook issue bodies carry "draft" even for plain issues (GitHub's payload examples do)
    return {"draft": False} | api.store.item_json(links, state, "issue", item)


def _wanted(api: GitHubApi) -> bool:
    return bool(api.webhooks.targets("github"))


def issues(api: GitHubApi, links: Links, state: RepoState, item: Item, action: str, login: str, **extra: Any) -> None:
    if _wanted(api):
        body = _issue(api, links, state, item)
        _send(api, links, state, "issues", action, login, {"issue": body, **extra})


def issue_comment(api: GitHubApi, links: Links, state: RepoState, item: Item, comment: Json, login: str) -> None:
    if _wanted(api):
        body = _issue(api, links, state, item)
        _send(api, links, state, "issue_comment", "created", login, {"issue": body, "comment": comment})


def pull_request(api: GitHubApi, links: Links, state: RepoState, pr: PullRequest, action: str, login: str) -> None:
    if _wanted(api):
        body = api.store.item_json(links, state, "pull_detail", pr)
        _send(api, links, state, "pull_request", action, login, {"number": pr.number, "pull_request": body})


def release(api: GitHubApi, links: Links, state: RepoState, rel: GitHubRelease, actions: list[str], login: str) -> None:
    if _wanted(api):
        body = render.release(links, api.store.world, state.repo, rel)
        for action in actions:
            _send(api, links, state, "release", action, login, {"release": body})


def check_run(api: GitHubApi, links: Links, state: RepoState, run: CheckRun, action: str, login: str) -> None:
    if _wanted(api):
        body = render.check_run(links, api.store.world, state.repo, run)
        suite = [r for r in state.repo.check_runs if r.sha == run.sha]
        body["check_suite"] = render.check_suite(links, state.repo, suite)
        _send(api, links, state, "check_run", action, login, {"check_run": body})


def milestone(api: GitHubApi, links: Links, state: RepoState, ms: Milestone, action: str, login: str) -> None:
    if _wanted(api):
        body = api.store.milestone_json(links, state, ms.number)
        _send(api, links, state, "milestone", action, login, {"milestone": body})
