"""Repository webhooks of the GitHub sandbox, as GitHub's REST API keeps them.

``GET /repos/{o}/{r}/hooks`` (paged like every listing: ``per_page`` up to 100, 30 by default, ``Link`` with
``rel="next"``), ``POST /repos/{o}/{r}/hooks`` → 201, ``GET|PATCH|DELETE /repos/{o}/{r}/hooks/{id}``
(https://docs.github.com/en/rest/repos/webhooks). A token is required (401 without one). An active hook is a
delivery target of the shared :class:`~sandbox.webhooks.WebhookSender` for its repository and subscribed events;
its secret signs the deliveries and is shown as ``********``, as GitHub does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.github import render
from sandbox.github.core import ApiError, Caller, GitHubApi, not_found, page_of
from sandbox.github.render import Json, iso
from sandbox.github.store import RepoState

_DEFAULT_EVENTS = ("push",)
_MASKED = "********"  # how GitHub shows a hook's secret


@dataclass
class Hook:
    id: int
    url: str
    events: list[str]
    active: bool
    content_type: str
    insecure_ssl: str
    secret: str | None
    created: datetime
    updated: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.updated = self.created

    def render(self, api: str, repo: str) -> Json:
        base = f"{api}/repos/{repo}/hooks/{self.id}"
        config: Json = {"content_type": self.content_type, "insecure_ssl": self.insecure_ssl, "url": self.url}
        if self.secret:
            config["secret"] = _MASKED
        return {
            "type": "Repository",
            "id": self.id,
            "name": "web",
            "active": self.active,
            "events": list(self.events),
            "config": config,
            "updated_at": iso(self.updated),
            "created_at": iso(self.created),
            "url": base,
            "test_url": f"{base}/test",
            "ping_url": f"{base}/pings",
            "deliveries_url": f"{base}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        }


def _invalid(message: str) -> ApiError:
    return ApiError(422, "Validation Failed", errors=[{"resource": "Hook", "code": "custom", "message": message}])


def _authenticated(request: Request) -> None:
    caller: Caller = request.state.caller
    if caller.login is None:
        raise ApiError(401, "Requires authentication")


async def _body(request: Request) -> Json:
    _authenticated(request)
    payload = await request.json()
    if not isinstance(payload, dict):
        raise ApiError(400, "Problems parsing JSON")
    return payload


def hooks_router(api: GitHubApi) -> APIRouter:
    """The routes; they join the API router, so the same gate (auth, rate limits) applies."""
    router = APIRouter()
    path = "/repos/{owner}/{name}/hooks"
    kept: dict[str, list[Hook]] = {}

    def listed(state: RepoState) -> list[Hook]:
        return kept.setdefault(state.repo.full_name, [])

    def find(state: RepoState, hook_id: int) -> Hook:
        hook = next((h for h in listed(state) if h.id == hook_id), None)
        if hook is None:
            raise not_found()
        return hook

    def deliver_to(state: RepoState, hook: Hook) -> None:
        if hook.active:
            repo, events = state.repo.full_name, frozenset(hook.events)
            api.webhooks.register("github", hook.url, hook.secret, repo=repo, events=events, hook_id=hook.id)

    def apply(hook: Hook, payload: Json) -> None:
        config = payload.get("config", {})
        if not isinstance(config, dict):
            raise _invalid("config must be an object")
        hook.url = str(config.get("url", hook.url))
        if not hook.url.startswith(("http://", "https://")):
            raise _invalid("Config url must be an http(s) URL")
        hook.content_type = str(config.get("content_type", hook.content_type))
        hook.insecure_ssl = str(config.get("insecure_ssl", hook.insecure_ssl))
        hook.secret = str(config["secret"]) if config.get("secret") else hook.secret
        events = payload.get("events", hook.events)
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise _invalid("events must be a list of event names")
        hook.events = list(events)
        hook.active = bool(payload.get("active", hook.active))
        hook.updated = api.store.now()

    def answer(request: Request, state: RepoState, hook: Hook, status: int = 200) -> Response:
        body = hook.render(api.links(request).api, state.repo.full_name)
        return api.reply(request, render.dumps(body), status=status)

    @router.get(path)
    async def list_hooks(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        _authenticated(request)
        chosen, link = page_of(request, listed(state))
        links = api.links(request)
        bodies = [hook.render(links.api, state.repo.full_name) for hook in chosen]
        return api.reply(request, render.dumps(bodies), link=link)

    @router.post(path)
    async def create_hook(request: Request, owner: str, name: str) -> Response:
        state = api.repo(request, owner, name)
        payload = await _body(request)
        if payload.get("name", "web") != "web":
            raise _invalid("Name must be 'web' for repository hooks")
        if not isinstance(payload.get("config"), dict) or not payload["config"].get("url"):
            raise _invalid("Config must contain url")
        hook = Hook(
            id=api.webhooks.next_hook_id(),
            url="",
            events=list(_DEFAULT_EVENTS),
            active=True,
            content_type="form",
            insecure_ssl="0",
            secret=None,
            created=api.store.now(),
        )
        apply(hook, payload)
        listed(state).append(hook)
        deliver_to(state, hook)
        return answer(request, state, hook, 201)

    @router.get(path + "/{hook_id}")
    async def get_hook(request: Request, owner: str, name: str, hook_id: int) -> Response:
        state = api.repo(request, owner, name)
        _authenticated(request)
        return answer(request, state, find(state, hook_id))

    @router.patch(path + "/{hook_id}")
    async def edit_hook(request: Request, owner: str, name: str, hook_id: int) -> Response:
        state = api.repo(request, owner, name)
        hook = find(state, hook_id)
        before = hook.url
        apply(hook, await _body(request))
        api.webhooks.unregister("github", before, repo=state.repo.full_name)
        deliver_to(state, hook)
        return answer(request, state, hook)

    @router.delete(path + "/{hook_id}")
    async def delete_hook(request: Request, owner: str, name: str, hook_id: int) -> Response:
        state = api.repo(request, owner, name)
        _authenticated(request)
        hook = find(state, hook_id)
        listed(state).remove(hook)
        api.webhooks.unregister("github", hook.url, repo=state.repo.full_name)
        return Response(status_code=204)

    return router

