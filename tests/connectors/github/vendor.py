"""GitHub's own examples: REST answers (a ``$ref`` into the OpenAPI description resolved) and webhook bodies."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.paths import FIXTURES, SPECS

REST = FIXTURES / "github" / "rest"
HOOKS = FIXTURES / "github" / "webhooks"
REPO = "octocat/Hello-World"


@cache
def _examples() -> dict[str, Any]:
    with gzip.open(SPECS / "github-rest.openapi.json.gz") as handle:
        examples: dict[str, Any] = json.load(handle)["components"]["examples"]
    return examples


def rest(name: str) -> Any:
    """A REST example; a ``$ref`` into the description's examples (as GitHub publishes some) is resolved."""
    data = json.loads((REST / name).read_text())
    if isinstance(data, dict) and set(data) == {"$ref"}:
        return _examples()[data["$ref"].rsplit("/", 1)[-1]]["value"]
    return data


def hook(path: Path) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(path.read_text())
    return payload


def plain_issue(name: str = "issues/get_issue.json") -> dict[str, Any]:
    """GitHub's issue examples all carry ``pull_request``; without it the same payload is a plain issue."""
    raw = dict(rest(name))
    del raw["pull_request"]
    return raw
