"""Property: Jira's own examples and real deliveries, bent every way a foreign answer can be, map or are rejected
by name.

Every mapper and every reader of a Jira answer ends in a valid record (or the value it reads), a
:class:`BadDataError` naming a field the mutation touched, or — when the status itself was bent — the
:class:`UnmappedStatusError` that names the status and the ``[status_map]`` key to add (a status no rule maps is a
configuration question by design, never a guess). Nothing else may escape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hypothesis import strategies as st

from connectors.http import RetryPolicy
from connectors.jira import mapping, webhooks
from connectors.jira.client import JiraAccount
from connectors.jira.config import JiraFieldIds, JiraSourceConfig
from connectors.jira.source import JiraSource
from schema import StatusRules, UnmappedStatusError
from tests.connectors.jira.vendor import REST, SPRINT, WEBHOOKS, load
from tests.support.canned import Canned
from tests.support.mutations import EVERYWHERE, assert_mapped_or_named, each, mutated, outcome, unicode_everywhere

SITE = "acme.atlassian.net"
OBSERVED = datetime(2026, 1, 1, tzinfo=UTC)
# field ids no vendor example uses for anything else (sites number their custom fields as they like)
FIELDS = JiraFieldIds(story_points="customfield_90016", sprint="customfield_90020", epic_link="customfield_90014")
CTX = mapping.MappingContext(
    site=SITE, rules=StatusRules(), fields=FIELDS, base_url=f"https://{SITE}", epic_ids={"TES-1": "10001"}
)
STATUS_FIELDS = frozenset({"status", "statusCategory", "name", "key"})
RULES = StatusRules(jira={"*": {"In Progress": "in_progress", "Closed": "done"}})


def _issues() -> list[Any]:
    """Webhook issues (complete), one with every custom field the context names, and a REST example (which lacks
    fields, so it is rejected bent or not)."""
    hooked = [load(path)["issue"] for path in sorted(WEBHOOKS.rglob("jira_issue_*.json"))]
    base = load(WEBHOOKS / "cloud/jira_issue_updated.custom_field.json")["issue"]
    sprint = [{"id": 37, "name": "TES Sprint 2", "state": "active", "boardId": 3}]
    custom = {"customfield_90016": "14.0", "customfield_90020": sprint, "customfield_90014": "TES-1"}
    return [*hooked, {**base, "fields": {**base["fields"], **custom}}, load(REST / "issues/get_issue.json")]


READERS: dict[str, tuple[Callable[[Any], Any], list[Any]]] = {
    "issue": (lambda raw: mapping.map_issue(raw, CTX), _issues()),
    "version": (
        lambda raw: mapping.map_version(raw, SITE, "PR", OBSERVED),
        [*load(REST / "versions/get_project_versions.json"), load(REST / "versions/get_version.json")],
    ),
    "sprint": (lambda raw: mapping.map_sprint(raw, SITE, OBSERVED), [SPRINT]),
    "changelog": (
        lambda raw: mapping.map_histories(SITE, "10100", mapping.changelog_histories(raw)),
        [
            load(REST / "changelogs/get_changelogs.json"),
            load(REST / "changelogs/get_changelogs_by_ids.json"),
        ],
    ),
    "bulk changelog": (
        lambda raw: mapping.bulk_changelogs(raw),
        [load(REST / "changelogs/bulk_fetch_changelogs.json")],
    ),
    "delivery changelog": (
        lambda raw: mapping.webhook_status_changes(raw, SITE),
        [load(WEBHOOKS / "server/jira_issue_updated.closed.json"), load(WEBHOOKS / "cloud/jira_issue_created.json")],
    ),
    "field list": (lambda raw: mapping.discover_fields(raw, None), [load(REST / "fields/get_fields.json")]),
    "server info": (mapping.is_cloud, [load(REST / "meta/server_info.json")]),
    "myself": (mapping.user_time_zone, [load(REST / "meta/myself.json")]),
    "remote links": (mapping.remote_link_urls, [load(REST / "issues/get_remote_issue_links.json")]),
    # the vendor's example categories ("in-flight", "completed") are no statusCategory keys Jira has, so its
    # statuses map by name here
    "status": (
        lambda raw: mapping.map_status("EX", raw, RULES),
        load(REST / "workflow/get_all_statuses.json"),
    ),
}


@each("reader", READERS)
def test_a_bent_example_is_read_or_rejected_naming_a_field_it_touched(reader: str, data: st.DataObject) -> None:
    read, examples = READERS[reader]
    base = data.draw(st.sampled_from(examples))
    assert_mapped_or_named(read, base, *data.draw(mutated(base)), status_fields=STATUS_FIELDS)


@each("reader", READERS)
def test_unicode_around_every_string_is_read_or_rejected(reader: str, data: st.DataObject) -> None:
    read, examples = READERS[reader]
    base = data.draw(st.sampled_from(examples))
    assert_mapped_or_named(read, base, data.draw(unicode_everywhere(base)), EVERYWHERE, STATUS_FIELDS)


# ------------------------------------------------------------------------------------------ webhook deliveries


@dataclass(frozen=True)
class Offline:
    """The :class:`webhooks.JiraSite` of the source a delivery belongs to, with nothing to read: the context
    above, an issue the site no longer shows, one project."""

    config: JiraSourceConfig

    def context(self, raw_issues: Sequence[Any]) -> mapping.MappingContext:
        return CTX

    def fetch_issue(self, issue_id: str) -> None:
        return None

    def version_project(self, version: Any) -> str:
        return "TES"

    def account(self) -> JiraAccount:
        return JiraAccount("accountId", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")


SITE_OF_DELIVERIES = Offline(JiraSourceConfig(url=f"https://{SITE}", token_env="JIRA_TOKEN", projects=["TES"]))


def _deliveries() -> list[tuple[str, Any]]:
    """Every delivery file (the Server one without an event name is an issue update), and a version and a sprint
    event around the REST version and the documented sprint (no captured delivery carries one)."""
    files = [load(path) for path in sorted(WEBHOOKS.rglob("*.json"))]
    found = [(str(payload.get("webhookEvent", "jira:issue_updated")), payload) for payload in files]
    version = {"timestamp": 1565752078358, "webhookEvent": "jira:version_released"}
    sprint = {"timestamp": 1565752078358, "webhookEvent": "sprint_started"}
    return [
        *found,
        ("jira:version_released", {**version, "version": load(REST / "versions/get_version.json")}),
        ("sprint_started", {**sprint, "sprint": SPRINT}),
    ]


DELIVERIES = _deliveries()


def translate(event: str, payload: Any) -> Any:
    webhooks.subject(event, payload)
    return webhooks.change(event, payload, SITE_OF_DELIVERIES, OBSERVED)


@each("event", {event for event, _ in DELIVERIES})
def test_a_bent_delivery_changes_records_or_is_rejected_naming_a_field_it_touched(
    event: str, data: st.DataObject
) -> None:
    base = data.draw(st.sampled_from([payload for named, payload in DELIVERIES if named == event]))
    bent = data.draw(mutated(base, at_root=False))
    assert_mapped_or_named(partial(translate, event), base, *bent, status_fields=STATUS_FIELDS)


# ------------------------------------------------------------------------------------------ a page, one item bent


def _issue(number: int) -> dict[str, Any]:
    """The custom-field example as issue ``number``, with one status transition of its own in its changelog."""
    base = _issues()[-2]
    delivery = load(WEBHOOKS / "server/jira_issue_updated.closed.json")
    history = {**delivery["changelog"], "id": str(number), "created": "2019-08-14T11:07:58.354+0800"}
    return {**base, "id": str(number), "key": f"TES-{number}", "changelog": {"histories": [history], "total": 1}}


def _version(number: int) -> dict[str, Any]:
    return {**load(REST / "versions/get_version.json"), "id": str(number), "name": f"v{number}"}


def _search(page: list[Any]) -> Callable[[dict[str, str]], Any]:
    def answer(params: dict[str, str]) -> Any:
        epics_only = "issuetype = Epic" in params.get("jql", "")
        return {"issues": [] if epics_only else page, "isLast": True}

    return answer


@dataclass(frozen=True)
class JiraListing:
    stream: str
    item: Callable[[int], dict[str, Any]]
    serve: Callable[[Canned, list[Any]], None]
    ids: Callable[[int], str]  # the record id a good item gives


def _serve_search(server: Canned, page: list[Any]) -> None:
    server.answers["/rest/api/3/search/jql"] = _search(page)


def _serve_versions(server: Canned, page: list[Any]) -> None:
    server.answers["/rest/api/3/project/TES/version"] = {"values": page, "isLast": True}


LISTINGS = {
    "issues": JiraListing("issues", _issue, _serve_search, lambda n: f"jira:{SITE}:issue:{n}"),
    "status_changes": JiraListing("status_changes", _issue, _serve_search, lambda n: f"jira:{SITE}:status_change:{n}"),
    "versions": JiraListing("versions", _version, _serve_versions, lambda n: f"jira:{SITE}:version:{n}"),
}
GOOD = (90001, 90002, 90003)
# what the streams read besides the page: the account, the field list, the changelogs Jira cut short
AROUND = {
    "/rest/api/2/myself": {"accountId": "557058:f58131cb", "timeZone": "UTC"},
    "/rest/api/3/field": [],
    "/rest/api/3/changelog/bulkfetch": {"issueChangeLogs": []},
}


@each("name", LISTINGS)
def test_one_bent_item_among_good_ones_is_mapped_or_rejected_and_the_rest_of_the_page_is_kept(
    server: Canned, name: str, data: st.DataObject
) -> None:
    listing = LISTINGS[name]
    bent, _ = data.draw(mutated(listing.item(90004)))
    server.answers.update(AROUND)
    listing.serve(server, [listing.item(GOOD[0]), bent, *(listing.item(n) for n in GOOD[1:])])
    config = JiraSourceConfig(
        url=server.url, site=SITE, token_env="JIRA_TOKEN", projects=["TES"], flavour="cloud", fields=FIELDS
    )
    policy = RetryPolicy(tool="jira", credential=config.token_env, sleep=lambda _: None)
    source = JiraSource("jira", config, RULES, "canned-token", policy=policy)
    stream = next(s for s in source.streams() if s.name == listing.stream)

    pages = outcome(lambda: list(stream.pages(None)), (UnmappedStatusError,))
    if isinstance(pages, Exception):
        return  # the bent item's status is one no rule maps: the stream stops, naming it (by design)

    records = {m.record.id for p in pages for m in p.records}
    rejected = [r for p in pages for r in p.rejected]
    assert {listing.ids(n) for n in GOOD} <= records
    assert len(rejected) <= 1
    assert rejected or len(records) >= len(GOOD) + (listing.stream != "status_changes")
