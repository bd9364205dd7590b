"""The shape of a vendor payload (a listed item, a webhook body), checked where it is read.

A field of the wrong kind raises :class:`schema.BadDataError` naming it ("`issue` must be an object, got a
string"), so an item that does not fit is rejected with the reason (and the rest of its page kept), and a signed
delivery that can never apply is rejected instead of passing as applied or being retried. ``path`` names where the
parent sits in the payload ("issue", "issue.fields").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from schema import BadDataError

Json = dict[str, Any]
Parent = Mapping[str, Any]
T = TypeVar("T")


def kind_of(value: object) -> str:
    """A JSON value's kind, as a message says it: "a string", "an integer", "null" …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds: tuple[tuple[type, str], ...] = (
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (list, "an array"),
        (dict, "an object"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _where(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _refused(parent: Parent, name: str, path: str, wanted: str) -> BadDataError:
    if name not in parent:
        return BadDataError(f"`{_where(path, name)}` is missing (it must be {wanted})")
    return BadDataError(f"`{_where(path, name)}` must be {wanted}, got {kind_of(parent[name])}")


def _checked(parent: Parent, name: str, path: str, wanted: str, fits: Callable[[object], bool]) -> Any:
    value = parent.get(name)
    if not fits(value):
        raise _refused(parent, name, path, wanted)
    return value


def obj(parent: Parent, name: str, path: str = "") -> Json:
    found: Json = _checked(parent, name, path, "an object", lambda v: isinstance(v, dict))
    return found


def text(parent: Parent, name: str, path: str = "") -> str:
    found: str = _checked(parent, name, path, "a non-empty string", lambda v: isinstance(v, str) and bool(v))
    return found


def string(parent: Parent, name: str, path: str = "") -> str:
    """A string, the empty one included (a body, a description)."""
    found: str = _checked(parent, name, path, "a string", lambda v: isinstance(v, str))
    return found


def flag(parent: Parent, name: str, path: str = "") -> bool:
    found: bool = _checked(parent, name, path, "true or false", lambda v: isinstance(v, bool))
    return found


def one_of(parent: Parent, name: str, allowed: tuple[str, ...], path: str = "") -> str:
    """A string that is one of ``allowed`` (a state, a conclusion)."""
    value = text(parent, name, path)
    if value not in allowed:
        raise BadDataError(f"`{_where(path, name)}` must be one of {', '.join(allowed)}, got {value[:40]!r}")
    return value


def number(parent: Parent, name: str, path: str = "") -> int:
    found: int = _checked(parent, name, path, "an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
    return found


def optional(read: Callable[[Parent, str, str], T], parent: Parent, name: str, path: str = "") -> T | None:
    """``read`` of the field (:func:`obj`, :func:`text` …), or ``None`` when it is absent or null."""
    return None if parent.get(name) is None else read(parent, name, path)


def ident(parent: Parent, name: str, path: str = "") -> str:
    """An id: an integer, or a string of digits (Jira sends ids as strings, GitHub as numbers)."""
    value = parent.get(name)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _refused(parent, name, path, "an id (an integer or a string of digits)")


def array(parent: Parent, name: str, path: str = "") -> list[Any]:
    """The array at ``name``; absent or null is an empty one."""
    value = parent.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refused(parent, name, path, "an array")
    return value
