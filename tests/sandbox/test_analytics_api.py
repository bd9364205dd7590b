"""The PostHog, Amplitude and Mixpanel stand-ins over real HTTP: vendor shapes, auth, query subsets, admin, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from sandbox.analytics import AnalyticsSandbox, create_sandbox
from sandbox.world import build_world
from serving import ServedApp
from tests.support.paths import FIXTURES

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
TODAY = NOW.date()


class Served:
    def __init__(self, sandbox: AnalyticsSandbox, urls: dict[str, str]) -> None:
        self.sandbox, self.urls = sandbox, urls
        self.options, self.project = sandbox.data.options, sandbox.data.projects[0]

    def posthog(self, query: str, *, key: str | None = None, project: int | None = None) -> requests.Response:
        return requests.post(
            f"{self.urls['posthog']}/api/projects/{project or self.project.posthog_id}/query/",
            headers={"Authorization": f"Bearer {key or self.options.posthog_api_key}"},
            json={"query": {"kind": "HogQLQuery", "query": query}},
            timeout=10,
        )

    def amplitude(self, path: str, secret: str | None = None, **params: str) -> requests.Response:
        auth = (self.project.amplitude_api_key, secret or self.options.amplitude_secret_key)
        return requests.get(f"{self.urls['amplitude']}{path}", params=params, auth=auth, timeout=10)

    def mixpanel(self, path: str, auth: tuple[str, str] | None = None, **params: Any) -> requests.Response:
        params.setdefault("project_id", self.project.mixpanel_id)
        auth = auth or (self.options.mixpanel_username, self.options.mixpanel_secret)
        return requests.get(f"{self.urls['mixpanel']}{path}", params=params, auth=auth, timeout=10)


@pytest.fixture(scope="module")
def servers() -> Iterator[Served]:
    sandbox = create_sandbox(build_world(now=NOW))
    with (
        ServedApp(sandbox.apps["posthog"]) as posthog,
        ServedApp(sandbox.apps["amplitude"]) as amplitude,
        ServedApp(sandbox.apps["mixpanel"]) as mixpanel,
    ):
        yield Served(sandbox, {"posthog": posthog.url, "amplitude": amplitude.url, "mixpanel": mixpanel.url})


@pytest.fixture
def served(servers: Served) -> Iterator[Served]:
    """The module's servers, with late events, the clock and the fault plan put back after each test."""
    yield servers
    servers.sandbox.data.late.clear()
    servers.sandbox.data.today = TODAY
    servers.sandbox.apps["posthog"].plan.clear()


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_posthog_answers_daily_counts_as_positional_rows_with_columns_and_types(served: Served) -> None:
    since = f"timestamp >= '{TODAY - timedelta(days=6)}'"
    select = "SELECT toStartOfDay(timestamp) AS day, count(DISTINCT person_id) FROM events"
    response = served.posthog(f"{select} WHERE event = 'app_opened' AND {since} GROUP BY day ORDER BY day")
    assert response.status_code == 200
    body = response.json()
    assert {"columns", "types", "results", "hasMore", "hogql", "limit", "offset", "timezone"} <= body.keys()
    assert body["columns"] == ["day", "count(DISTINCT person_id)"]
    assert body["types"] == [["day", "DateTime('UTC')"], ["count(DISTINCT person_id)", "UInt64"]]
    data, product = served.sandbox.data, served.project.product
    expected = data.series(product, "app_opened", TODAY - timedelta(days=6), TODAY, "uniques")
    assert body["results"] == [[f"{d}T00:00:00Z", v] for d, v in expected.items()]
    assert body["hasMore"] is False


def test_posthog_without_limit_answers_100_rows_and_says_there_are_more(served: Served) -> None:
    body = served.posthog(
        "SELECT toStartOfDay(timestamp) AS day, count() FROM events WHERE event = 'app_opened' GROUP BY day"
    ).json()
    assert (len(body["results"]), body["hasMore"], body["limit"]) == (100, True, 100)


def test_posthog_ungrouped_count_totals_the_range(served: Served) -> None:
    body = served.posthog(f"SELECT count() FROM events WHERE event = 'error' AND timestamp >= '{TODAY}'").json()  # noqa: S608
    assert body["results"] == [[served.sandbox.data.value(served.project.product, "error", TODAY, "totals")]]


