"""HTTP conversations with one Jira site, on the ``jira`` library's session under the shared retry policy.

The library's own retries are switched off (``max_retries=0``) so :class:`connectors.http.RetryPolicy` is the only
one; every answer is counted into the source's :class:`RequestStats` by a response hook. This module owns the site
facts (Cloud or Server/DC, the REST version, the user's time zone), the paginators of each listing, and the
write-back calls reconciliation makes (transition, comment, release a version).

Cloud searches go to ``/rest/api/3/search/jql`` with ``nextPageToken``; Server/DC to ``/rest/api/2/search`` with
``startAt``. The old Cloud ``/rest/api/{2,3}/search`` answers 410 Gone and is never called:
https://developer.atlassian.com/changelog/#CHANGE-2046
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from jira import JIRA

from connectors.http import RetryPolicy, count_responses
from connectors.jira.config import JiraSourceConfig
from connectors.jira.mapping import bulk_changelogs, changelog_histories, is_cloud, user_time_zone
from schema import BadDataError, ConfigError, RefusedError, StreamUnavailableError

Json = dict[str, Any]
# https://developer.atlassian.com/server/jira/platform/webhooks/#registering-a-webhook-via-the-jira-rest-api
WEBHOOKS_PATH = "/rest/webhooks/1.0/webhook"


@dataclass(frozen=True)
class JiraAccount:
    """The account a token acts as, by the field its flavour names users with: Cloud ``accountId``, Server/DC
    ``name`` (https://developer.atlassian.com/cloud/jira/platform/deprecation-notice-user-privacy-api-migration-guide/)."""

    field: Literal["accountId", "name"]
    value: str

    def acted(self, user: object) -> bool:
        """Whether ``user`` (a delivery's ``user``, a comment's ``author``) is this account."""
        return isinstance(user, dict) and user.get(self.field) == self.value


@dataclass(frozen=True)
class SiteFacts:
    cloud: bool
    time_zone: str
    account: JiraAccount | None  # None when /myself does not name the account
    display_name: str | None = None  # the account as people see it

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.cloud else "/rest/api/2"


class _LoopGuard:
    """Stops a listing whose server hands out the same page position twice (it would never end)."""

    def __init__(self, describe: str) -> None:
        self._describe = describe
        self._seen: set[str] = set()

    def check(self, position: str) -> None:
        if position in self._seen:
            raise BadDataError(f"jira: {self._describe} returned page position {position!r} twice; stopping")
        self._seen.add(position)


class JiraClient:
    """One authenticated session to a Jira site."""

    def __init__(self, config: JiraSourceConfig, token: str, policy: RetryPolicy) -> None:
        self.config = config
        auth: dict[str, Any] = {"basic_auth": (config.email, token)} if config.email else {"token_auth": token}
        self._jira = JIRA(
            server=config.url,
            get_server_info=False,
            max_retries=0,
            timeout=config.timeout_seconds,
            logging=False,
            **auth,
        )
        self._session = count_responses(self._jira._session, policy.stats)
        self.policy = policy
        self._facts: SiteFacts | None = None

    # ------------------------------------------------------------------------------------------- plain calls

    def get(self, path: str, *, describe: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.policy.get_json(self._session, self.config.url + path, describe=describe, params=params)

    def post(self, path: str, body: Mapping[str, Any], *, describe: str) -> Any:
        return self.send("POST", path, body, describe=describe)

    def send(self, method: str, path: str, body: Mapping[str, Any], *, describe: str) -> Any:
        """A JSON ``body`` sent with ``method`` (POST, PUT) under the policy; the JSON answer."""
        return self.policy.get_json(
            self._session, self.config.url + path, describe=describe, method=method, data=json.dumps(body)
        )

    def facts(self) -> SiteFacts:
        """Cloud or Server/DC (config, else ``/serverInfo``), the user's time zone and account (``/myself``), once."""
        if self._facts is None:
            flavour = self.config.flavour
            if flavour == "auto":
                cloud = is_cloud(self.get("/rest/api/2/serverInfo", describe="server info"))
            else:
                cloud = flavour == "cloud"
            myself = self.get("/rest/api/2/myself", describe="current user (/myself)")
            key: Literal["accountId", "name"] = "accountId" if cloud else "name"
            account = JiraAccount(key, str(myself[key])) if myself.get(key) else None
            shown = myself.get("displayName")
            zone = user_time_zone(myself)
            self._facts = SiteFacts(cloud, zone, account, shown if isinstance(shown, str) else None)
        return self._facts

    # ------------------------------------------------------------------------------------------------ search

    def search(
        self, jql: str, fields: Sequence[str], *, page_size: int, expand: str | None = None, reread: int = 0
    ) -> Iterator[Json]:
        """Pages (raw answers) of a JQL search, each with ``issues``; Cloud by token, Server/DC by offset.

        An offset shifts when an issue before it is deleted, or updated and so moved to the end of an ``ORDER BY
        updated`` listing, which would skip the next one; on Server/DC each page after the first starts ``reread``
        issues early to absorb that many moves (the caller de-duplicates). Cloud's token pages are not affected.
        """
        facts = self.facts()
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": page_size}
        if expand:
            params["expand"] = expand
        guard = _LoopGuard(f"search {jql!r}")
        if facts.cloud:
            token: str | None = None
            while True:
                page = self.get(f"{facts.api}/search/jql", describe="issue search", params=params)
                yield page
                token = page.get("nextPageToken")
                if page.get("isLast", token is None) or not token or not page.get("issues"):
                    return
                guard.check(token)
                params["nextPageToken"] = token
        else:
            start = 0
            while True:
                params["startAt"] = start
                page = self._server_search(facts.api, params)
                yield page
                issues = page.get("issues") or []
                end = start + len(issues)
                if not issues or end >= int(page.get("total", 0)):
                    return
                start = max(end - reread, start + 1)
                guard.check(str(start))

    def _server_search(self, api: str, params: Mapping[str, Any]) -> Json:
        try:
            page: Json = self.get(f"{api}/search", describe="issue search", params=params)
        except RefusedError as exc:
            if exc.status == 410:
                raise ConfigError(
                    f"jira: {self.config.url} is Jira Cloud, where /rest/api/2/search is removed; "
                    'set flavour = "auto" (or "cloud") for this source'
                ) from exc
            raise
        return page

    def bulk_changelogs(self, issue_ids: Sequence[str]) -> dict[str, list[Json]]:
        """Full status histories of ``issue_ids`` whose search changelog was cut short.

        Cloud: ``POST /changelog/bulkfetch`` (1,000 issues a request); Server/DC has no bulk endpoint, so the issue
        itself is read with ``expand=changelog`` — Server search answers are not truncated, so this stays rare.
        """
        facts = self.facts()
        result: dict[str, list[Json]] = {}
        if not facts.cloud:
            for issue_id in issue_ids:
                issue = self.get(
                    f"{facts.api}/issue/{issue_id}",
                    describe=f"changelog of issue {issue_id}",
                    params={"fields": "status", "expand": "changelog"},
                )
                result[issue_id] = [dict(h) for h in changelog_histories(issue.get("changelog") or {"histories": []})]
            return result
        for chunk_start in range(0, len(issue_ids), 1000):
            body: dict[str, Any] = {
                "issueIdsOrKeys": list(issue_ids[chunk_start : chunk_start + 1000]),
                "fieldIds": ["status"],
                "maxResults": 1000,
            }
            guard = _LoopGuard("changelog bulk fetch")
            while True:
                page = self.post(f"{facts.api}/changelog/bulkfetch", body, describe="changelog bulk fetch")
                for issue_id, histories in bulk_changelogs(page).items():
                    result.setdefault(issue_id, []).extend(dict(h) for h in histories)
                token = page.get("nextPageToken")
                if not token:
                    break
                guard.check(token)
                body["nextPageToken"] = token
        return result

    def remote_links(self, issue_id: str) -> list[Json]:
        links: list[Json] = self.get(
            f"{self.facts().api}/issue/{issue_id}/remotelink", describe=f"remote links of issue {issue_id}"
        )
        return links

    def my_permissions(self, project: str, keys: Sequence[str]) -> dict[str, bool]:
        """Which of the project permissions ``keys`` the token's account holds on ``project``; a project it cannot
        browse answers 404, as one that does not exist
        (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permissions/#api-rest-api-3-mypermissions-get)."""
        params = {"projectKey": project, "permissions": ",".join(keys)}
        answer = self.get(f"{self.facts().api}/mypermissions", describe=f"permissions on {project}", params=params)
        found = answer.get("permissions") if isinstance(answer, dict) else None
        if not isinstance(found, dict):
            raise BadDataError(f"jira: mypermissions of {project} answered without permissions")
        return {k: isinstance(v := found.get(k), dict) and v.get("havePermission") is True for k in keys}

    def project_key(self, project_id: str) -> str | None:
        """The key of the project with id ``project_id``."""
        project = self.get(f"/rest/api/2/project/{project_id}", describe=f"project {project_id}")
        return str(project["key"]) if isinstance(project, dict) and project.get("key") else None

    def webhooks(self) -> list[Json]:
        """The site's admin webhooks (``GET /rest/webhooks/1.0/webhook``, one unpaged list)."""
        listed: list[Json] = self.get(WEBHOOKS_PATH, describe="admin webhooks") or []
        return listed

    def save_webhook(self, body: Mapping[str, Any], hook_id: str | None = None) -> Json:
        """Register an admin webhook (``POST``), or change webhook ``hook_id`` (``PUT …/{id}``)."""
        if hook_id is None:
            created: Json = self.send("POST", WEBHOOKS_PATH, body, describe="new admin webhook")
            return created
        changed: Json = self.send("PUT", f"{WEBHOOKS_PATH}/{hook_id}", body, describe=f"admin webhook {hook_id}")
        return changed

    def fields(self) -> list[Json]:
        answer: list[Json] = self.get(f"{self.facts().api}/field", describe="field list (/field)")
        return answer

    # ------------------------------------------------------------------------------------------- other lists

    def offset_pages(self, path: str, *, describe: str, page_size: int = 50) -> Iterator[list[Json]]:
        """``values`` of a ``startAt``/``maxResults``/``isLast`` listing (versions, boards, sprints)."""
        start = 0
        guard = _LoopGuard(describe)
        while True:
            page = self.get(path, describe=describe, params={"startAt": start, "maxResults": page_size})
            values: list[Json] = page.get("values") or []
            yield values
            start += len(values)
            if page.get("isLast", True) or not values:
                return
            guard.check(str(start))

    def versions(self, project: str) -> Iterator[list[Json]]:
        try:
            yield from self.offset_pages(
                f"{self.facts().api}/project/{project}/version", describe=f"versions of project {project}"
            )
        except RefusedError as exc:
            if exc.status == 404:
                raise ConfigError(
                    f"jira: project {project} was not found at {self.config.url}, or the account whose token is in "
                    f"{self.config.token_env} cannot browse it"
                ) from exc
            raise

    def boards(self, project: str) -> list[Json]:
        """The agile boards of ``project``; a site without Jira Software raises :class:`StreamUnavailableError`."""
        boards: list[Json] = []
        start = 0
        guard = _LoopGuard(f"boards of project {project}")
        while True:
            try:
                page = self.get(
                    "/rest/agile/1.0/board",
                    describe=f"boards of project {project}",
                    params={"projectKeyOrId": project, "startAt": start, "maxResults": 50},
                )
            except RefusedError as exc:
                # why: boards and sprints are Jira Software's agile API; a site without it (Jira Work Management,
                # Server/DC without Software) answers 404 for every /rest/agile path, while a project the board
                # search does not know answers 400 (https://developer.atlassian.com/cloud/jira/software/rest/)
                if exc.status != 404:
                    raise
                raise StreamUnavailableError(
                    f"jira: {self.config.url} has no Jira Software (its agile API answers 404), so it has no "
                    "boards or sprints to read"
                ) from exc
            values = page.get("values") or []
            boards.extend(values)
            start += len(values)
            if page.get("isLast", True) or not values:
                return boards
            guard.check(str(start))

    def sprints(self, board_id: int | str) -> Iterator[list[Json]]:
        yield from self.offset_pages(
            f"/rest/agile/1.0/board/{board_id}/sprint", describe=f"sprints of board {board_id}"
        )

    # -------------------------------------------------------------------------------------------- write-back

    def transition(self, key: str, to_status: str) -> str:
        """Move ``key`` to the status named ``to_status`` (case-insensitive); returns the transition id used."""
        transitions: list[Json] = self.policy.call(
            lambda: self._jira.transitions(key), describe=f"transitions of issue {key}"
        )
        wanted = to_status.casefold()
        match = next(
            (t for t in transitions if str((t.get("to") or {}).get("name", "")).casefold() == wanted),
            None,
        ) or next((t for t in transitions if str(t.get("name", "")).casefold() == wanted), None)
        if match is None:
            offered = ", ".join(sorted({str((t.get("to") or {}).get("name", t.get("name"))) for t in transitions}))
            raise ConfigError(
                f"jira: issue {key} cannot move to {to_status!r} from its status; it can go to: {offered}"
            )
        transition_id = str(match["id"])
        self.policy.call(lambda: self._jira.transition_issue(key, transition_id), describe=f"transition of {key}")
        return transition_id

    def add_comment(self, key: str, text: str) -> str:
        """Comment on ``key`` (REST v2, plain text on Cloud and Server alike); returns the comment id."""
        comment = self.policy.call(lambda: self._jira.add_comment(key, text), describe=f"comment on issue {key}")
        return str(comment.id)

    def release_version(self, version_id: str, release_date: date | None = None) -> None:
        """Mark a version released (with ``release_date``, if given)."""
        changes: dict[str, Any] = {"released": True}
        if release_date is not None:
            changes["releaseDate"] = release_date.isoformat()
        self.send("PUT", f"/rest/api/2/version/{version_id}", changes, describe=f"release of version {version_id}")
