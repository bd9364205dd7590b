"""The Jira sandbox's admin API: change the world as people would, under ``/_sandbox/`` (no real Jira path).

Every change moves the issue's ``updated`` forward (strictly after any earlier change) and emits the Jira webhook
the real site would send, through ``JiraOptions.on_event``. Bodies are JSON; ``actor`` is a login (default: the
first person in the world) and is the webhook's ``user``.

- ``POST   /_sandbox/issues``                 ``{"project", "type", "summary", "description"?, "assignee"?,
  "labels"?, "story_points"?, "fix_versions"? (names), "epic_key"?, "parent_key"?}`` → 201 ``{"id", "key"}``;
  ``jira:issue_created``
- ``PATCH  /_sandbox/issues/{key}``           any of ``summary, description, labels, priority, assignee (login or
  null), story_points, fix_versions (names)`` → 200 ``{"key", "updated"}``; ``jira:issue_updated``
- ``POST   /_sandbox/issues/{key}/transition`` ``{"to": "<status name>"}`` → 200; ``jira:issue_updated``
- ``POST   /_sandbox/issues/{key}/touch``      bump ``updated`` only → 200; ``jira:issue_updated`` (no items)
- ``DELETE /_sandbox/issues/{key}``           → 204; ``jira:issue_deleted``
- ``POST   /_sandbox/versions/{id}/release``  ``{"date"?: "yyyy-mm-dd"}`` → 200; ``jira:version_released``
- ``GET|POST /_sandbox/webhooks``            list / add ``{"url", "secret"?}`` a delivery target; an added target is
  passed to ``JiraOptions.register_webhook`` (the runner wires it to ``WebhookSender.register("jira", …)``)
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

from sandbox.jira.http import Json, error, read_json, reply
from sandbox.world import JiraIssue, Person

if TYPE_CHECKING:
    from sandbox.jira.app import JiraSite

_EDITABLE = {"summary", "description", "labels", "priority", "assignee", "story_points", "fix_versions"}


def install(app: FastAPI, site: JiraSite) -> None:
    world, store, events = site.world, site.store, site.events

    def actor(body: Json) -> Person:
        login = body.get("actor")
        person = next((p for p in world.people if p.login == login), None) if login else world.people[0]
        if person is None:
            raise error(400, f"unknown actor {login!r}")
        return person

    def account(login: str | None) -> str | None:
        if login is None:
            return None
        person = next((p for p in world.people if login in (p.login, p.account_id, p.email)), None)
        if person is None:
            raise error(400, f"unknown person {login!r}")
        return person.account_id

    def version_ids(project: str, names: list[str]) -> list[int]:
        found = {v.name: v.id for v in store.versions(project)}
        missing = [n for n in names if n not in found]
        if missing:
            raise error(400, f"unknown versions in {project}: {', '.join(missing)}")
        return [found[n] for n in names]

    def values_from(issue_project: str, body: Json) -> Json:
        values = {k: v for k, v in body.items() if k in _EDITABLE}
        if "assignee" in values:
            values["assignee"] = account(values["assignee"])
        if "fix_versions" in values:
            values["fix_versions"] = version_ids(issue_project, list(values["fix_versions"]))
        return values

    def issue_or_404(key: str) -> JiraIssue:
        issue = store.issue(key)
        if issue is None:
            raise error(404, f"no issue {key}")
        return issue

    def stamp(issue: JiraIssue) -> Response:
        return reply({"key": issue.key, "id": str(issue.id), "updated": issue.updated.isoformat()})

    @app.post("/_sandbox/issues")
    async def create(request: Request) -> Response:
        body = await read_json(request)
        project = store.project(str(body.get("project", "")))
        if project is None or not body.get("summary"):
            raise error(400, "project (an existing key) and summary are required")
        person = actor(body)
        values = values_from(project.key, body)
        values |= {k: body[k] for k in ("epic_key", "parent_key") if body.get(k)}
        kind = str(body.get("type", "Story"))
        summary = values.pop("summary")
        issue = store.create(project.key, kind, summary, person.account_id, **values)
        events.issue_created(issue, person)
        return reply({"id": str(issue.id), "key": issue.key}, 201)

    @app.patch("/_sandbox/issues/{key}")
    async def edit(request: Request, key: str) -> Response:
        issue, body = issue_or_404(key), await read_json(request)
        person = actor(body)
        changes = store.edit(issue, values_from(issue.project, body))
        if changes:
            events.issue_updated(issue, person, changes)
        return stamp(issue)

    @app.post("/_sandbox/issues/{key}/transition")
    async def transition(request: Request, key: str) -> Response:
        issue, body = issue_or_404(key), await read_json(request)
        project = world.jira_projects[issue.project]
        target = str(body.get("to", ""))
        if target not in {s.name for s in project.statuses} or target == issue.status:
            raise error(400, f"cannot move {issue.key} from {issue.status!r} to {target!r}")
        person = actor(body)
        events.issue_updated(issue, person, store.transition(issue, target, person.account_id))
        return stamp(issue)

    @app.post("/_sandbox/issues/{key}/touch")
    async def touch(request: Request, key: str) -> Response:
        issue, body = issue_or_404(key), await read_json(request)
        store.touch(issue)
        events.issue_updated(issue, actor(body), [])
        return stamp(issue)

    @app.delete("/_sandbox/issues/{key}")
    async def delete(request: Request, key: str) -> Response:
        issue, body = issue_or_404(key), await read_json(request)
        store.delete(issue)
        events.issue_deleted(issue, actor(body))
        return Response(status_code=204)

    @app.post("/_sandbox/versions/{version_id}/release")
    async def release(request: Request, version_id: int) -> Response:
        version, body = world.versions.get(version_id), await read_json(request)
        if version is None:
            raise error(404, f"no version {version_id}")
        store.release(version, date.fromisoformat(body["date"]) if body.get("date") else None)
        events.version_released(version, actor(body))
        return reply({"id": str(version.id), "released": True, "releaseDate": str(version.release_date)})

    @app.get("/_sandbox/webhooks")
    async def webhooks() -> Response:
        return reply({"targets": site.webhook_targets})

    @app.post("/_sandbox/webhooks")
    async def add_webhook(request: Request) -> Response:
        body = await read_json(request)
        if not str(body.get("url", "")).startswith(("http://", "https://")):
            raise error(400, "url must be an http(s) URL")
        url, secret = str(body["url"]), body.get("secret")
        site.webhook_targets.append(url)
        if site.options.register_webhook is not None:
            site.options.register_webhook(url, str(secret) if secret else None)
        return reply({"targets": site.webhook_targets}, 201)