def test_posthog_refuses_queries_outside_the_subset_and_bad_keys_like_posthog(served: Served) -> None:
    bad = served.posthog("SELECT avg(properties.$time) FROM events WHERE event = 'x'")
    assert bad.status_code == 400
    assert bad.json()["type"] == "validation_error"
    assert "avg" in bad.json()["detail"]
    assert served.posthog("SELECT count() FROM events WHERE event = 'x'", key="phx_wrong").status_code == 401
    missing = served.posthog("SELECT count() FROM events WHERE event = 'x'", project=999)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_amplitude_segmentation_has_the_vendor_shape_and_filters(served: Served) -> None:
    start, end = (TODAY - timedelta(days=4)).strftime("%Y%m%d"), TODAY.strftime("%Y%m%d")
    event = {"event_type": "error", "filters": []}
    whole = served.amplitude("/api/2/events/segmentation", e=json.dumps(event), m="totals", start=start, end=end)
    assert whole.status_code == 200
    vendor = _fixture("amplitude/dashboard/event_segmentation.response.json")
    assert whole.json().keys() == vendor.keys()
    assert whole.json()["data"].keys() == vendor["data"].keys()
    assert len(whole.json()["data"]["xValues"]) == len(whole.json()["data"]["series"][0]) == 5
    parts = []
    for op in ("is", "is not"):
        cond = {"subprop_type": "event", "subprop_key": "release", "subprop_op": op, "subprop_value": ["2.3.0"]}
        e = json.dumps({**event, "filters": [cond]})
        parts.append(served.amplitude("/api/2/events/segmentation", e=e, m="totals", start=start, end=end).json())
    totals = [sum(x) for x in zip(*(p["data"]["series"][0] for p in parts), strict=True)]
    assert totals == whole.json()["data"]["series"][0]


def test_amplitude_active_users_has_the_vendor_shape_and_refuses_a_wrong_secret(served: Served) -> None:
    start, end = (TODAY - timedelta(days=1)).strftime("%Y%m%d"), TODAY.strftime("%Y%m%d")
    body = served.amplitude("/api/2/users", start=start, end=end, m="active").json()
    assert body["data"].keys() == _fixture("amplitude/dashboard/active_users.response.json")["data"].keys()
    expected = served.sandbox.data.series(
        served.project.product, "app_opened", TODAY - timedelta(days=1), TODAY, "uniques"
    )
    assert body["data"]["series"] == [list(expected.values())]
    assert served.amplitude("/api/2/users", secret="nope", start=start, end=end).status_code == 401
    assert served.amplitude("/api/2/users", start=start, end=end, i="7").status_code == 400


def test_mixpanel_segmentation_and_insights_have_the_vendor_shapes(served: Served) -> None:
    segmentation = served.mixpanel(
        "/api/query/segmentation",
        event="signed_up",
        from_date=str(TODAY - timedelta(days=2)),
        to_date=str(TODAY),
        where='properties["$feature/new-onboarding"] == "true"',
    ).json()
    vendor = _fixture("mixpanel/query/segmentation.json")
    assert segmentation.keys() == vendor.keys()
    assert segmentation["data"].keys() == vendor["data"].keys()
    assert list(segmentation["data"]["values"]) == ["signed_up"]
    bookmark = served.project.mixpanel_id * 10 + 1
    insights = served.mixpanel("/api/query/insights", bookmark_id=bookmark).json()
    assert insights.keys() == _fixture("mixpanel/query/insights.json").keys()
    assert len(insights["series"]["app_opened"]) == 30


def test_mixpanel_needs_a_service_account_and_a_project_it_may_read(served: Served) -> None:
    def segmentation(**extra: Any) -> requests.Response:
        return served.mixpanel("/api/query/segmentation", event="error", from_date=TODAY, to_date=TODAY, **extra)

    assert segmentation(auth=("sa", "wrong")).status_code == 401
    assert segmentation(project_id="").status_code == 400
    denied = segmentation(project_id=1)
    assert denied.status_code == 403
    assert denied.json().keys() == {"request", "error"}


def test_admin_bump_and_advance_change_what_every_tool_answers(served: Served) -> None:
    admin = f"{served.urls['amplitude']}/_sandbox/analytics"
    projects = requests.get(f"{admin}/projects", timeout=10).json()
    assert projects["today"] == str(TODAY)
    assert projects["projects"][0]["mixpanel_bookmarks"]["Errors"] == served.project.mixpanel_id * 10 + 2
    day = str(TODAY - timedelta(days=5))
    before = served.mixpanel("/api/query/segmentation", event="error", from_date=day, to_date=day).json()
    bumped = requests.post(
        f"{admin}/bump", json={"product": served.project.product, "event": "error", "day": day, "count": 9}, timeout=10
    )
    after = served.mixpanel("/api/query/segmentation", event="error", from_date=day, to_date=day).json()
    assert (
        after["data"]["values"]["error"][day] == before["data"]["values"]["error"][day] + 9 == bumped.json()["totals"]
    )
    advanced = requests.post(f"{served.urls['posthog']}/_sandbox/analytics/advance", json={"days": 1}, timeout=10)
    assert advanced.json() == {"today": str(TODAY + timedelta(days=1))}


def test_faults_are_injected_per_tool_by_name(served: Served) -> None:
    served.sandbox.apps["amplitude"].plan.add("amplitude:/api/2/users=429x1")
    start = TODAY.strftime("%Y%m%d")
    limited = served.amplitude("/api/2/users", start=start, end=start)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    assert served.amplitude("/api/2/users", start=start, end=start).status_code == 200
    assert served.posthog("SELECT count() FROM events WHERE event = 'x'").status_code == 200
