"""The GitHub sandbox: GitHub's REST API (and a sliver of GraphQL) over the seeded :class:`World`, as a FastAPI app.

Served at the root (``https://api.github.com`` form) and again under ``/api/v3`` (GitHub Enterprise Server form,
GraphQL at ``/api/graphql``); URLs in bodies and ``Link`` headers use the base the request came in on.

Routes (all ``GET`` unless noted): ``/repos/{o}/{r}``; ``/repos/{o}/{r}/issues`` (pull requests included, with a
``pull_request`` key) and ``/issues/{n}`` (GET, and PATCH: :mod:`sandbox.github.issue_update`);
``/issues/{n}/comments`` (GET, POST); ``/issues/{n}/timeline``;
``/pulls``, ``/pulls/{n}``; ``/milestones``, ``/milestones/{n}``; ``/releases``, ``/releases/latest``,
``/releases/tags/{tag}``; ``/commits/{ref}/check-runs``; ``/commits/{ref}/status``; ``/rate_limit``; ``/user``
(the token's account); ``/hooks`` and ``/hooks/{id}`` (:mod:`sandbox.github.repo_hooks`);
``POST /graphql`` (``repository(owner:, name:) { id databaseId nameWithOwner name url }`` look-ups, aliases and
variables allowed). Pagination, ``since`` and sort semantics are described in :mod:`sandbox.github.store`.

Behaviour like the real service: a weak ``ETag`` on every 200, ``If-None-Match`` → ``304`` without a body and
without counting; ``X-RateLimit-*`` counting down per token (per IP without one, at the unauthenticated limit);
403 with GitHub's message once the budget is spent; 403/429 + ``Retry-After`` while a secondary limit is armed;
``Authorization: token X`` or ``Bearer X`` with an unknown token → 401 ``Bad credentials``. A transferred issue
answers ``301`` to its new place, a deleted one ``410``. The admin API (no auth, not counted) is in
:mod:`sandbox.github.admin`.
"""

from __future__ import annotations

import dataclasses
import gc
import re
import threading
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from sandbox.faults import FaultMiddleware
from sandbox.github import hooks, render
from sandbox.github.admin import admin_router
from sandbox.github.core import (
    DEFAULT_TOKENS,
    ENTERPRISE_PREFIX,
    ApiError,
    Caller,
    GitHubApi,
    GitHubOptions,
    choice,
    int_param,
    invalid,
    join,
    lenient_choice,
    link_header,
    not_found,
    page_of,
    parse_since,
)
from sandbox.github.issue_update import IssueUpdate
from sandbox.github.limits import Budget
from sandbox.github.render import Json, Links
from sandbox.github.repo_hooks import hooks_router
from sandbox.github.store import GitHubStore, InvalidCursorError, Query, RepoState, Sort
from sandbox.world import PullRequest, World

__all__ = ["DEFAULT_TOKENS", "GitHubOptions", "create_app"]


# ------------------------------------------------------------------------------------------------ routes


