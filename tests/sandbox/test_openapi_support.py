"""The OpenAPI checker accepts the vendors' own examples and rejects bodies that break the documented shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.openapi import assert_valid, find_operation, validate_response
from tests.support.paths import FIXTURES


def _fixture(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text())


@pytest.mark.parametrize(
    ("api", "method", "path", "fixture"),
    [
        ("github", "GET", "/repos/acme/checkout/milestones", "github/rest/milestones/list_milestones.json"),
        ("github", "GET", "/api/v3/repos/acme/checkout/issues", "github/rest/issues/list_repository_issues.json"),
        ("github", "GET", "/repos/a/b/commits/v1/check-runs", "github/rest/checks/list_check_runs_for_ref.json"),
        ("github", "GET", "/repos/acme/checkout/releases/latest", "github/rest/releases/get_latest_release.json"),
        ("jira", "GET", "/rest/api/3/search/jql", "jira/rest/search/search_jql_get.json"),
        ("jira", "GET", "/rest/api/3/project/search", "jira/rest/projects/search_projects.json"),
        ("jira", "GET", "/rest/api/2/issue/CHK-1", "jira/rest/issues/get_issue.json"),
        ("jira", "GET", "/rest/api/3/project/CHK/version", "jira/rest/versions/get_project_versions_paginated.json"),
    ],
)
def test_vendor_examples_validate(api: Any, method: str, path: str, fixture: str) -> None:
    assert_valid(api, method, path, 200, _fixture(fixture))


def test_literal_segments_win_over_templates() -> None:
    assert find_operation("jira", "GET", "/rest/api/3/project/search")[0] == "/rest/api/3/project/search"
    assert find_operation("github", "GET", "/api/v3/repos/a/b/releases/latest")[0].endswith("/releases/latest")


def test_wrong_shape_is_reported_with_its_location() -> None:
    errors = validate_response("jira", "GET", "/rest/api/3/search/jql", 200, {"issues": "x", "isLast": "no"})
    assert any(e.startswith("issues:") for e in errors)
    assert any(e.startswith("isLast:") for e in errors)


def test_nullable_accepts_null_only_where_documented() -> None:
    issue = _fixture("github/rest/issues/list_repository_issues.json")[0]
    path = "/repos/a/b/issues"
    assert validate_response("github", "GET", path, 200, [{**issue, "closed_at": None}]) == []
    assert validate_response("github", "GET", path, 200, [{**issue, "number": None}]) != []


def test_undocumented_status_and_unknown_path_are_reported() -> None:
    assert validate_response("jira", "GET", "/rest/api/3/myself", 418, {}) != []
    with pytest.raises(LookupError):
        find_operation("jira", "GET", "/rest/agile/1.0/board")
