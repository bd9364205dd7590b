"""Jira's own examples (REST answers, real deliveries) and the documented shape of an agile sprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.paths import FIXTURES

REST = FIXTURES / "jira" / "rest"
WEBHOOKS = FIXTURES / "jira" / "webhooks"

# shape of GET /rest/agile/1.0/board/{boardId}/sprint values, as documented (no vendor file carries one)
SPRINT: dict[str, Any] = {
    "id": 37,
    "self": "https://your-domain.atlassian.net/rest/agile/1.0/sprint/23",
    "state": "closed",
    "name": "sprint 1",
    "startDate": "2015-04-11T15:22:00.000+10:00",
    "endDate": "2015-04-20T01:22:00.000+10:00",
    "completeDate": "2015-04-20T11:04:00.000+10:00",
    "originBoardId": 5,
    "goal": "sprint 1 goal",
}


def load(path: Path) -> Any:
    return json.loads(path.read_text())
