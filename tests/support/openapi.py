"""Check a served JSON body against the vendor's own OpenAPI description of the same operation.

``validate_response("jira", "GET", "/rest/api/3/search/jql", 200, body)`` finds the operation whose path template
matches the concrete path, takes the response schema for the status code (exact, then ``2XX``, then ``default``)
and validates with ``jsonschema``; it returns readable error strings (empty = valid). ``assert_valid`` raises.

The descriptions are OpenAPI 3.0 (GitHub 3.0.3, Jira 3.0.1), whose schema dialect is not JSON Schema: ``nullable:
true`` is rewritten to a type union (or ``anyOf`` with null when there is no ``type``), and siblings of ``$ref`` are
dropped, as 3.0 ignores them. Formats are not asserted (Jira's ``2024-01-05T10:01:52.971+0100`` is Jira's, not
RFC 3339). GitHub Enterprise paths (``/api/v3/...``) are matched without the prefix; Jira's ``/rest/api/2/...`` is
matched against the v3 operation of the same name (the description covers v3 only).

Specs load once per process; a validator is built the first time its operation and status are asked for.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from typing import Any, Literal

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.paths import SPECS

Api = Literal["github", "jira"]
_FILES: dict[str, str] = {"github": "github-rest.openapi.json.gz", "jira": "jira-platform-v3.openapi.json.gz"}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def _translate(node: Any, base: str) -> Any:
    """OpenAPI 3.0 schema dialect → JSON Schema draft 4 (nullable, $ref siblings); local refs made absolute."""
    if isinstance(node, list):
        return [_translate(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": base + node["$ref"] if node["$ref"].startswith("#") else node["$ref"]}
    out = {key: _translate(value, base) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _spec(api: Api) -> dict[str, Any]:
    with gzip.open(SPECS / _FILES[api]) as handle:
        raw: dict[str, Any] = json.load(handle)
    return {"paths": raw["paths"], "components": _translate(raw.get("components", {}), f"urn:{api}")}


@cache
def _registry(api: Api) -> Registry[Any]:
    resource: Resource[Any] = DRAFT4.create_resource(_spec(api))
    registry: Registry[Any] = Registry().with_resource(f"urn:{api}", resource)
    return registry


@cache
def _templates(api: Api) -> list[tuple[re.Pattern[str], str]]:
    """Path templates as regexes, most literal first, so ``/project/search`` beats ``/project/{key}``."""

    def literal_weight(template: str) -> tuple[int, int]:
        parts = template.strip("/").split("/")
        return (-sum(not p.startswith("{") for p in parts), -len(template))

    compiled = []
    for template in sorted(_spec(api)["paths"], key=literal_weight):
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(pattern + "/?$"), template))
    return compiled


def _normalise(api: Api, path: str) -> str:
    path = path.split("?", 1)[0]
    if api == "github" and path.startswith("/api/v3/"):
        return path[len("/api/v3") :]
    if api == "jira" and path.startswith("/rest/api/2/"):
        return "/rest/api/3/" + path[len("/rest/api/2/") :]
    return path


def find_operation(api: Api, method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The (path template, operation object) serving ``method path``; LookupError if the description lacks it."""
    concrete = _normalise(api, path)
    for pattern, template in _templates(api):
        if pattern.match(concrete):
            operation = _spec(api)["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise LookupError(f"{api}: no operation for {method.upper()} {path}")


def _json_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media, entry in content.items():
        if "json" in media and "schema" in entry:
            schema: dict[str, Any] = entry["schema"]
            return schema
    return None


@cache
def _validator(api: Api, method: str, template: str, status: int) -> jsonschema.Draft4Validator | str:
    """A validator, or the reason there cannot be one (status undocumented, no JSON body documented)."""
    responses = _spec(api)["paths"][template][method]["responses"]
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    if key is None:
        return f"{api}: {method.upper()} {template} does not document status {status} (has {sorted(responses)})"
    response = responses[key]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = _spec(api)["components"]["responses"][name]
    schema = _json_schema(response.get("content", {}))
    if schema is None:
        return f"{api}: {method.upper()} {template} {status} documents no JSON body"
    return jsonschema.Draft4Validator(_translate(schema, f"urn:{api}"), registry=_registry(api))


def validate_response(api: Api, method: str, path: str, status: int, body: Any) -> list[str]:
    template, _ = find_operation(api, method, path)
    validator = _validator(api, method.lower(), template, status)
    if isinstance(validator, str):
        return [validator]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    ]


def assert_valid(api: Api, method: str, path: str, status: int, body: Any) -> None:
    errors = validate_response(api, method, path, status, body)
    if errors:
        shown = "\n  ".join(errors[:20])
        raise AssertionError(f"{method.upper()} {path} → {status} does not match the {api} description:\n  {shown}")