def _api_router(api: GitHubApi) -> APIRouter:
    store = api.store

    async def gate(request: Request) -> Caller:
        return api.gate(request)

    router = APIRouter(dependencies=[Depends(gate)])
    repo_path = "/repos/{owner}/{name}"

    @router.get("/user")
    async def authenticated_user(request: Request) -> Response:
        login: str | None = request.state.caller.login
        if login is None:
            raise ApiError(401, "Requires authentication")
        since = store.world.now - timedelta(days=1000)
        body = render.authenticated_user(api.links(request), store.world.person_by_login(login), since)
        return api.reply(request, render.dumps(body))

    router.include_router(hooks_router(api))

    @router.get("/rate_limit")
    async def rate_limit(request: Request) -> Response:
        budget: Budget = request.state.caller.budget
        body = render.rate_limit(budget.limit, budget.used, budget.reset)
        # why: "Accessing this endpoint does not count against your REST API rate limit."
        # https://docs.github.com/en/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user
        return api.reply(request, render.dumps(body), charge=False)

    @router.get(repo_path)
    async def get_repo(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        return api.reply(request, render.dumps(store.repo_json(api.links(request), state, full=True)))

    @router.get(repo_path + "/issues")
    async def list_issues(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        sort = choice(request, "sort", ("created", "updated", "comments"), "created")
        query = Query(
            kind="all",
            state=choice(request, "state", ("open", "closed", "all"), "open"),
            sort=_sort(sort),
            direction=choice(request, "direction", ("asc", "desc"), "desc"),
            since=parse_since(request.query_params.get("since")),
            labels=tuple(x.strip() for x in request.query_params.get("labels", "").split(",") if x.strip()),
            milestone=request.query_params.get("milestone") or None,
        )
        return _keyset_reply(request, state, query, "issue")

    @router.get(repo_path + "/pulls")
    async def list_pulls(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        sort = choice(request, "sort", ("created", "updated", "popularity", "long-running"), "created")
        query = Query(
            kind="pr",
            state=choice(request, "state", ("open", "closed", "all"), "open"),
            sort=_sort({"popularity": "comments", "long-running": "created"}.get(sort, sort)),
            direction=choice(request, "direction", ("asc", "desc"), "desc" if sort == "created" else "asc"),
            head=request.query_params.get("head") or None,
            base=request.query_params.get("base") or None,
        )
        return _keyset_reply(request, state, query, "pull")

    def _keyset_reply(request: Request, state: RepoState, base_query: Query, view: str) -> Response:
        per_page = int_param(request, "per_page", 30, high=100)
        page = int_param(request, "page", 1)
        query = dataclasses.replace(
            base_query, per_page=per_page, page=page, after=request.query_params.get("after") or None
        )
        try:
            result = state.page(query)
        except InvalidCursorError:
            raise invalid("after", query.after or "") from None
        links = api.links(request)
        parts = [store.rendered(state, view, item) for n in result.numbers if (item := state.item(n))]
        rels: dict[str, dict[str, Any]] = {}
        last = max(1, -(-result.total // per_page))
        if result.next_cursor:
            rels["next"] = {"after": result.next_cursor}
            rels["last"] = {"page": last}
        if query.after or page > 1:
            rels["first"] = {"page": 1}
        return api.reply(request, store.localize(state, view, join(parts), links), link=link_header(request.url, rels))

    def _item(request: Request, state: RepoState, number: int) -> Any:
        item = state.item(number)
        if item is not None:
            return item
        gone = state.gone.get(number)
        if gone == "deleted":
            raise ApiError(410, "This issue was deleted")
        if gone:
            full_name, new_number = gone.split("#")
            location = f"{api.links(request).api}/repos/{full_name}/issues/{new_number}"
            raise ApiError(301, "Moved Permanently", {"Location": location}, url=location)
        raise not_found()

    @router.get(repo_path + "/issues/{number}")
    async def get_issue(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        item = _item(request, state, number)
        return api.reply(
            request, store.localize(state, "issue", store.rendered(state, "issue", item), api.links(request))
        )

    @router.patch(repo_path + "/issues/{number}")
    async def update_issue(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        item = _item(request, state, number)
        login, payload = await _write_of(request)
        if not isinstance(payload, dict):
            raise ApiError(400, "Problems parsing JSON")
        update = IssueUpdate.read(payload, state, item, {p.login for p in store.world.people})
        before = {k: getattr(item, k) for k in ("title", "body")}
        links = api.links(request)
        for action in update.apply(store, state, item):
            if isinstance(item, PullRequest):
                hooks.pull_request(api, links, state, item, action, login)
            else:
                changes = {k: {"from": v} for k, v in before.items() if v != getattr(item, k)}
                extra = {"changes": changes} if action == "edited" else {}
                hooks.issues(api, links, state, item, action, login, **extra)
        return api.reply(request, store.localize(state, "issue", store.rendered(state, "issue", item), links))

    @router.get(repo_path + "/pulls/{number}")
    async def get_pull(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        pr = state.repo.pulls.get(number)
        if pr is None:
            raise not_found()
        body = store.rendered(state, "pull_detail", pr)
        return api.reply(request, store.localize(state, "pull_detail", body, api.links(request)))

    @router.get(repo_path + "/issues/{number}/comments")
    async def list_comments(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        item = _item(request, state, number)
        since = parse_since(request.query_params.get("since"))
        indexes = [i for i, (at, _, _) in enumerate(item.comments) if since is None or at >= since]
        chosen, link = page_of(request, indexes)
        links = api.links(request)
        return api.reply(
            request, render.dumps([render.comment(links, store.world, state.repo, item, i) for i in chosen]), link=link
        )

    @router.post(repo_path + "/issues/{number}/comments")
    async def post_comment(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        item = _item(request, state, number)
        login, payload = await _write_of(request)
        text = payload.get("body") if isinstance(payload, dict) else None
        if not isinstance(text, str) or not text:
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
            )
        index = store.comment(state, item, login, text)
        links = api.links(request)
        body = render.comment(links, store.world, state.repo, item, index)
        hooks.issue_comment(api, links, state, item, body, login)
        return api.reply(request, render.dumps(body), status=201)

    @router.get(repo_path + "/issues/{number}/timeline")
    async def timeline(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        item = _item(request, state, number)
        chosen, link = page_of(request, render.timeline(api.links(request), store.world, state.repo, item))
        return api.reply(request, render.dumps(list(chosen)), link=link)

    @router.get(repo_path + "/milestones")
    async def list_milestones(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        # why: the milestones listing documents no 422 (only 200 and 404); it ignores a sort such as "updated"
        # https://docs.github.com/en/rest/issues/milestones#list-milestones
        wanted = lenient_choice(request, "state", ("open", "closed", "all"), "open")
        sort = lenient_choice(request, "sort", ("due_on", "completeness"), "due_on")
        direction = lenient_choice(request, "direction", ("asc", "desc"), "asc")
        links = api.links(request)
        bodies = [
            store.milestone_json(links, state, m.number)
            for m in state.repo.milestones.values()
            if wanted in ("all", m.state)
        ]
        milestones = [b for b in bodies if b is not None]

        def completeness(m: Json) -> float:
            closed, total = int(m["closed_issues"]), int(m["open_issues"]) + int(m["closed_issues"])
            return closed / max(1, total)

        milestones.sort(
            key=(lambda m: (m["due_on"] is None, m["due_on"] or "")) if sort == "due_on" else completeness,
            reverse=direction == "desc",
        )
        chosen, link = page_of(request, milestones)
        return api.reply(request, render.dumps(list(chosen)), link=link)

    @router.get(repo_path + "/milestones/{number}")
    async def get_milestone(request: Request, owner: str, name: str, number: int) -> Response:
        state = api.repo(request, owner, name)
        body = store.milestone_json(api.links(request), state, number)
        if body is None:
            raise not_found()
        return api.reply(request, render.dumps(body))

    @router.get(repo_path + "/releases")
    async def list_releases(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        chosen, link = page_of(request, store.releases(state))
        links = api.links(request)
        return api.reply(
            request, render.dumps([render.release(links, store.world, state.repo, r) for r in chosen]), link=link
        )

    @router.get(repo_path + "/releases/latest")
    async def latest_release(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        rel = store.latest_release(state)
        if rel is None:
            raise not_found()
        return api.reply(request, render.dumps(render.release(api.links(request), store.world, state.repo, rel)))

    @router.get(repo_path + "/releases/tags/{tag}")
    async def release_by_tag(request: Request, owner: str, name: str, tag: str) -> Response:
        state = api.repo(request, owner, name)
        rel = next((r for r in state.repo.releases if r.tag_name == tag and not r.draft), None)
        if rel is None:
            raise not_found()
        return api.reply(request, render.dumps(render.release(api.links(request), store.world, state.repo, rel)))

    @router.get(repo_path + "/commits/{ref:path}/check-runs")
    async def check_runs(request: Request, owner: str, name: str, ref: str) -> Response:
        state = api.repo(request, owner, name)
        sha = store.resolve_ref(state, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        runs = [r for r in state.repo.check_runs if r.sha == sha]
        if want_name := request.query_params.get("check_name"):
            runs = [r for r in runs if r.name == want_name]
        if want_status := request.query_params.get("status"):
            runs = [r for r in runs if r.status == want_status]
        if choice(request, "filter", ("latest", "all"), "latest") == "latest":
            latest = {r.name: r for r in sorted(runs, key=lambda r: (r.started_at, r.id))}
            runs = list(latest.values())
        runs.sort(key=lambda r: r.id, reverse=True)
        chosen, link = page_of(request, runs)
        links = api.links(request)
        body = {
            "total_count": len(runs),
            "check_runs": [render.check_run(links, store.world, state.repo, r) for r in chosen],
        }
        return api.reply(request, render.dumps(body), link=link)

    @router.get(repo_path + "/commits/{ref:path}/status")
    async def combined_status(request: Request, owner: str, name: str, ref: str) -> Response:
        state = api.repo(request, owner, name)
        sha = store.resolve_ref(state, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        latest = {
            s.context: s
            for s in sorted((s for s in state.repo.statuses if s.sha == sha), key=lambda s: (s.updated, s.id))
        }
        links = api.links(request)
        body = render.combined_status(links, state.repo, store.repo_json(links, state), sha, list(latest.values()))
        return api.reply(request, render.dumps(body))

    return router


async def _write_of(request: Request) -> tuple[str, Any]:
    """The login of the token behind a write (401 without one, as GitHub answers) and the request's JSON body."""
    caller: Caller = request.state.caller
    if caller.login is None:
        raise ApiError(401, "Requires authentication")
    return caller.login, await request.json()


def _sort(value: str) -> Sort:
    if value == "created":
        return "created"
    return "updated" if value == "updated" else "comments"


_REPO_QUERY = re.compile(r"(?:(\w+)\s*:\s*)?repository\s*\(([^)]*)\)\s*\{([^}]*)\}")
_ARG = re.compile(r"(\w+)\s*:\s*(?:\"([^\"]*)\"|\$(\w+))")


def graphql_answer(store: GitHubStore, links: Links, query: str, variables: dict[str, Any]) -> Json:
    """Answer ``repository(owner:, name:) { ... }`` selections (aliases allowed); anything else is an error."""
    data: Json = {}
    errors = []
    for alias, args, selection in _REPO_QUERY.findall(query):
        values = {key: literal or str(variables.get(var, "")) for key, literal, var in _ARG.findall(args)}
        state = store.repo(values.get("owner", ""), values.get("name", ""))
        key = alias or "repository"
        if state is None:
            data[key] = None
            errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [key],
                    "locations": [],
                    "message": f"Could not resolve to a Repository with the name "
                    f"'{values.get('owner')}/{values.get('name')}'.",
                }
            )
            continue
        repo = state.repo
        fields = {
            "id": render.node_id("Repository", repo.id),
            "databaseId": repo.id,
            "nameWithOwner": repo.full_name,
            "name": repo.name,
            "url": f"{links.html}/{repo.full_name}",
        }
        data[key] = {f: fields.get(f) for f in selection.split()}
    if not data:
        return {"errors": [{"message": "The sandbox answers only repository(owner:, name:) look-ups."}]}
    return {"data": data, **({"errors": errors} if errors else {})}


def create_app(world: World, options: GitHubOptions | None = None) -> FastAPI:
    """The GitHub sandbox app over ``world``; ``app.state.github`` is the :class:`GitHubApi` (store, limits, hooks)."""
    api = GitHubApi(world, options or GitHubOptions())
    app = FastAPI(title="GitHub sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.github = api
    app.state.webhooks = api.webhooks
    router = _api_router(api)
    app.include_router(router)
    app.include_router(router, prefix=ENTERPRISE_PREFIX)
    app.include_router(admin_router(api))

    async def graphql(request: Request) -> Response:
        api.gate(request, "graphql")
        payload = await request.json()
        body = graphql_answer(
            api.store, api.links(request), str(payload.get("query", "")), payload.get("variables") or {}
        )
        return api.reply(request, render.dumps(body))

    app.add_api_route("/graphql", graphql, methods=["POST"])
    app.add_api_route("/api/graphql", graphql, methods=["POST"])

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return api.error(request, exc)

    app.add_exception_handler(ApiError, on_error)

    async def fallback(request: Request, exc: Exception) -> Response:
        return api.error(request, not_found())

    app.add_exception_handler(404, fallback)
    app.add_middleware(FaultMiddleware, name="github", plan=api.options.faults)
    if api.options.prerender:
        threading.Thread(target=_prerender, args=(api.store,), name="github-prerender", daemon=True).start()
    return app


def _prerender(store: GitHubStore) -> None:
    store.warm()
    # why: the rendered bodies, the indexes and whatever else the process built at start live as long as it does;
    # frozen, a full collection no longer walks them (tens of ms each at 100k issues, charged to some request).
    # https://docs.python.org/3/library/gc.html#gc.freeze
    gc.freeze()
