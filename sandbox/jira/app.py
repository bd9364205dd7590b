"""The Jira sandbox: Jira Cloud's (or Server/DC's) REST API over the shared world, as a FastAPI app.

``create_app(world, JiraOptions())`` serves, under ``/rest/api/{2,3,latest}`` (Server/DC: ``2`` and ``latest``):

- ``serverInfo``, ``myself``, ``mypermissions``, ``field``, ``project``, ``project/search``, ``project/{key}``
  (a project the caller cannot browse — ``JiraOptions.hidden_projects`` — is one that does not exist, for
  ``project/{key}``, its versions and ``mypermissions``);
- ``project/{key}/versions``, ``project/{key}/version`` (paged), ``version/{id}`` GET and PUT;
- Cloud: ``search/jql`` GET and POST, ``search/approximate-count``; the removed ``search`` answers 410 Gone.
  Server/DC: ``search`` with ``startAt``/``maxResults``/``total``; the Cloud-only routes (``search/jql``,
  ``search/approximate-count``, ``issue/{key}/changelog``, ``changelog/bulkfetch``) are 404;
- ``issue/{key}``, ``issue/{key}/changelog``, ``changelog/bulkfetch``, ``issue/{key}/transitions`` GET and POST,
  ``issue/{key}/comment`` GET and POST, ``issue/{key}/remotelink``;
- agile: ``/rest/agile/1.0/board``, ``/rest/agile/1.0/board/{id}/sprint``; on a site without Jira Software
  (``JiraOptions(jira_software=False)``) every ``/rest/agile/**`` path answers 404 instead.

The admin API is in :mod:`sandbox.jira.admin`; fault injection, request counts and ``Server-Timing``
(``/_sandbox/faults``, ``/_sandbox/stats``) come from :mod:`sandbox.faults`.
"""

from __future__ import annotations

import base64
import binascii
import gc
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import FastAPI, Request, Response

from sandbox.faults import FaultMiddleware, FaultPlan
from sandbox.jira import admin
from sandbox.jira.events import Events
from sandbox.jira.http import Json, Reply, error, int_param, not_found, read_json, reply, to_int
from sandbox.jira.jql import JqlError, parse
from sandbox.jira.options import JiraOptions
from sandbox.jira.render import SYSTEM_FIELDS, Encoded, View, adf_text, jira_datetime, transition_id
from sandbox.jira.store import JiraStore, decode_token, encode_token
from sandbox.world import JiraIssue, JiraVersion, Person, World

# why: https://developer.atlassian.com/changelog/#CHANGE-2046 — the old search answers 410 with this body
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration "
    "guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
