"""Jira payloads from the vendor's own examples and real webhook deliveries → schema records (or named rejections)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from connectors.jira import mapping
from connectors.jira.config import JiraFieldIds
from schema import (
    BadDataError,
    ReleaseKind,
    StatusCategory,
    StatusRules,
    UnmappedStatusError,
    WorkItemType,
)
from tests.connectors.jira.vendor import REST, SPRINT, WEBHOOKS, load

SITE = "acme.atlassian.net"
CTX = mapping.MappingContext(site=SITE, rules=StatusRules(), base_url="https://acme.atlassian.net")
OBSERVED = datetime(2026, 1, 1, tzinfo=UTC)


def webhook_issue(name: str) -> dict[str, Any]:
    issue: dict[str, Any] = load(WEBHOOKS / name)["issue"]
    return issue


# ------------------------------------------------------------------------------------------------ issues: REST


@pytest.mark.parametrize(
    ("fixture", "missing"),
    [
        ("search/search_jql_get.json", "issuetype, status, summary, created"),
        ("search/search_jql_post.json", "issuetype, status, summary, created"),
        ("search/search_legacy_get_deprecated.json", "issuetype, status, summary, created"),
        ("search/search_legacy_post_deprecated.json", "issuetype, status, summary, created"),
        ("search/bulk_fetch_issues.json", "issuetype, status, created, updated"),
        ("issues/get_issue.json", "issuetype, status, summary, created"),
    ],
)
def test_vendor_issue_examples_are_rejected_naming_the_fields_they_lack(fixture: str, missing: str) -> None:
    answer = load(REST / fixture)
    issues = answer.get("issues", [answer])
    assert issues
    for issue in issues:
        with pytest.raises(BadDataError, match=f"is missing fields: {missing}$") as caught:
            mapping.map_issue(issue, CTX)
        assert caught.value.native_id == issue["id"]


def test_v3_adf_description_becomes_plain_text_and_v2_text_is_kept() -> None:
    adf = load(REST / "issues/get_issue.json")["fields"]["description"]
    text = load(REST / "search/search_jql_get.json")["issues"][0]["fields"]["description"]
    issue = webhook_issue("cloud/jira_issue_created.json")

    as_v3 = mapping.map_issue({**issue, "fields": {**issue["fields"], "description": adf}}, CTX)
    as_v2 = mapping.map_issue({**issue, "fields": {**issue["fields"], "description": text}}, CTX)

    assert as_v3.description == "Main order flow broken"
    assert as_v2.description == "Main order flow broken"


def test_adf_blocks_lists_and_breaks_become_lines() -> None:
    comment_body = load(REST / "issues/get_issue.json")["fields"]["comment"][0]["body"]
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "one"}, {"type": "hardBreak"}]},
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "a"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "b"}]}],
                    },
                ],
            },
        ],
    }
    assert mapping.adf_to_text(comment_body).startswith("Lorem ipsum dolor sit amet")
    assert mapping.adf_to_text(doc) == "one\n\n- a\n- b"


def test_versions_list_sends_release_dates_as_epoch_milliseconds() -> None:
    first, second = load(REST / "versions/get_project_versions.json")

    released = mapping.map_version(first, SITE, "EX", OBSERVED)
    unreleased = mapping.map_version(second, SITE, "EX", OBSERVED)

    assert released.id == "jira:acme.atlassian.net:version:10000"
    assert (released.name, released.released, released.release_date) == ("New Version 1", True, date(2010, 7, 6))
    assert released.release_kind is ReleaseKind.JIRA_VERSION
    assert released.project == "EX"
    assert released.updated == OBSERVED
    assert (unreleased.name, unreleased.released, unreleased.release_date) == ("Next Version", False, None)


@pytest.mark.parametrize(
    ("fixture", "select"),
    [
        ("versions/get_project_versions_paginated.json", lambda d: d["values"]),
        ("versions/get_version.json", lambda d: [d]),
        ("versions/update_version.json", lambda d: [d]),
    ],
)
def test_version_answers_map_to_releases(fixture: str, select: Any) -> None:
    versions = select(load(REST / fixture))
    releases = [mapping.map_version(v, SITE, "PR", OBSERVED) for v in versions]

    first = releases[0]
    assert first.id == "jira:acme.atlassian.net:version:10000"
    assert first.name == "New Version 1"
    assert first.description == "An excellent version"
    assert first.released is True
    assert first.archived is False
    assert first.release_date == date(2010, 7, 6)
    # the page people open, not the REST "self" resource
    assert first.source.url == "https://your-domain.atlassian.net/projects/PR/versions/10000"


def test_project_answer_embeds_its_versions_and_search_lists_project_keys() -> None:
    project = load(REST / "projects/get_project.json")
    search = load(REST / "projects/search_projects.json")

    assert [mapping.map_version(v, SITE, project["key"], OBSERVED) for v in project["versions"]] == []
    assert [p["key"] for p in search["values"]] == ["EX", "ABC"]


def test_version_without_a_name_is_rejected() -> None:
    with pytest.raises(BadDataError, match="version without id and name"):
        mapping.map_version({"id": "1"}, SITE, "EX", OBSERVED)


# ----------------------------------------------------------------------------------------------- changelogs


@pytest.mark.parametrize("fixture", ["changelogs/get_changelogs.json", "changelogs/get_changelogs_by_ids.json"])
def test_changelogs_that_change_no_status_give_no_status_changes(fixture: str) -> None:
    histories = mapping.changelog_histories(load(REST / fixture))

    assert len(histories) == 2
    assert mapping.map_histories(SITE, "10100", histories) == []


def test_bulk_changelog_groups_histories_by_issue_and_sends_epoch_seconds() -> None:
    per_issue = mapping.bulk_changelogs(load(REST / "changelogs/bulk_fetch_changelogs.json"))
    history = per_issue["10100"][0]
    as_status = {**history, "items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]}

    [change] = mapping.map_histories(SITE, "10100", [as_status])

    assert [h["id"] for h in per_issue["10100"]] == ["10001", "10002"]
    assert change.updated == datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)
    assert (change.from_status, change.to_status) == ("To Do", "Done")
    assert change.item_id == "jira:acme.atlassian.net:issue:10100"
    assert change.author == "Mia Krystof"  # the display name, not the account id


@pytest.mark.parametrize(
    ("fixture", "from_status", "to_status"),
    [
        ("server/jira_issue_updated.closed.json", "Resolved", "Closed"),
        ("server/jira_issue_updated.work_started.json", "Reopened", "In Progress"),
        ("cloud/jira_issue_updated.status_in_progress.json", "To Do", "In Progress"),
        ("cloud/jira_issue_updated.resolved.json", "In Progress", "Done"),
    ],
)
def test_webhook_status_changelog_maps_at_the_delivery_timestamp(
    fixture: str, from_status: str, to_status: str
) -> None:
    payload = load(WEBHOOKS / fixture)

    [change] = mapping.webhook_status_changes(payload, SITE)

    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.updated == datetime.fromtimestamp(payload["timestamp"] / 1000, UTC)
    assert change.id == f"jira:acme.atlassian.net:status_change:{payload['changelog']['id']}"


@pytest.mark.parametrize(
    "fixture",
    [
        "cloud/jira_issue_updated.assigned.json",
        "cloud/jira_issue_updated.sprint.json",
        "cloud/comment_created.json",
    ],
)
def test_webhooks_that_change_no_status_give_no_status_changes(fixture: str) -> None:
    assert mapping.webhook_status_changes(load(WEBHOOKS / fixture), SITE) == []


def test_issue_created_webhook_records_the_initial_status() -> None:
    [change] = mapping.webhook_status_changes(load(WEBHOOKS / "cloud/jira_issue_created.json"), SITE)

    assert (change.from_status, change.to_status) == (None, "To Do")
    assert change.updated == datetime(2019, 2, 16, 3, 1, 53, 23000, tzinfo=UTC)


def test_search_changelog_shorter_than_its_total_is_truncated() -> None:
    whole = {"id": "1", "changelog": {"total": 2, "histories": [{}, {}]}}
    cut = {"id": "2", "changelog": {"total": 120, "histories": [{}] * 100}}

    assert not mapping.changelog_truncated(whole)
    assert mapping.changelog_truncated(cut)
    assert not mapping.changelog_truncated({"id": "3"})


# ------------------------------------------------------------------------------------------- issues: webhooks

_WEBHOOK_ISSUES = [
    # file, key, type, status category, status, updated (as sent)
    ("cloud/jira_issue_created.json", "TES-41", WorkItemType.STORY, "todo", "To Do", "2019-02-15T19:01:52.971-0800"),
    ("cloud/jira_issue_created.many_fields.json", "KT-22", WorkItemType.TASK, "todo", "To Do", None),
    ("cloud/jira_issue_deleted.json", "IDT-19", WorkItemType.TASK, "todo", "To Do", None),
    ("cloud/jira_issue_updated.assigned.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.custom_field.json", "TES-14", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.description.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.fix_version.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.labels.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.multiple_fields.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.reopened.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("cloud/jira_issue_updated.resolved.json", "TES-41", WorkItemType.STORY, "done", "Done", None),
    ("cloud/jira_issue_updated.sprint.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    (
        "cloud/jira_issue_updated.status_in_progress.json",
        "TES-41",
        WorkItemType.STORY,
        "in_progress",
        "In Progress",
        None,
    ),
    ("cloud/jira_issue_updated.summary.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    (
        "server/jira_issue_updated.closed.json",
        "TES-4",
        WorkItemType.BUG,
        "done",
        "Closed",
        "2019-08-14T11:07:58.354+0800",
    ),
    ("server/jira_issue_updated.commented.json", "PRJA-42", WorkItemType.ISSUE, "todo", "To Do", None),
    ("server/jira_issue_updated.no_event_type_name.json", "TES-41", WorkItemType.STORY, "todo", "To Do", None),
    ("server/jira_issue_updated.resolved.json", "TES-4", WorkItemType.BUG, "done", "Resolved", None),
    ("server/jira_issue_updated.work_started.json", "TES-4", WorkItemType.BUG, "in_progress", "In Progress", None),
]


@pytest.mark.parametrize(("fixture", "key", "kind", "category", "status", "updated"), _WEBHOOK_ISSUES)
def test_webhook_issue_maps_through_the_polling_mapping(
    fixture: str, key: str, kind: WorkItemType, category: str, status: str, updated: str | None
) -> None:
    raw = webhook_issue(fixture)

    item = mapping.map_issue(raw, CTX)

    assert item.id == f"jira:acme.atlassian.net:issue:{raw['id']}"
    assert item.source.key == key
    assert item.source.url == f"https://acme.atlassian.net/browse/{key}"
    assert (item.type, item.status.category, item.status.original) == (kind, category, status)
    assert item.title == raw["fields"]["summary"]
    assert item.updated == mapping.parse_datetime(raw["fields"]["updated"], "updated")
    if updated:
        assert raw["fields"]["updated"] == updated


def test_offsets_without_a_colon_keep_the_instant() -> None:
    raw = webhook_issue("server/jira_issue_updated.closed.json")
    item = mapping.map_issue(raw, CTX)

    assert item.updated == datetime(2019, 8, 14, 3, 7, 58, 354000, tzinfo=UTC)
    assert item.updated.utcoffset() == timedelta(hours=8)
    assert mapping.parse_datetime("2024-01-05T10:01:52.971+0100", "x") == datetime(
        2024, 1, 5, 10, 1, 52, 971000, tzinfo=timezone(timedelta(hours=1))
    )
    assert mapping.parse_datetime("2024-01-05T10:01:52Z", "x") == datetime(2024, 1, 5, 10, 1, 52, tzinfo=UTC)


def test_naive_or_garbled_datetimes_are_rejected() -> None:
    with pytest.raises(BadDataError, match="not a Jira datetime"):
        mapping.parse_datetime("2024-01-05T10:01:52", "updated")
    with pytest.raises(BadDataError, match="not a Jira datetime"):
        mapping.parse_datetime("yesterday", "updated")


def test_server_issue_fields_people_resolution_and_priority() -> None:
    item = mapping.map_issue(webhook_issue("server/jira_issue_updated.closed.json"), CTX)

    assert item.assignee == "admin"  # Server names people by user name, Cloud by accountId
    assert item.priority == "Medium"
    assert item.resolved == datetime(2019, 8, 14, 3, 3, 2, 179000, tzinfo=UTC)
    assert item.created == datetime(2019, 8, 12, 22, 14, 23, 580000, tzinfo=UTC)


def test_cloud_issue_fix_versions_labels_and_assignee() -> None:
    item = mapping.map_issue(webhook_issue("cloud/jira_issue_created.many_fields.json"), CTX)

    assert item.release_ids == ("jira:acme.atlassian.net:version:10000", "jira:acme.atlassian.net:version:10001")
    assert item.labels == ("Label1", "Label2")
    assert item.assignee == "Sample User"  # the display name, not the account id
    assert item.description == "The good description"


def test_unknown_issue_types_keep_their_name_and_map_to_issue() -> None:
    item = mapping.map_issue(webhook_issue("server/jira_issue_updated.commented.json"), CTX)

    assert (item.type, item.type_original) == (WorkItemType.ISSUE, "Improvement")


@pytest.mark.parametrize(
    ("fixture", "missing"),
    [
        ("cloud/comment_created.json", "created, updated"),
        ("cloud/comment_updated.json", "created, updated"),
        ("cloud/comment_deleted.json", "created, updated"),
        ("cloud/jira_issue_updated.assigned_empty_changelog.json", "created, updated"),
    ],
)
def test_abbreviated_webhook_issues_are_rejected_naming_what_they_lack(fixture: str, missing: str) -> None:
    with pytest.raises(BadDataError, match=f"missing fields: {missing}$"):
        mapping.map_issue(webhook_issue(fixture), CTX)


def test_a_done_status_with_a_wont_do_resolution_is_cancelled() -> None:
    raw = webhook_issue("server/jira_issue_updated.closed.json")
    fields = {**raw["fields"], "resolution": {"name": "Won't Do"}}

    assert mapping.map_issue({**raw, "fields": fields}, CTX).status.category is StatusCategory.CANCELLED


# --------------------------------------------------------------------------------- custom fields and parents


def _with(raw: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**raw, "fields": {**raw["fields"], **fields}}


def test_story_points_and_cloud_sprints_come_from_discovered_field_ids() -> None:
    raw = webhook_issue("cloud/jira_issue_updated.custom_field.json")
    ids = JiraFieldIds(story_points="customfield_10038", sprint="customfield_10020")
    sprints = [{"id": 37, "name": "TES Sprint 2", "state": "active", "boardId": 3}]
    ctx = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=ids)

    item = mapping.map_issue(_with(raw, customfield_10020=sprints), ctx)

    assert item.story_points == 14.0  # sent as the string "14.0"
    assert item.sprint_ids == ("jira:acme.atlassian.net:sprint:37",)


def test_old_server_sprint_strings_are_read_for_their_id() -> None:
    greenhopper = (
        "com.atlassian.greenhopper.service.sprint.Sprint@14b1c359[id=12,rapidViewId=3,state=ACTIVE,"
        "name=Sprint 1,startDate=2024-01-01T10:00:00.000Z,endDate=<null>,completeDate=<null>,sequence=12]"
    )
    assert mapping.sprint_ids([greenhopper]) == ["12"]
    assert mapping.sprint_ids([{"id": 5}, {"id": 6}]) == ["5", "6"]
    assert mapping.sprint_ids(None) == []
    with pytest.raises(BadDataError, match="sprint field entry not understood"):
        mapping.sprint_ids(["Sprint 1"])


def test_team_managed_parent_epic_and_subtask_parent() -> None:
    raw = webhook_issue("cloud/jira_issue_created.json")
    epic_parent = {"id": "10001", "key": "TES-1", "fields": {"issuetype": {"name": "Epic", "hierarchyLevel": 1}}}
    story_parent = {"id": "10002", "key": "TES-2", "fields": {"issuetype": {"name": "Story", "hierarchyLevel": 0}}}

    story = mapping.map_issue(_with(raw, parent=epic_parent), CTX)
    subtask = mapping.map_issue(_with(raw, parent=story_parent, issuetype={"name": "Subtask", "subtask": True}), CTX)

    assert (story.epic_id, story.parent_id) == ("jira:acme.atlassian.net:issue:10001", None)
    assert (subtask.type, subtask.parent_id, subtask.epic_id) == (
        WorkItemType.SUBTASK,
        "jira:acme.atlassian.net:issue:10002",
        None,
    )


def test_company_managed_epic_link_names_a_key_resolved_to_the_epic_id() -> None:
    raw = _with(webhook_issue("cloud/jira_issue_created.json"), customfield_10014="TES-1")
    fields = JiraFieldIds(epic_link="customfield_10014")
    known = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=fields, epic_ids={"TES-1": "10001"})
    unknown = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=fields)

    assert mapping.epic_link_keys([raw], fields) == {"TES-1"}
    assert mapping.map_issue(raw, known).epic_id == "jira:acme.atlassian.net:issue:10001"
    assert mapping.map_issue(raw, unknown).epic_id is None


def test_story_points_that_are_not_numbers_are_rejected() -> None:
    raw = _with(webhook_issue("cloud/jira_issue_created.json"), customfield_10016="lots")
    ctx = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=JiraFieldIds(story_points="customfield_10016"))

    with pytest.raises(BadDataError, match=r"TES-41: story points \(`customfield_10016`\) is not a number: 'lots'"):
        mapping.map_issue(raw, ctx)


def test_prioritisation_fields_are_kept_as_the_text_jira_shows_and_empty_ones_left_out() -> None:
    raw = webhook_issue("cloud/jira_issue_created.json")
    fid = JiraFieldIds(reach="cf_1", impact="cf_2", confidence="cf_3", effort="cf_4")
    ctx = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=fid)

    item = mapping.map_issue(_with(raw, cf_1=500.0, cf_2={"id": "7", "value": "High"}, cf_3=80, cf_4=None), ctx)

    assert item.score_fields == {"reach": "500", "impact": "High", "confidence": "80"}
    assert mapping.map_issue(raw, CTX).score_fields == {}


def test_prioritisation_fields_are_found_by_name_and_only_custom_fields_count() -> None:
    fields = [
        {"id": "customfield_20001", "name": "Reach", "custom": True},
        {"id": "customfield_20002", "name": "impact", "custom": True},
        {"id": "effort", "name": "Effort", "custom": False},  # a system field of that name is no input
        {"id": "customfield_20004", "name": "Business Value", "custom": True},
        {"id": "customfield_20005", "name": "Risk Reduction/Opportunity Enablement", "custom": True},
        {"id": "customfield_20006", "name": "Job size", "custom": True},
    ]

    found = mapping.discover_fields(fields, JiraFieldIds(confidence="customfield_9"))

    assert found.scores() == {
        "reach": "customfield_20001",
        "impact": "customfield_20002",
        "confidence": "customfield_9",
        "business_value": "customfield_20004",
        "risk_reduction": "customfield_20005",
        "job_size": "customfield_20006",
    }
    assert set(found.scores().values()) <= set(found.custom()), "the search asks for every input field"


# ---------------------------------------------------------------------------------- fields, statuses, site


def test_field_discovery_finds_nothing_in_the_vendor_examples_so_overrides_decide() -> None:
    listed = load(REST / "fields/get_fields.json")
    paginated = load(REST / "fields/get_fields_paginated.json")["values"]
    override = JiraFieldIds(story_points="customfield_10002")

    assert mapping.discover_fields(listed) == JiraFieldIds()
    assert mapping.discover_fields(paginated) == JiraFieldIds()
    assert mapping.discover_fields(listed + paginated, override) == override


def test_field_discovery_by_name_and_plugin_type() -> None:
    fields = [
        {"id": "customfield_10016", "name": "Story point estimate", "custom": True},
        {"id": "customfield_10020", "name": "Sprint", "custom": True, "schema": {"custom": mapping._SPRINT_CUSTOM}},
        {"id": "customfield_10014", "name": "Epic Link", "custom": True},
        {"id": "customfield_10099", "name": "Story Points", "custom": True},
    ]

    found = mapping.discover_fields(fields, JiraFieldIds(sprint="customfield_1"))

    assert found == JiraFieldIds(
        story_points="customfield_10099",
        story_point_estimate="customfield_10016",
        sprint="customfield_1",
        epic_link="customfield_10014",
    )
    assert found.custom() == ["customfield_10099", "customfield_10016", "customfield_1", "customfield_10014"]


def test_story_points_are_read_from_whichever_points_field_the_issue_has() -> None:
    raw = webhook_issue("cloud/jira_issue_created.json")
    fid = JiraFieldIds(story_points="customfield_1", story_point_estimate="customfield_2")
    ctx = mapping.MappingContext(site=SITE, rules=StatusRules(), fields=fid)

    assert mapping.map_issue(_with(raw, customfield_2=5), ctx).story_points == 5.0
    assert mapping.map_issue(_with(raw, customfield_1=3, customfield_2=None), ctx).story_points == 3.0
    assert mapping.map_issue(raw, ctx).story_points is None


def test_vendor_status_categories_in_flight_and_completed_are_unmapped_until_configured() -> None:
    statuses = load(REST / "workflow/get_all_statuses.json")
    rules = StatusRules(jira={"EX": {"In Progress": StatusCategory.IN_PROGRESS, "Closed": StatusCategory.DONE}})

    for status in statuses:
        with pytest.raises(UnmappedStatusError, match=r"status_map\.jira\.EX") as caught:
            mapping.map_status("EX", status, StatusRules())
        assert status["statusCategory"]["key"] in caught.value.value
    assert [mapping.map_status("EX", s, rules).category for s in statuses] == [
        StatusCategory.IN_PROGRESS,
        StatusCategory.DONE,
    ]


def test_status_search_names_its_category_in_capitals() -> None:
    [finished] = load(REST / "workflow/search_statuses_paginated.json")["values"]

    assert mapping.map_status("EX", finished, StatusRules()).category is StatusCategory.DONE


def test_project_statuses_without_a_category_need_a_rule() -> None:
    [task] = load(REST / "workflow/get_project_statuses.json")
    categories = {c["key"] for c in load(REST / "workflow/get_status_categories.json")}

    with pytest.raises(UnmappedStatusError, match="statusCategory None"):
        mapping.map_status("EX", task["statuses"][0], StatusRules())
    assert categories == {"in-flight", "completed"}


def test_server_info_without_deployment_type_is_cloud_by_build_number() -> None:
    info = load(REST / "meta/server_info.json")

    assert "deploymentType" not in info
    assert mapping.is_cloud(info)
    assert mapping.is_cloud({**info, "deploymentType": "Cloud"})
    assert not mapping.is_cloud({"deploymentType": "Server", "versionNumbers": [9, 12, 0]})
    assert not mapping.is_cloud({"version": "8.20.1", "versionNumbers": [8, 20, 1]})


def test_myself_gives_the_time_zone_jql_dates_are_read_in() -> None:
    assert mapping.user_time_zone(load(REST / "meta/myself.json")) == "Australia/Sydney"
    with pytest.raises(BadDataError, match="no timeZone"):
        mapping.user_time_zone({"accountId": "x"})


def test_remote_links_give_their_urls() -> None:
    links = load(REST / "issues/get_remote_issue_links.json")

    assert mapping.remote_link_urls(links) == [
        "http://www.mycompany.com/support?id=1",
        "http://www.anothercompany.com/tester/testcase/1234",
    ]


def test_agile_sprint_maps_with_its_dates() -> None:
    sprint = mapping.map_sprint(SPRINT, SITE, OBSERVED)

    assert sprint.id == "jira:acme.atlassian.net:sprint:37"
    assert (sprint.name, sprint.state, sprint.board_id, sprint.goal) == ("sprint 1", "closed", "5", "sprint 1 goal")
    assert sprint.start == datetime(2015, 4, 11, 5, 22, tzinfo=UTC)
    assert sprint.completed == datetime(2015, 4, 20, 1, 4, tzinfo=UTC)
    with pytest.raises(BadDataError, match="sprint without id, name and state"):
        mapping.map_sprint({"id": 1}, SITE, OBSERVED)
