"""Faults injected by the sandbox middleware look like the real failures to a real HTTP client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from fastapi import FastAPI

from sandbox.faults import FaultMiddleware, FaultPlan, FaultRule
from sandbox.runner import Sandbox, SandboxOptions
from sandbox.world import Scale
from serving import ServedApp


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, object]:
        return {"id": item_id, "padding": "x" * 2000}

    return app


@pytest.fixture
def plan() -> FaultPlan:
    return FaultPlan(seed=1)


@pytest.fixture
def served(plan: FaultPlan) -> Iterator[tuple[str, FaultMiddleware]]:
    middleware = FaultMiddleware(_app(), "github", plan)
    with ServedApp(middleware) as server:
        yield server.url, middleware


def test_spec_grammar_round_trips() -> None:
    spec = "github:/repos/*/issues=429@0.1;jira:POST /rest/api/3/search/jql=500x3;*:*=slow:200ms@0.05"
    rules = FaultPlan.parse(spec).rules
    assert [str(r) for r in rules] == [
        "github:/repos/*/issues=429@0.1",
        "jira:POST /rest/api/3/search/jql=500x3",
        "*:*=slow:0.2s@0.05",
    ]
    assert rules[2].seconds == pytest.approx(0.2)
    with pytest.raises(ValueError, match="bad fault rule"):
        FaultRule.parse("jira:*=418")
    with pytest.raises(ValueError, match="probability"):
        FaultRule.parse("jira:*=500@1.5")


def test_429_carries_retry_after_and_the_next_n_are_spent(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("github:/items/*=429:7x2")
    first, second, third = (requests.get(f"{url}/items/1", timeout=5) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "7"
    assert plan.rules == []


def test_secondary_limit_is_githubs_403(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("github:*=secondary")
    response = requests.get(f"{url}/items/1", timeout=5)
    assert response.status_code == 403
    assert "secondary rate limit" in response.json()["message"]
    assert response.headers["Retry-After"] == "60"


def test_rules_for_another_app_or_method_do_not_fire(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("jira:*=500;github:POST /items/*=502")
    assert requests.get(f"{url}/items/1", timeout=5).status_code == 200


def test_drop_closes_the_connection_without_a_response(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("github:*=dropx1")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/items/1", timeout=5)
    assert requests.get(f"{url}/items/1", timeout=5).status_code == 200


def test_truncate_sends_less_than_content_length(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("github:*=truncatex1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{url}/items/1", timeout=5).json()


def test_slow_delays_then_answers(served: tuple[str, FaultMiddleware], plan: FaultPlan) -> None:
    url, _ = served
    plan.add("github:*=slow:150msx1")
    started = time.perf_counter()
    assert requests.get(f"{url}/items/1", timeout=5).status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_probability_is_seeded_and_roughly_right() -> None:
    def fired(seed: int) -> list[bool]:
        plan = FaultPlan.parse("*:*=500@0.3", seed=seed)
        return [plan.pick("jira", "GET", "/x") is not None for _ in range(1000)]

    assert fired(5) == fired(5)
    assert 250 < sum(fired(5)) < 350


def test_admin_routes_change_the_plan_and_report_counts(served: tuple[str, FaultMiddleware]) -> None:
    url, _ = served
    added = requests.post(f"{url}/_sandbox/faults", json={"spec": "github:*=503x1"}, timeout=5)
    assert added.json() == {"rules": ["github:*=503x1"]}
    assert requests.post(f"{url}/_sandbox/faults", json={"spec": "nonsense"}, timeout=5).status_code == 400
    assert requests.get(f"{url}/items/1", timeout=5).status_code == 503
    requests.get(f"{url}/items/2", timeout=5)
    stats = requests.get(f"{url}/_sandbox/stats", timeout=5).json()
    assert stats["total"] == 2
    assert stats["by_route"]["GET /items/{item_id}"] == 1
    assert stats["faults"] == {"503": 1}
    requests.post(f"{url}/_sandbox/faults", json={"spec": "github:*=500"}, timeout=5)
    assert requests.delete(f"{url}/_sandbox/faults", timeout=5).json() == {"rules": []}
    assert requests.delete(f"{url}/_sandbox/stats", timeout=5).json()["total"] == 0


def _stats(url: str) -> dict[str, int]:
    body = requests.get(f"{url}/_sandbox/stats", timeout=5).json()
    return {key: body[key] for key in ("total", "in_flight", "peak_in_flight")}


def _await_in_flight(url: str, count: int, timeout: float = 10.0) -> dict[str, int]:
    """The service's counters once it answers ``count`` requests at once (polling its own count, not a clock)."""
    deadline = time.monotonic() + timeout
    while (stats := _stats(url))["in_flight"] < count:
        assert time.monotonic() < deadline, f"never {count} in flight: {stats}"
        time.sleep(0.02)
    return stats


def test_each_service_counts_its_requests_in_flight_and_their_peak_until_a_reset() -> None:
    with Sandbox(SandboxOptions(scale=Scale.named("tiny"), faults="github:/repos/*=slow:1.5s")) as sb:
        github, jira = sb.urls["github"], sb.urls["jira"]
        requests.delete(f"{github}/_sandbox/stats", timeout=5)
        with ThreadPoolExecutor(3) as pool:
            slow = [pool.submit(requests.get, f"{github}/repos/acme/checkout", timeout=10) for _ in range(3)]
            assert _await_in_flight(github, 3) == {"total": 3, "in_flight": 3, "peak_in_flight": 3}
            assert _stats(jira) == {"total": 0, "in_flight": 0, "peak_in_flight": 0}
            assert all(f.result().status_code == 200 for f in slow)
        assert _stats(github) == {"total": 3, "in_flight": 0, "peak_in_flight": 3}

        assert requests.delete(f"{github}/_sandbox/stats", timeout=5).json()["peak_in_flight"] == 0
        with ThreadPoolExecutor(2) as pool:
            slow = [pool.submit(requests.get, f"{github}/repos/acme/checkout", timeout=10) for _ in range(2)]
            _await_in_flight(github, 2)
            reset = requests.delete(f"{github}/_sandbox/stats", timeout=5).json()
            assert (reset["total"], reset["in_flight"], reset["peak_in_flight"]) == (0, 2, 2)
            assert all(f.result().status_code == 200 for f in slow)
        assert _stats(github) == {"total": 0, "in_flight": 0, "peak_in_flight": 2}
