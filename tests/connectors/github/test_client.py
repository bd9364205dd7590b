"""The client and source against tiny local servers for what the sandbox does not do: a broken pagination and two
check runs of one name on a ref."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.github.client import GitHubClient
from connectors.github.config import GitHubSourceConfig, ReleaseRefs
from connectors.github.source import GitHubSource
from connectors.http import RetryPolicy
from schema import BadDataError
from serving import ServedApp

TOKEN = "ghp_localTestToken000000000000000000000000"


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def looping(request: Request) -> JSONResponse:
        seen.append({"method": request.method, "url": str(request.url)})
        return JSONResponse([], headers={"Link": f'<{request.url.replace(query="page=2")}>; rel="next"'})

    async def check_runs(request: Request) -> JSONResponse:
        runs = [
            _check_run(1, "build", "failure", "2026-03-02T10:00:00Z"),
            _check_run(2, "build", "success", "2026-03-02T11:00:00Z"),
        ]
        return JSONResponse({"total_count": 2, "check_runs": runs})

    async def combined_status(request: Request) -> JSONResponse:
        return JSONResponse({"state": "pending", "sha": "a" * 40, "statuses": [], "total_count": 0})

    app = Starlette(
        routes=[
            Route("/repos/acme/web/commits/main/check-runs", check_runs),
            Route("/repos/acme/web/commits/main/status", combined_status),
            Route("/repos/acme/web/milestones", looping),
        ]
    )
    with ServedApp(app) as served:
        yield served.url, seen


def _check_run(run_id: int, name: str, conclusion: str, completed_at: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "head_sha": "a" * 40,
        "status": "completed",
        "conclusion": conclusion,
        "started_at": "2026-03-02T09:00:00Z",
        "completed_at": completed_at,
        "details_url": None,
    }


def client_for(url: str) -> GitHubClient:
    config = GitHubSourceConfig(base_url=url, repos=("acme/web",))
    return GitHubClient(config, TOKEN, RetryPolicy(tool="github", credential=config.token_env))


def test_a_next_link_that_repeats_stops_the_listing_instead_of_looping(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = server
    with pytest.raises(BadDataError, match="same next page twice"):
        list(client_for(url).pages("/repos/acme/web/milestones", {}, describe="repo acme/web milestones"))
    assert [s["url"].rsplit("?", 1)[1] for s in seen] == ["per_page=100", "page=2"]


def test_two_check_runs_of_one_name_on_a_ref_give_one_record_the_latest(
    server: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = server
    config = GitHubSourceConfig(
        base_url=url,
        repos=("acme/web",),
        release_refs=ReleaseRefs(default_branch=False, releases=False, extra=("main",)),
    )
    checks = next(s for s in GitHubSource("gh", config, TOKEN).streams() if s.name == "checks")
    records = [m.record for page in checks.pages(None) for m in page.records]
    assert [(r.id, getattr(r, "conclusion_original", None)) for r in records] == [
        ("github:acme/web:check:main:run:build", "success")
    ]
