"""The unified model: round trips, stable ids, status rules, timezone awareness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schema import (
    Check,
    CheckKind,
    CheckState,
    Link,
    MetricPoint,
    PullRequest,
    PullRequestState,
    Release,
    ReleaseKind,
    SourceRef,
    Status,
    StatusCategory,
    StatusRules,
    Tool,
    UnmappedStatusError,
    WorkItem,
    WorkItemType,
    github_issue_status,
    github_pr_status,
    ids,
    jira_status,
    parse_record,
    release_key,
)

T0 = datetime(2024, 1, 5, 10, 1, 52, 971000, tzinfo=timezone(timedelta(hours=1)))


def _work_item(**overrides: object) -> WorkItem:
    fields: dict[str, object] = {
        "id": ids.jira("acme.atlassian.net", "issue", 10001),
        "source": SourceRef(tool=Tool.JIRA, instance="acme.atlassian.net", native_id="10001", key="CHK-1"),
        "updated": T0,
        "type": WorkItemType.STORY,
        "type_original": "Story",
        "title": "Guest checkout",
        "status": Status(category=StatusCategory.IN_PROGRESS, original="In Review"),
        "labels": ("payments",),
        "story_points": 5.0,
        "release_ids": (ids.jira("acme.atlassian.net", "version", 10100),),
        "created": T0 - timedelta(days=3),
    }
    fields.update(overrides)
    return WorkItem.model_validate(fields)


def _every_kind() -> list[object]:
    source = SourceRef(tool=Tool.GITHUB, instance="acme/checkout", native_id="1")
    return [
        _work_item(),
        Release(
            id=ids.jira("acme.atlassian.net", "version", 10100),
            source=SourceRef(tool=Tool.JIRA, instance="acme.atlassian.net", native_id="10100"),
            updated=T0,
            release_kind=ReleaseKind.JIRA_VERSION,
            name="2.4.0",
            project="CHK",
            released=False,
            release_date=date(2024, 2, 1),
        ),
        PullRequest(
            id=ids.github("acme/checkout", "pr", 7),
            source=source,
            updated=T0,
            number=7,
            title="CHK-1: guest checkout",
            state=PullRequestState.MERGED,
            status=github_pr_status("closed", T0),
            head_ref="feature/CHK-1",
            base_ref="main",
            created=T0,
            merged_at=T0,
        ),
        Check(
            id=ids.github("acme/checkout", "check", 99),
            source=source,
            updated=T0,
            check_kind=CheckKind.CHECK_RUN,
            name="e2e",
            ref="release/2.4.0",
            sha="a" * 40,
            state=CheckState.FAILURE,
            conclusion_original="failure",
        ),
        MetricPoint(
            id=ids.metric("posthog", "1", "dau", T0, {"product": "checkout"}),
            source=SourceRef(tool=Tool.POSTHOG, instance="1", native_id="dau"),
            updated=T0,
            metric="dau",
            bucket=T0,
            value=1234.0,
            dimensions={"product": "checkout"},
        ),
        Link(
            id=ids.link("github:acme/checkout:pr:7", "jira:acme.atlassian.net:issue:10001", "mentions"),
            source=SourceRef(tool=Tool.PMHUB, instance="linker", native_id="1"),
            updated=T0,
            from_id="github:acme/checkout:pr:7",
            to_id="jira:acme.atlassian.net:issue:10001",
            link_kind="mentions",
            evidence_field="title",
            evidence_text="CHK-1: guest checkout",
        ),
    ]


@pytest.mark.parametrize("record", _every_kind(), ids=lambda r: type(r).__name__)
def test_every_record_kind_round_trips_through_json(record: WorkItem) -> None:
    assert parse_record(record.model_dump_json()) == record
    assert parse_record(record.model_dump(mode="json")) == record


def test_records_are_immutable() -> None:
    item = _work_item()
    with pytest.raises(ValidationError):
        item.title = "changed"  # type: ignore[misc]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _work_item(updated=datetime(2024, 1, 5, 10, 1))


def test_offsets_are_kept_and_compare_as_instants() -> None:
    item = _work_item()
    assert item.updated.utcoffset() == timedelta(hours=1)
    assert item.updated == T0.astimezone(UTC)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        _work_item(colour="red")


def test_ids_are_namespaced_and_stable() -> None:
    assert ids.jira("ACME.atlassian.net", "issue", 10001) == "jira:acme.atlassian.net:issue:10001"
    assert ids.github("Acme/Checkout", "pr", 7) == "github:acme/checkout:pr:7"
    dims_a = {"product": "checkout", "flag": "new-pay"}
    dims_b = {"flag": "new-pay", "product": "checkout"}
    assert ids.metric("posthog", "1", "dau", T0, dims_a) == ids.metric("posthog", "1", "dau", T0, dims_b)
    assert ids.link("a", "b", "mentions") == ids.link("a", "b", "mentions") != ids.link("b", "a", "mentions")


@pytest.mark.parametrize(
    ("category_key", "expected"),
    [("new", "todo"), ("indeterminate", "in_progress"), ("done", "done")],
)
def test_jira_maps_by_status_category(category_key: str, expected: str) -> None:
    status = jira_status("CHK", "Whatever", category_key, StatusRules())
    assert status == Status(category=StatusCategory(expected), original="Whatever")


def test_jira_project_override_beats_the_category_and_wildcard() -> None:
    rules = StatusRules(
        jira={"CHK": {"in review": StatusCategory.DONE}, "*": {"In Review": StatusCategory.TODO}},
    )
    assert jira_status("CHK", "In Review", "indeterminate", rules).category is StatusCategory.DONE
    assert jira_status("MOB", "In Review", "indeterminate", rules).category is StatusCategory.TODO


def test_jira_done_with_a_wont_do_resolution_is_cancelled() -> None:
    status = jira_status("CHK", "Closed", "done", StatusRules(), resolution="Won't Do")
    assert status.category is StatusCategory.CANCELLED
    assert jira_status("CHK", "Closed", "done", StatusRules(), resolution="Done").category is StatusCategory.DONE


def test_unmapped_jira_status_names_the_value_and_the_config_key() -> None:
    with pytest.raises(UnmappedStatusError) as caught:
        jira_status("CHK", "Parked", "undefined", StatusRules())
    message = str(caught.value)
    assert "Parked" in message
    assert "status_map.jira.CHK" in message


@pytest.mark.parametrize(
    ("state", "reason", "expected"),
    [
        ("open", None, "todo"),
        ("open", "reopened", "todo"),
        ("closed", "completed", "done"),
        ("closed", None, "done"),
        ("closed", "not_planned", "cancelled"),
        ("closed", "duplicate", "cancelled"),
    ],
)
def test_github_issue_status(state: str, reason: str | None, expected: str) -> None:
    assert github_issue_status(state, reason).category is StatusCategory(expected)


def test_unknown_github_state_reason_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnmappedStatusError, match="closed/archived"):
        github_issue_status("closed", "archived")


def test_merged_at_decides_even_when_state_says_open() -> None:
    # The vendor example of GET /pulls/{n} is "state": "open" with a merged_at timestamp.
    assert github_pr_status("open", T0).category is StatusCategory.DONE
    assert github_pr_status("closed", None).category is StatusCategory.CANCELLED
    assert github_pr_status("open", None, draft=True) == Status(category=StatusCategory.IN_PROGRESS, original="draft")


def test_release_names_compare_without_case_a_leading_v_or_surrounding_space() -> None:
    assert {release_key(n) for n in ("v2.4.0", "V2.4.0", "2.4.0", " 2.4.0 ")} == {"2.4.0"}
    assert release_key("2.4.0") != release_key("2.4.1")
