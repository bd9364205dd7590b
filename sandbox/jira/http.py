"""Small response helpers shared by the Jira sandbox's API and admin routes (Jira's error-collection body)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import Request, Response

Json = dict[str, Any]


class Reply(Exception):  # noqa: N818 - it carries a response, it is not an error condition
    """Raised inside a handler to answer at once."""

    def __init__(self, response: Response) -> None:
        self.response = response


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = orjson.dumps(body)
    return Response(data, status_code=status, media_type="application/json;charset=UTF-8", headers=headers)


def error(status: int, *messages: str) -> Reply:
    return Reply(reply({"errorMessages": list(messages), "errors": {}}, status))


def not_found() -> Reply:
    return Reply(reply({"detail": "Not Found"}, 404))


async def read_json(request: Request) -> Json:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise error(400, "Unexpected character in the request body: it is not JSON.") from None
    if not isinstance(body, dict):
        raise error(400, "The request body must be a JSON object.")
    return body


def to_int(value: object, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise error(400, f"The '{name}' parameter must be an integer.") from None


def int_param(request: Request, name: str, default: int) -> int:
    return to_int(request.query_params.get(name), name, default)
