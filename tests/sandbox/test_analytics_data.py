"""The analytics ground truth: deterministic, believable, settling late; and the HogQL subset parser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox.analytics.data import FLAG, AnalyticsData, Where
from sandbox.analytics.hogql import HogQLError, parse
from sandbox.world import build_world

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def data() -> AnalyticsData:
    return AnalyticsData.generate(build_world(now=NOW))


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(data: AnalyticsData) -> None:
    product = data.projects[0].product
    first, last = data.first_day, data.today
    again = AnalyticsData.generate(build_world(now=NOW))
    other = AnalyticsData.generate(build_world(seed=8, now=NOW))
    ours = data.series(product, "app_opened", first, last, "uniques")
    assert ours == again.series(product, "app_opened", first, last, "uniques")
    assert ours != other.series(product, "app_opened", first, last, "uniques")
    assert len(ours) == 120
    assert (data.first_day, data.today) == (NOW.date() - timedelta(days=119), NOW.date())


def test_errors_spike_in_the_three_days_after_each_release(data: AnalyticsData) -> None:
    product = data.world.products[0]
    released = [
        v.release_date
        for v in data.world.versions.values()
        if v.project == product.jira_project and v.released and v.release_date and v.release_date >= data.first_day
    ]
    assert released
    for day in released:
        quiet = [data.value(product.name, "error", day - timedelta(days=n), "totals") for n in (7, 8, 9)]
        spike = [data.value(product.name, "error", day + timedelta(days=n), "totals") for n in range(3)]
        assert min(spike) > 2 * sum(quiet) / len(quiet)


def test_the_feature_flag_lifts_activation(data: AnalyticsData) -> None:
    product, first, last = data.projects[0].product, data.today - timedelta(days=40), data.today - timedelta(days=2)

    def rate(flag: str) -> float:
        def where(p: object) -> bool:
            return isinstance(p, dict) and p[FLAG] == flag

        activated = sum(data.series(product, "activated", first, last, "uniques", where).values())
        return activated / sum(data.series(product, "signed_up", first, last, "uniques", where).values())

    assert rate("true") > rate("false") + 0.1


def test_distinct_users_add_up_across_releases(data: AnalyticsData) -> None:
    product, day = data.projects[0].product, data.today - timedelta(days=10)

    def on(release: str) -> Where:
        return lambda properties: properties["release"] == release

    releases = {c.release for c in data.cells(product, day)}
    assert len(releases) == 2
    parts = sum(data.value(product, "app_opened", day, "uniques", on(r)) for r in releases)
    assert parts == data.value(product, "app_opened", day, "uniques")


def test_recent_days_settle_late_and_late_events_can_arrive(data: AnalyticsData) -> None:
    product, today = data.projects[0].product, data.today
    partial = data.value(product, "app_opened", today, "totals")
    data.advance(2)
    settled = data.value(product, "app_opened", today, "totals")
    assert partial == round(settled * 0.6)
    data.bump(product, "app_opened", today, 25)
    assert data.value(product, "app_opened", today, "totals") == settled + 25
    assert data.value(product, "app_opened", data.first_day - timedelta(days=1), "totals") == 0


def test_hogql_subset_reads_day_grouping_bounds_and_property_filters() -> None:
    query = parse(
        "select toDate(timestamp) as d, uniq(person_id) from events where event = 'error' "
        "and timestamp > toDateTime('2026-01-01 00:00:00') and timestamp <= '2026-01-31' "
        "and properties['release'] != '2.3.0' and properties.`$feature/new-onboarding` = 'true' "
        "group by d order by d desc limit 7;"
    )
    assert (query.columns, query.day_type, query.measure) == (["d", "uniq(person_id)"], "Date", "uniques")
    assert (query.start, query.end, query.descending, query.limit) == (date(2026, 1, 2), date(2026, 1, 31), True, 7)
    assert query.properties == [("release", "!=", "2.3.0"), ("$feature/new-onboarding", "=", "true")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("SELECT count() FROM persons WHERE event = 'x'", "Unknown table"),
        ("SELECT avg(properties.x) FROM events WHERE event = 'x'", "Unsupported function 'avg'"),
        ("SELECT toStartOfDay(timestamp), count() FROM events WHERE event = 'x'", "not in GROUP BY"),
        ("SELECT count() FROM events", "WHERE event"),
        ("SELECT count(), count() FROM events WHERE event = 'x'", "one aggregate"),
        ("SELECT count() FROM events WHERE event = 'x' AND distinct_id = 'y'", "Unsupported condition"),
        ("SELECT count() FROM events WHERE event = 'x' AND timestamp >= 'soon'", "Cannot parse 'soon'"),
    ],
)
def test_hogql_outside_the_subset_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(HogQLError, match=reason):
        parse(text)
