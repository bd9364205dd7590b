"""The GitHub sandbox's admin API: change the world as GitHub users would, under ``/_sandbox/`` (no auth, not counted).

Every change stamps ``updated_at`` (so ETags change and ``since`` sees it) and, when a GitHub webhook target is
registered, delivers the webhook GitHub would send. Bodies are JSON; ``user`` (a login) is the actor, default the
item's author. Answers are the changed object as the REST API renders it.

Routes (``?`` marks an optional field; ``{o}/{r}`` a repository, ``{n}`` an issue or pull request number):

- ``POST /_sandbox/webhooks {url, secret?}`` → 201 ``{hook_id}``: register a GitHub webhook target
- ``DELETE /_sandbox/webhooks?url=``: unregister one (all without ``url``)
- ``GET /_sandbox/webhooks/deliveries``: every delivery attempt (tool, event, delivery_id, url, attempt, status)
- ``POST /_sandbox/secondary-limit {count, status?, retry_after?}``: refuse the next ``count`` API requests
- ``POST /_sandbox/rate-limit/reset``: fresh primary budgets, secondary limit disarmed
- ``POST /_sandbox/repos/{o}/{r}/issues {title, body?, labels?, milestone?}``: open an issue (``issues.opened``)
- ``PATCH /_sandbox/repos/{o}/{r}/issues/{n} {title?, body?, labels?, type?}``: edit
  (``issues``/``pull_request.edited``; ``type``, issues only: a name in ``render.ISSUE_TYPES`` or null)
- ``POST /_sandbox/repos/{o}/{r}/issues/{n}/close {state_reason?}``: close an issue or pull request
- ``POST /_sandbox/repos/{o}/{r}/issues/{n}/reopen``: reopen it
- ``DELETE /_sandbox/repos/{o}/{r}/issues/{n}``: delete an issue (the REST API then answers 410)
- ``POST /_sandbox/repos/{o}/{r}/issues/{n}/transfer {repository: "o/r"}``: transfer (then 301 to the new place)
- ``POST /_sandbox/repos/{o}/{r}/issues/{n}/comments {body}``: comment (``issue_comment.created``)
- ``POST /_sandbox/repos/{o}/{r}/pulls {title, head, base?, body?, draft?}``: open a pull request
- ``POST /_sandbox/repos/{o}/{r}/pulls/{n}/merge``: merge it (``pull_request.closed`` with ``merged: true``)
- ``POST /_sandbox/repos/{o}/{r}/pulls/{n}/close``: close it unmerged
- ``POST /_sandbox/repos/{o}/{r}/releases/{tag}/publish``: publish the tag's draft release, or a new one
  (``release.created`` when new, ``published``, ``released``)
- ``POST /_sandbox/repos/{o}/{r}/check-runs/{id} {conclusion, status?}``: set a check run's outcome
  (``check_run.completed``; ``status`` queued/in_progress sends ``created``)
- ``POST /_sandbox/repos/{o}/{r}/commits/{ref}/check-runs/{name} {conclusion, status?}``: the same, by ref + name
- ``POST /_sandbox/repos/{o}/{r}/milestones/{n}/close``: close a milestone (``milestone.closed``)

The fault middleware adds ``/_sandbox/stats`` and ``/_sandbox/faults`` (see :mod:`sandbox.faults`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sandbox.github import hooks, render
from sandbox.github.core import ApiError, GitHubApi, not_found
from sandbox.github.render import Item
from sandbox.github.store import KEEP, RepoState
from sandbox.world import CheckRun, GitHubIssue, PullRequest

PREFIX = "/_sandbox"
_CONCLUSIONS = {"success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"}


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    payload = await request.json()
    if not isinstance(payload, dict):
        raise ApiError(400, "Problems parsing JSON")
    return payload


def admin_router(api: GitHubApi) -> APIRouter:
    store = api.store
    router = APIRouter(prefix=PREFIX)
    repo_path = "/repos/{owner}/{name}"

    def repo(owner: str, name: str) -> RepoState:
        state = store.repo(owner, name)
        if state is None:
            raise not_found()
        return state

    def item(state: RepoState, number: int) -> Item:
        found = state.item(number)
        if found is None:
            raise not_found()
        return found

    def actor(payload: dict[str, Any], default: str) -> str:
        login = str(payload.get("user") or default)
        if all(p.login != login for p in store.world.people):
            raise ApiError(422, f"Unknown user {login!r}")
        return login

    def answer(body: Any, status: int = 200) -> Response:
        return Response(render.dumps(body), status, media_type="application/json")

    def changed(request: Request, state: RepoState, target: Item, action: str, login: str, **extra: Any) -> Response:
        links = api.links(request)
        if isinstance(target, PullRequest):
            hooks.pull_request(api, links, state, target, action, login)
        else:
            hooks.issues(api, links, state, target, action, login, **extra)
        return answer(store.item_json(links, state, "issue", target))

    @router.post("/webhooks", status_code=201)
    async def register(request: Request) -> JSONResponse:
        payload = await _body(request)
        target = api.webhooks.register("github", str(payload["url"]), payload.get("secret"))
        return JSONResponse({"hook_id": target.hook_id}, 201)

    @router.delete("/webhooks", status_code=204)
    async def unregister(request: Request) -> Response:
        api.webhooks.unregister("github", request.query_params.get("url"))
        return Response(status_code=204)

    @router.get("/webhooks/deliveries")
    async def deliveries() -> JSONResponse:
        return JSONResponse(
            [
                {
                    "tool": d.tool,
                    "event": d.event,
                    "delivery_id": d.delivery_id,
                    "url": d.url,
                    "attempt": d.attempt,
                    "status": d.status,
                    "error": d.error,
                }
                for d in api.webhooks.deliveries
            ]
        )

    @router.post("/secondary-limit", status_code=204)
    async def secondary(request: Request) -> Response:
        payload = await _body(request)
        api.limits.arm(
            int(payload.get("count", 1)), int(payload.get("status", 403)), int(payload.get("retry_after", 60))
        )
        return Response(status_code=204)

    @router.post("/rate-limit/reset", status_code=204)
    async def reset_limits() -> Response:
        api.limits.reset()
        return Response(status_code=204)

    @router.post(repo_path + "/issues")
    async def open_issue(request: Request, owner: str, name: str) -> Response:
        state, payload = repo(owner, name), await _body(request)
        login = actor(payload, store.world.people[0].login)
        milestone = payload.get("milestone")
        if milestone is not None and milestone not in state.repo.milestones:
            raise ApiError(422, f"Unknown milestone {milestone!r}")
        issue = store.open_issue(
            state,
            str(payload.get("title") or "Untitled"),
            str(payload.get("body") or ""),
            login,
            [str(x) for x in payload.get("labels", [])],
            milestone,
        )
        response = changed(request, state, issue, "opened", login)
        response.status_code = 201
        return response

    @router.patch(repo_path + "/issues/{number}")
    async def edit(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = item(state, number)
        login = actor(payload, target.user)
        changes = {k: {"from": getattr(target, k)} for k in ("title", "body") if k in payload}
        labels, issue_type = payload.get("labels"), payload.get("type", KEEP)
        allowed = (KEEP, None, *render.ISSUE_TYPES) if isinstance(target, GitHubIssue) else (KEEP, None)
        if issue_type not in allowed:
            raise ApiError(422, f"{issue_type!r} is not an issue type this item can have")
        store.edit(
            state,
            target,
            payload.get("title"),
            payload.get("body"),
            None if labels is None else [str(x) for x in labels],
            issue_type=issue_type,
        )
        return changed(request, state, target, "edited", login, changes=changes)

    @router.post(repo_path + "/issues/{number}/close")
    async def close(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = item(state, number)
        reason = str(payload.get("state_reason", "completed"))
        if reason not in ("completed", "not_planned", "duplicate"):
            raise ApiError(422, f"Unknown state_reason {reason!r}")
        store.close(state, target, reason)
        return changed(request, state, target, "closed", actor(payload, target.user))

    @router.post(repo_path + "/issues/{number}/reopen")
    async def reopen(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = item(state, number)
        if isinstance(target, PullRequest) and target.merged_at:
            raise ApiError(422, "A merged pull request cannot be reopened")
        store.reopen(state, target)
        return changed(request, state, target, "reopened", actor(payload, target.user))

    def issue_only(state: RepoState, number: int) -> GitHubIssue:
        target = state.repo.issues.get(number)
        if target is None:
            raise not_found()
        return target

    @router.delete(repo_path + "/issues/{number}", status_code=204)
    async def delete(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = issue_only(state, number)
        store.delete(state, target)
        hooks.issues(api, api.links(request), state, target, "deleted", actor(payload, target.user))
        return Response(status_code=204)

    @router.post(repo_path + "/issues/{number}/transfer")
    async def transfer(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = issue_only(state, number)
        destination = store.repos.get(str(payload.get("repository", "")).lower())
        if destination is None or destination is state:
            raise ApiError(422, "Unknown destination repository")
        login = actor(payload, target.user)
        moved = store.transfer(state, target, destination)
        links = api.links(request)
        new_issue = store.item_json(links, destination, "issue", moved)
        changes = {"new_issue": new_issue, "new_repository": store.repo_json(links, destination)}
        hooks.issues(api, links, state, target, "transferred", login, changes=changes)
        return answer(new_issue, 201)

    @router.post(repo_path + "/issues/{number}/comments")
    async def comment(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        target = item(state, number)
        login = actor(payload, target.user)
        index = store.comment(state, target, login, str(payload.get("body") or "+1"))
        links = api.links(request)
        body = render.comment(links, store.world, state.repo, target, index)
        hooks.issue_comment(api, links, state, target, body, login)
        return answer(body, 201)

    @router.post(repo_path + "/pulls")
    async def open_pull(request: Request, owner: str, name: str) -> Response:
        state, payload = repo(owner, name), await _body(request)
        if not payload.get("head"):
            raise ApiError(422, "head is required")
        login = actor(payload, store.world.people[0].login)
        pr = store.open_pull(
            state,
            str(payload.get("title") or payload["head"]),
            str(payload.get("body") or ""),
            login,
            str(payload["head"]),
            str(payload.get("base") or state.repo.default_branch),
            bool(payload.get("draft", False)),
        )
        links = api.links(request)
        hooks.pull_request(api, links, state, pr, "opened", login)
        return answer(store.item_json(links, state, "pull_detail", pr), 201)

    def pull(state: RepoState, number: int) -> PullRequest:
        pr = state.repo.pulls.get(number)
        if pr is None:
            raise not_found()
        if pr.state != "open":
            raise ApiError(405, "Pull Request is not open")
        return pr

    @router.post(repo_path + "/pulls/{number}/merge")
    async def merge(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        pr = pull(state, number)
        store.close(state, pr, merge=True)
        links = api.links(request)
        hooks.pull_request(api, links, state, pr, "closed", actor(payload, pr.user))
        return answer(store.item_json(links, state, "pull_detail", pr))

    @router.post(repo_path + "/pulls/{number}/close")
    async def close_pull(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        pr = pull(state, number)
        store.close(state, pr)
        links = api.links(request)
        hooks.pull_request(api, links, state, pr, "closed", actor(payload, pr.user))
        return answer(store.item_json(links, state, "pull_detail", pr))

    @router.post(repo_path + "/releases/{tag}/publish")
    async def publish(request: Request, owner: str, name: str, tag: str) -> Response:
        state, payload = repo(owner, name), await _body(request)
        existed = any(r.tag_name == tag for r in state.repo.releases)
        rel = store.publish(state, tag)
        links = api.links(request)
        actions = ([] if existed else ["created"]) + ["published"] + ([] if rel.prerelease else ["released"])
        hooks.release(api, links, state, rel, actions, actor(payload, store.world.people[0].login))
        return answer(render.release(links, store.world, state.repo, rel))

    def set_check(request: Request, state: RepoState, run: CheckRun, payload: dict[str, Any]) -> Response:
        status = str(payload.get("status", "completed"))
        conclusion = payload.get("conclusion")
        if status not in ("queued", "in_progress", "completed") or (
            status == "completed" and conclusion not in _CONCLUSIONS
        ):
            raise ApiError(422, "Invalid status/conclusion")
        store.set_check(run, status, conclusion)
        links = api.links(request)
        action = "completed" if status == "completed" else "created"
        hooks.check_run(api, links, state, run, action, actor(payload, store.world.people[0].login))
        return answer(render.check_run(links, store.world, state.repo, run))

    @router.post(repo_path + "/check-runs/{run_id}")
    async def check_by_id(request: Request, owner: str, name: str, run_id: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        run = next((r for r in state.repo.check_runs if r.id == run_id), None)
        if run is None:
            raise not_found()
        return set_check(request, state, run, payload)

    @router.post(repo_path + "/commits/{ref:path}/check-runs/{check_name}")
    async def check_by_ref(request: Request, owner: str, name: str, ref: str, check_name: str) -> Response:
        state, payload = repo(owner, name), await _body(request)
        sha = store.resolve_ref(state, ref)
        runs = [r for r in state.repo.check_runs if r.sha == sha and r.name == check_name]
        if not runs:
            raise not_found()
        return set_check(request, state, max(runs, key=lambda r: (r.started_at, r.id)), payload)

    @router.post(repo_path + "/milestones/{number}/close")
    async def close_milestone(request: Request, owner: str, name: str, number: int) -> Response:
        state, payload = repo(owner, name), await _body(request)
        ms = state.repo.milestones.get(number)
        if ms is None:
            raise not_found()
        store.close_milestone(ms)
        links = api.links(request)
        hooks.milestone(api, links, state, ms, "closed", actor(payload, store.world.people[0].login))
        return answer(store.milestone_json(links, state, number))

    return router
