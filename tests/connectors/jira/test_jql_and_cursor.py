"""The incremental JQL and the issues cursor: pure parts of the Jira source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.jira.source import IssueCursor, issues_jql
from schema import ConfigError

AT = datetime(2024, 1, 5, 10, 1, 52, 971000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "literal"),
    [
        ("UTC", "2024-01-05 10:01"),
        ("Pacific/Tongatapu", "2024-01-05 23:01"),  # UTC+13
        ("Pacific/Honolulu", "2024-01-05 00:01"),  # UTC-10
        ("Asia/Kolkata", "2024-01-05 15:31"),
    ],
)
def test_since_is_rendered_in_the_users_zone_floored_to_the_minute(zone: str, literal: str) -> None:
    jql = issues_jql(["CHK", "MOB"], AT, zone)

    assert jql == f'project in ("CHK", "MOB") AND updated >= "{literal}" ORDER BY updated ASC'


@pytest.mark.parametrize(
    ("since", "literal"),
    [
        # 01:10 EDT: the wall clock repeats 01:10 an hour later in EST, which Jira may pick; step back an hour
        (datetime(2024, 11, 3, 5, 10, tzinfo=UTC), "2024-11-03 00:10"),
        # 01:10 EST, the second 01:10: either reading is at or before it
        (datetime(2024, 11, 3, 6, 10, tzinfo=UTC), "2024-11-03 01:10"),
        # just after the spring-forward gap
        (datetime(2024, 3, 10, 7, 0, 30, tzinfo=UTC), "2024-03-10 03:00"),
    ],
)
def test_bound_in_a_repeated_dst_hour_is_never_after_the_cursor(since: datetime, literal: str) -> None:
    assert f'updated >= "{literal}"' in issues_jql(["CHK"], since, "America/New_York")


def test_full_read_has_no_date_bound() -> None:
    assert issues_jql(["CHK"], None, "UTC") == 'project in ("CHK") ORDER BY updated ASC'


def test_unknown_user_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        issues_jql(["CHK"], AT, "Mars/Olympus")


def test_cursor_round_trips_and_collects_ids_at_the_boundary_instant() -> None:
    cursor = IssueCursor(AT, frozenset({"1"}))

    same = cursor.advanced(AT, "2")
    later = same.advanced(datetime(2024, 1, 5, 10, 2, tzinfo=UTC), "3")
    earlier = later.advanced(AT, "4")

    assert same.ids == {"1", "2"}
    assert (later.updated, later.ids) == (datetime(2024, 1, 5, 10, 2, tzinfo=UTC), frozenset({"3"}))
    assert earlier == later
    assert IssueCursor.load(same.dump()) == same
    assert IssueCursor.load(None) is None


def test_unreadable_cursor_says_to_reset_it() -> None:
    with pytest.raises(ConfigError, match="reset it"):
        IssueCursor.load('{"updated": "2024-01-05T10:01:52"}')
