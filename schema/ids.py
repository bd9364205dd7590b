"""Stable, namespaced record ids.

``jira:<site>:issue:<id>`` uses Jira's numeric id (a key changes when an issue moves, the id does not);
``github:<owner>/<repo>:pr:<number>``; analytics metrics are ``<tool>:<project>:metric:<name>:<bucket>``.
Sites and repos are lower-cased so the same thing always gets the same id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime


def jira(site: str, entity: str, native_id: str | int) -> str:
    return f"jira:{site.lower()}:{entity}:{native_id}"


def github(repo: str, entity: str, native_id: str | int) -> str:
    return f"github:{repo.lower()}:{entity}:{native_id}"


def metric(tool: str, project: str, name: str, bucket: datetime, dimensions: dict[str, str]) -> str:
    dims = ",".join(f"{k}={v}" for k, v in sorted(dimensions.items()))
    suffix = f":{dims}" if dims else ""
    return f"{tool}:{project}:metric:{name}:{bucket.isoformat()}{suffix}"


def link(from_id: str, to_id: str, kind: str) -> str:
    digest = hashlib.sha256(f"{from_id}\n{to_id}\n{kind}".encode()).hexdigest()[:20]
    return f"pmhub:link:{digest}"


def parse_tool(record_id: str) -> str:
    return record_id.split(":", 1)[0]