# the project permissions a caller may ask about in mypermissions (the ones pmhub needs), as Jira describes them
PROJECT_PERMISSIONS: dict[str, Json] = {
    key: {"id": str(number), "name": name, "type": "PROJECT", "description": description}
    for key, number, name, description in (
        ("BROWSE_PROJECTS", 10, "Browse Projects", "Ability to browse projects and the issues within them."),
        ("TRANSITION_ISSUES", 46, "Transition Issues", "Ability to transition issues."),
        ("ADD_COMMENTS", 15, "Add Comments", "Ability to comment on issues."),
        ("ADMINISTER_PROJECTS", 23, "Administer Projects", "Ability to administer a project in Jira."),
    )
}
ID_ONLY_PAGE = 5_000  # search/jql with only id/key requested; see the maxResults parameter in the v3 description
FULL_PAGE = 100
SERVER_PAGE = 1_000


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class JiraSite:
    """Request plumbing shared by the handlers: authentication, the per-request view, field selection."""

    def __init__(self, world: World, options: JiraOptions) -> None:
        self.world = world
        self.options = options
        self.store = JiraStore(world, snapshots=options.search_snapshots)
        self.server = options.flavour == "server"
        self._emails = {p.email.lower(): p for p in world.people} | {p.login.lower(): p for p in world.people}
        self._logins = {p.login: p for p in world.people}
        self.events = Events(self.store, options, options.base_url or f"https://{world.site}")
        self.webhook_targets: list[str] = []
        self._encoded: dict[tuple[str, str], Encoded] = {}

    def site(self, request: Request) -> str:
        return self.options.base_url or str(request.base_url).rstrip("/")

    def zone_name(self, person: Person) -> str:
        return self.options.time_zones.get(person.login, "UTC")

    def caller(self, request: Request) -> Person:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        person: Person | None = None
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(credential).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, secret = "", ""
            candidate = self._emails.get(user.lower())
            if candidate is not None and hmac.compare_digest(secret.encode(), self.options.api_token.encode()):
                person = candidate
        elif scheme.lower() == "bearer" and credential in self.options.bearer_tokens:
            person = self._logins.get(self.options.bearer_tokens[credential])
        if person is not None:
            return person
        if not header:
            raise error(401, "You are not authenticated. Authentication required to perform this operation.")
        # why: Jira Cloud answers bad credentials with this plain-text body and the Seraph login header
        raise Reply(
            Response(
                "Client must be authenticated to access this resource.",
                status_code=401,
                media_type="text/plain;charset=UTF-8",
                headers={
                    "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                    "WWW-Authenticate": 'Basic realm="protected-area"',
                },
            )
        )

    def view(self, request: Request, api: str, person: Person | None = None) -> View:
        if api not in (("2", "latest") if self.server else ("2", "3", "latest")):
            raise not_found()
        person = person or self.caller(request)
        version, site = "2" if api == "latest" else api, self.site(request)
        return View(self.store, site, version, _zone(self.zone_name(person)), self.server, self.encoded(site, version))

    def encoded(self, site: str, api: str) -> Encoded:
        """What views of this site URL and API version encode once and keep (see :mod:`sandbox.jira.render`)."""
        found = self._encoded.get((site, api))
        if found is None:
            if len(self._encoded) >= 16:  # the site URL comes from the Host header: keep a few, not any number
                self._encoded.clear()
            found = self._encoded[(site, api)] = Encoded()
        return found

    def issue(self, key: str) -> JiraIssue:
        issue = self.store.issue(key)
        if issue is None:
            raise error(404, "Issue does not exist or you do not have permission to see it.")
        return issue

    def field_ids(self, requested: list[str] | None, default: str) -> set[str] | None:
        """Field ids from ``fields`` (comma lists, repeated, names or ids, ``*all``, ``-x``); None = all."""
        items = [f.strip() for part in (requested or [default]) for f in part.split(",") if f.strip()]
        by_name = {"story points": self.store.custom.story_points, "sprint": self.store.custom.sprint}
        by_name |= {
            "epic link": self.store.custom.epic_link,
            "story point estimate": self.store.custom.story_point_estimate,
        }
        every = {*SYSTEM_FIELDS, *self.store.custom.ids()}
        chosen: set[str] = set()
        excluded: set[str] = set()
        for item in items:
            if item in ("*all", "*navigable"):
                chosen |= every
            elif item.startswith("-"):
                excluded.add(by_name.get(item[1:].lower(), item[1:]))
            else:
                chosen.add(by_name.get(item.lower(), item))
        chosen -= excluded
        return None if chosen >= every and not excluded else chosen


@dataclass(frozen=True)
class SearchRequest:
    """A search's arguments, from the query string (GET) or the JSON body (POST)."""

    jql: str
    fields: list[str] | None
    expand: str
    max_results: int
    start_at: int
    token: str | None

    @classmethod
    async def read(cls, request: Request) -> SearchRequest:
        if request.method == "POST":
            body = await read_json(request)
            fields, expand = body.get("fields"), body.get("expand") or ""
            return cls(
                jql=str(body.get("jql") or ""),
                fields=[fields] if isinstance(fields, str) else fields,
                expand=",".join(expand) if isinstance(expand, list) else str(expand),
                max_results=to_int(body.get("maxResults"), "maxResults", 50),
                start_at=to_int(body.get("startAt"), "startAt", 0),
                token=str(body["nextPageToken"]) if body.get("nextPageToken") else None,
            )
        params = request.query_params
        return cls(
            jql=params.get("jql", ""),
            fields=params.getlist("fields") or None,
            expand=params.get("expand", ""),
            max_results=to_int(params.get("maxResults"), "maxResults", 50),
            start_at=to_int(params.get("startAt"), "startAt", 0),
            token=params.get("nextPageToken") or None,
        )


