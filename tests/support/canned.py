"""A small real HTTP server that answers each path with the JSON a test set for it, so a connector's streams can be
run over exactly the page a test built (the sandbox serves only well-formed worlds).

``answers`` maps a path to a JSON value, or to a function of the query parameters returning one; any other path
answers 404. Changing ``answers`` between requests changes what the next request gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serving import ServedApp

Answer = Any | Callable[[dict[str, str]], Any]


class Canned:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.url = ""

    async def _answer(self, request: Request) -> Response:
        found = self.answers.get(request.url.path)
        if found is None:
            return JSONResponse({"message": "Not Found"}, 404)
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(await request.json())
        return JSONResponse(found(params) if callable(found) else found)


@contextmanager
def canned() -> Iterator[Canned]:
    server = Canned()
    app = Starlette(routes=[Route("/{path:path}", server._answer, methods=["GET", "POST"])])
    with ServedApp(app) as served:
        server.url = served.url
        yield server
