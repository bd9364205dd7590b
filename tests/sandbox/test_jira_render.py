"""Jira's datetime text in the sandbox: the fast per-zone formatter agrees with the plain one everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from sandbox.jira.render import LocalTime, jira_datetime

ZONES: list[tzinfo] = [
    ZoneInfo("Europe/London"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Pacific/Tongatapu"),  # UTC+13
    ZoneInfo("Pacific/Honolulu"),  # UTC-10
    ZoneInfo("Asia/Kolkata"),  # +05:30
    ZoneInfo("Australia/Lord_Howe"),  # a half-hour DST change, at a half hour in UTC
    ZoneInfo("Pacific/Chatham"),  # +12:45 / +13:45
    ZoneInfo("UTC"),
    timezone(timedelta(hours=-3, minutes=-30)),
    timezone(timedelta(seconds=4_000)),  # an offset with seconds
]


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_fast_local_time_matches_jira_datetime_on_dst_change_days_and_at_random(zone: tzinfo) -> None:
    local = LocalTime(zone)
    rng = random.Random(7)
    moments = [
        datetime(year, month, day, tzinfo=UTC) + timedelta(minutes=minute, milliseconds=rng.randrange(60_000))
        for year in (2024, 2025)
        for month in (3, 4, 9, 10)
        for day in range(1, 29, 3)
        for minute in range(0, 24 * 60, 37)
    ]
    moments += [
        datetime(1990, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(50 * 365 * 86_400 * 10**6))
        for _ in range(2_000)
    ]
    moments += [m.replace(microsecond=0) for m in moments[:500]]
    assert [local(m) for m in moments] == [jira_datetime(m, zone) for m in moments]


def test_fast_local_time_reads_a_moment_in_another_zone_as_the_same_instant() -> None:
    moment = datetime(2025, 3, 30, 0, 30, tzinfo=timezone(timedelta(hours=-2)))
    london = ZoneInfo("Europe/London")
    assert LocalTime(london)(moment) == jira_datetime(moment, london) == "2025-03-30T03:30:00.000+0100"