def _page(values: list[Any], start: int, size: int, self_url: str) -> Json:
    chunk = values[start : start + size]
    last = start + size >= len(values)
    body: Json = {"self": self_url, "maxResults": size, "startAt": start, "total": len(values), "isLast": last}
    if not last:
        body["nextPage"] = self_url.split("?")[0] + f"?startAt={start + size}&maxResults={size}"
    return body | {"values": chunk}


def create_app(world: World, options: JiraOptions | None = None) -> FastAPI:
    options = options or JiraOptions()
    site = JiraSite(world, options)
    # why: a large world is millions of long-lived objects; without freezing them every full GC pass walks them
    # all, which dominates page latency at 100k issues. https://docs.python.org/3/library/gc.html#gc.freeze
    gc.freeze()
    app = FastAPI(title=f"Jira sandbox ({options.flavour})", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.jira = site

    @app.exception_handler(Reply)
    async def answer(_: Request, exc: Reply) -> Response:
        return exc.response

    api = "/rest/api/{api}"

    def cloud_only() -> None:
        if site.server:
            raise not_found()

    @app.get(api + "/serverInfo")
    async def server_info(request: Request, api: str) -> Response:
        view = site.view(request, api, person=world.people[0])  # anonymous access is allowed here
        if site.server:
            version, numbers, build = "9.12.15", [9, 12, 15], 9120015
        else:
            version, numbers, build = "1001.0.0-SNAPSHOT", [1001, 0, 0], 100_283
        return reply(
            {
                "baseUrl": view.site,
                "version": version,
                "versionNumbers": numbers,
                "deploymentType": "Server" if site.server else "Cloud",
                "buildNumber": build,
                "buildDate": "2025-06-02T00:00:00.000+0000",
                "serverTime": jira_datetime(site.store.clock(), _zone("UTC")),
                "scmInfo": "2b7d2a5b0b4d7c4ae0b5e0d4a1c7f3e6d9a8b1c2",
                "serverTitle": "Jira",
            }
        )

    @app.get(api + "/myself")
    async def myself(request: Request, api: str) -> Response:
        person = site.caller(request)
        view = site.view(request, api, person)
        body = view.user(person, site.zone_name(person)) | {"locale": "en_US"}
        body |= {
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }
        return reply(body)

    @app.get(api + "/field")
    async def fields(request: Request, api: str) -> Response:
        return reply(site.view(request, api).field_catalogue())

    @app.get(api + "/project")
    async def projects(request: Request, api: str) -> Response:
        view = site.view(request, api)
        return reply([view.project(p, full=True) for p in world.jira_projects.values()])

    @app.get(api + "/project/search")
    async def project_search(request: Request, api: str) -> Response:
        view = site.view(request, api)
        keys = {k.upper() for value in request.query_params.getlist("keys") for k in value.split(",") if k}
        found = [view.project(p, full=True) for p in world.jira_projects.values() if not keys or p.key in keys]
        start, size = int_param(request, "startAt", 0), min(int_param(request, "maxResults", 50), 100)
        return reply(_page(found, start, size, str(request.url)))

    def project_or_404(request: Request, key: str) -> Any:
        project = site.store.project(key)
        hidden = site.options.hidden_projects.get(site.caller(request).login, frozenset())
        if project is None or project.key in hidden:
            raise error(404, f"No project could be found with key '{key}'.")
        return project

    @app.get(api + "/project/{key}")
    async def project(request: Request, api: str, key: str) -> Response:
        return reply(site.view(request, api).project(project_or_404(request, key), full=True))

    @app.get(api + "/project/{key}/versions")
    async def versions(request: Request, api: str, key: str) -> Response:
        view = site.view(request, api)
        return reply([view.version(v) for v in site.store.versions(project_or_404(request, key).key)])

    @app.get(api + "/mypermissions")
    async def my_permissions(request: Request, api: str) -> Response:
        site.view(request, api)  # the caller and the API version
        wanted = [k.strip() for k in request.query_params.get("permissions", "").split(",") if k.strip()]
        unknown = [k for k in wanted if k not in PROJECT_PERMISSIONS]
        if not wanted or unknown:
            raise error(400, f"Invalid permission keys: {', '.join(unknown) or '(none given)'}.")
        if request.query_params.get("projectKey"):
            project_or_404(request, request.query_params["projectKey"])
        # why: every account of the sandbox holds every project permission on the projects it can browse
        # (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get)
        return reply({"permissions": {k: {**PROJECT_PERMISSIONS[k], "key": k, "havePermission": True} for k in wanted}})

    @app.get(api + "/project/{key}/version")
    async def versions_paged(request: Request, api: str, key: str) -> Response:
        view = site.view(request, api)
        found = site.store.versions(project_or_404(request, key).key)
        statuses = {s for value in request.query_params.getlist("status") for s in value.split(",") if s}
        if statuses:
            found = [
                v
                for v in found
                if ("released" if v.released else "unreleased") in statuses
                or ("archived" if v.archived else "") in statuses
            ]
        start, size = int_param(request, "startAt", 0), min(int_param(request, "maxResults", 50), 50)
        return reply(_page([view.version(v) for v in found], start, size, str(request.url)))

    def version_or_404(version_id: str) -> JiraVersion:
        version = world.versions.get(int(version_id)) if version_id.isdigit() else None
        if version is None:
            raise error(404, f"Could not find version for id '{version_id}'")
        return version

    @app.get(api + "/version/{version_id}")
    async def version(request: Request, api: str, version_id: str) -> Response:
        return reply(site.view(request, api).version(version_or_404(version_id)))

    @app.put(api + "/version/{version_id}")
    async def update_version(request: Request, api: str, version_id: str) -> Response:
        person = site.caller(request)
        view = site.view(request, api, person)
        version, body = version_or_404(version_id), await read_json(request)
        try:
            released = site.store.update_version(version, body)
        except ValueError as exc:
            raise error(400, str(exc)) from None
        if released:
            site.events.version_released(version, person)
        else:
            site.events.version_updated(version, person)
        return reply(view.version(version))

    # ------------------------------------------------------------------------------------------------ search
    def render_page(
        view: View, issues: list[JiraIssue], requested: list[str] | None, default: str, expand: str
    ) -> list[orjson.Fragment]:
        wanted, expanded = site.field_ids(requested, default), expand.split(",")
        return view.issues(issues, wanted, "changelog" in expanded, "transitions" in expanded)

    async def search_jql(request: Request, api: str) -> Response:
        cloud_only()
        person = site.caller(request)
        view = site.view(request, api, person)
        ask = await SearchRequest.read(request)
        wanted = site.field_ids(ask.fields, "id")
        cap = ID_ONLY_PAGE if wanted is not None and wanted <= {"id", "key"} else FULL_PAGE
        size = max(1, min(ask.max_results, cap))
        snapshot_id: str | None = None
        ids: Sequence[int]
        if ask.token:
            decoded = decode_token(ask.token)
            frozen = site.store.thawed(decoded[0]) if decoded else None
            if decoded is None or frozen is None:
                raise error(400, "The provided next page token is invalid or expired.")
            (snapshot_id, offset), ids = decoded, frozen
        else:
            try:
                query = parse(ask.jql, world, view.zone)
            except JqlError as exc:
                raise error(400, str(exc)) from None
            if not query.bounded:
                raise error(400, UNBOUNDED)
            ids, offset = site.store.search(query), 0
        chosen = [site.store.issue_by_id(i) for i in ids[offset : offset + size]]
        page = render_page(view, [i for i in chosen if i is not None], ask.fields, "id", ask.expand)
        body: Json = {"issues": page}
        if offset + size < len(ids):
            snapshot_id = snapshot_id or site.store.freeze(ids)
            body["nextPageToken"] = encode_token(snapshot_id, offset + size)
        body["isLast"] = "nextPageToken" not in body
        return reply(body)

    app.add_api_route(api + "/search/jql", search_jql, methods=["GET", "POST"])

    @app.post(api + "/search/approximate-count")
    async def approximate_count(request: Request, api: str) -> Response:
        cloud_only()
        view = site.view(request, api)
        try:
            query = parse(str((await read_json(request)).get("jql") or ""), world, view.zone)
        except JqlError as exc:
            raise error(400, str(exc)) from None
        if not query.bounded:
            raise error(400, UNBOUNDED)
        return reply({"count": len(site.store.search(query))})

    async def search(request: Request, api: str) -> Response:
        person = site.caller(request)
        view = site.view(request, api, person)
        if not site.server:
            raise error(410, REMOVED_SEARCH)
        ask = await SearchRequest.read(request)
        try:
            query = parse(ask.jql, world, view.zone)
        except JqlError as exc:
            raise error(400, str(exc)) from None
        ids = site.store.search(query)
        start, size = max(0, ask.start_at), max(0, min(ask.max_results, SERVER_PAGE))
        chosen = [site.store.issue_by_id(i) for i in ids[start : start + size]]
        page = render_page(view, [i for i in chosen if i is not None], ask.fields, "*navigable", ask.expand)
        return reply(
            {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(ids), "issues": page}
        )

    app.add_api_route(api + "/search", search, methods=["GET", "POST"])

    # ------------------------------------------------------------------------------------------------ issues
    @app.get(api + "/issue/{key}")
    async def issue(request: Request, api: str, key: str) -> Response:
        view = site.view(request, api)
        requested = request.query_params.getlist("fields") or None
        expand = request.query_params.get("expand", "")
        return reply(render_page(view, [site.issue(key)], requested, "*all", expand)[0])

    @app.get(api + "/issue/{key}/changelog")
    async def changelog(request: Request, api: str, key: str) -> Response:
        cloud_only()
        view = site.view(request, api)
        histories = view.histories(site.issue(key))
        start, size = int_param(request, "startAt", 0), min(int_param(request, "maxResults", 100), 100)
        return reply(_page(histories, start, size, str(request.url)))

    @app.post(api + "/changelog/bulkfetch")
    async def bulk_changelog(request: Request, api: str) -> Response:
        cloud_only()
        view = site.view(request, api)
        body = await read_json(request)
        keys = [str(k) for k in body.get("issueIdsOrKeys", [])]
        if not keys or len(keys) > 1000:
            raise error(400, "issueIdsOrKeys must name between 1 and 1000 issues.")
        size = max(1, min(to_int(body.get("maxResults"), "maxResults", 1000), 10_000))
        entries = [(i, h) for k in keys if (i := site.store.issue(k)) for h in view.histories(i)]
        decoded = decode_token(str(body["nextPageToken"])) if body.get("nextPageToken") else None
        offset = decoded[1] if decoded else 0
        logs: dict[str, list[Any]] = {}
        for issue, history in entries[offset : offset + size]:
            logs.setdefault(str(issue.id), []).append(history)
        out: Json = {"issueChangeLogs": [{"issueId": k, "changeHistories": v} for k, v in logs.items()]}
        if offset + size < len(entries):
            out["nextPageToken"] = encode_token("bulk", offset + size)
        return reply(out)

    @app.get(api + "/issue/{key}/transitions")
    async def transitions(request: Request, api: str, key: str) -> Response:
        view = site.view(request, api)
        return reply({"expand": "transitions", "transitions": view.transitions(site.issue(key))})

    @app.post(api + "/issue/{key}/transitions")
    async def do_transition(request: Request, api: str, key: str) -> Response:
        person = site.caller(request)
        site.view(request, api, person)
        issue = site.issue(key)
        transition = (await read_json(request)).get("transition")
        wanted = str(transition.get("id", "")) if isinstance(transition, dict) else ""
        project = world.jira_projects[issue.project]
        target = next(
            (s for s in project.statuses if transition_id(project, s) == wanted and s.name != issue.status), None
        )
        if target is None:
            raise error(400, f"Transition id '{wanted}' is not valid for this issue.")
        changes = site.store.transition(issue, target.name, person.account_id)
        site.events.issue_updated(issue, person, changes)
        return Response(status_code=204)

    @app.get(api + "/issue/{key}/comment")
    async def comments(request: Request, api: str, key: str) -> Response:
        return reply(site.view(request, api).comments(site.issue(key)))

    @app.post(api + "/issue/{key}/comment")
    async def add_comment(request: Request, api: str, key: str) -> Response:
        person = site.caller(request)
        view = site.view(request, api, person)
        issue = site.issue(key)
        text = adf_text((await read_json(request)).get("body", ""))
        if not text.strip():
            raise Reply(reply({"errorMessages": [], "errors": {"comment": "Comment body can not be empty!"}}, 400))
        index = site.store.comment(issue, person.account_id, text)
        site.events.comment_created(issue, index, person)
        return reply(view.comment(issue, index), 201)

    @app.get(api + "/issue/{key}/remotelink")
    async def remote_links(request: Request, api: str, key: str) -> Response:
        return reply(site.view(request, api).remote_links(site.issue(key)))

    # ------------------------------------------------------------------------------------------------ agile
    if options.jira_software:
        _install_agile(app, site)
    else:
        _install_missing_agile(app, site)

    admin.install(app, site)
    app.add_middleware(FaultMiddleware, name="jira", plan=options.faults or FaultPlan())
    return app


def _install_agile(app: FastAPI, site: JiraSite) -> None:
    """Jira Software's agile API: boards and their sprints."""
    world = site.world

    @app.get("/rest/agile/1.0/board")
    async def boards(request: Request) -> Response:
        view = site.view(request, "latest")
        wanted = request.query_params.get("projectKeyOrId", "").upper()
        values = [
            {
                "id": p.board_id,
                "self": f"{view.site}/rest/agile/1.0/board/{p.board_id}",
                "name": f"{p.key} board",
                "type": "scrum",
                "location": {
                    "projectId": p.id,
                    "projectKey": p.key,
                    "projectName": p.name,
                    "displayName": f"{p.name} ({p.key})",
                    "projectTypeKey": "software",
                    "name": f"{p.name} ({p.key})",
                },
            }
            for p in world.jira_projects.values()
            if not wanted or wanted in (p.key, str(p.id))
        ]
        return reply(_agile_page(values, request))

    @app.get("/rest/agile/1.0/board/{board_id}/sprint")
    async def sprints(request: Request, board_id: int) -> Response:
        view = site.view(request, "latest")
        if all(p.board_id != board_id for p in world.jira_projects.values()):
            raise error(404, f"Board {board_id} does not exist or you do not have permission to see it.")
        states = {s for value in request.query_params.getlist("state") for s in value.split(",") if s}
        values = [
            view.sprint(s)
            for s in sorted(world.sprints.values(), key=lambda s: s.id)
            if s.board_id == board_id and (not states or s.state in states)
        ]
        return reply(_agile_page(values, request))


def _install_missing_agile(app: FastAPI, site: JiraSite) -> None:
    """A site without Jira Software: every agile path answers 404."""

    @app.api_route("/rest/agile/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def no_agile_api(request: Request, path: str) -> Response:
        # why: without Jira Software no plugin serves /rest/agile, and Jira's REST layer (Jersey) answers a path
        # nothing serves with 404 and this body, e.g. {"message": "null for uri: https://…/rest/agile/1.0/issue/
        # ABC-7000?expand=…", "status-code": 404} (https://github.com/qoomon/Jira-Issue-Card-Printer/issues/48)
        query = f"?{request.url.query}" if request.url.query else ""
        uri = f"{site.site(request)}{request.url.path}{query}"
        return reply({"message": f"null for uri: {uri}", "status-code": 404}, 404)


def _agile_page(values: list[Json], request: Request) -> Json:
    start, size = int_param(request, "startAt", 0), min(int_param(request, "maxResults", 50), 50)
    chunk = values[start : start + size]
    return {
        "maxResults": size,
        "startAt": start,
        "total": len(values),
        "isLast": start + size >= len(values),
        "values": chunk,
    }
