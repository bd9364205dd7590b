"""Hypothesis strategies that bend a vendor payload the ways a foreign answer can.

:func:`mutated` draws a copy of a payload with one to three of: a key dropped, a value nulled, an unknown field
added, a value of another JSON type, a list cut short, a string of arbitrary unicode — and :func:`unicode_everywhere`
a copy with unicode around every string. Each :class:`Mutation` keeps its path, so a test can ask that a reject
names one of the fields it touched.

``SETTINGS`` is the suite's bound for these properties: few enough examples to keep the run short, no deadline
(the first example pays for imports), and derandomized so a run in CI is the run on a laptop
(``PMHUB_PROPERTY_EXAMPLES=N`` runs N random ones instead). :func:`each` makes a property of a test over a
parameter; :func:`assert_mapped_or_named` is the property itself.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from schema import BadDataError, UnmappedStatusError, parse_record

Path = tuple[str | int, ...]
T = TypeVar("T")
Test = TypeVar("Test", bound=Callable[..., None])

SETTINGS = settings(
    max_examples=int(os.environ.get("PMHUB_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    derandomize=os.environ.get("PMHUB_PROPERTY_EXAMPLES") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# any unicode UTF-8 can carry, so no lone surrogates (a JSON decoder only yields those for a broken escape)
unicode_text = st.text(st.characters(codec="utf-8"), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(unicode_text, inner, max_size=3),
    max_leaves=6,
)


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: Path

    @property
    def names(self) -> set[str]:
        """The field names on the path: a reject that names one of them names what was touched."""
        return {part for part in self.path if isinstance(part, str)}

    def __str__(self) -> str:
        return f"{self.kind} at {'.'.join(map(str, self.path)) or '<root>'}"


EVERYWHERE = [Mutation("unicode_everywhere", ())]  # what :func:`unicode_everywhere` did: every string, from the root


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every node of a JSON value, the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def _get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def _replace(root: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def _kind_of(value: Any) -> str:
    return type(value).__name__


@st.composite
def _one(draw: st.DrawFn, root: Any, at_root: bool) -> tuple[Any, Mutation]:
    candidates = [p for p in paths(root) if p or at_root]
    path = draw(st.sampled_from(candidates))
    node = _get(root, path)
    kinds = ["null", "retype"]
    if path and isinstance(path[-1], str):
        kinds.append("drop")
    if isinstance(node, dict):
        kinds.append("unknown_field")
    if isinstance(node, list) and node:
        kinds.append("truncate")
    if isinstance(node, str):
        kinds.append("unicode")
    kind = draw(st.sampled_from(kinds))
    if kind == "drop":
        del _get(root, path[:-1])[path[-1]]
    elif kind == "null":
        root = _replace(root, path, None)
    elif kind == "unknown_field":
        key = draw(unicode_text.filter(lambda k: k not in node))
        node[key] = draw(json_values)
        path = (*path, key)
    elif kind == "retype":
        other = draw(json_values.filter(lambda v: _kind_of(v) != _kind_of(node)))
        root = _replace(root, path, other)
    elif kind == "truncate":
        root = _replace(root, path, node[: draw(st.integers(0, len(node) - 1))])
    else:
        root = _replace(root, path, draw(unicode_text))
    return root, Mutation(kind, path)


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, at_root: bool = True, most: int = 3) -> tuple[Any, list[Mutation]]:
    """``base`` (deep-copied) with one to ``most`` mutations; ``at_root=False`` keeps the value itself in place
    (an object stays an object)."""
    payload = copy.deepcopy(base)
    done: list[Mutation] = []
    for _ in range(draw(st.integers(1, most))):
        payload, mutation = draw(_one(payload, at_root))
        done.append(mutation)
    return payload, done


@st.composite
def unicode_everywhere(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with the same unicode drawn around every string (ids, names and timestamps alike)."""
    before, after = draw(unicode_text), draw(unicode_text)

    def bend(value: Any) -> Any:
        if isinstance(value, str):
            return before + value + after
        if isinstance(value, dict):
            return {key: bend(child) for key, child in value.items()}
        if isinstance(value, list):
            return [bend(child) for child in value]
        return value

    return bend(base)


def outcome(fn: Callable[[], T], named: tuple[type[Exception], ...] = (BadDataError,)) -> T | Exception:
    """What ``fn()`` returns, or the named error it raised (:class:`BadDataError` unless told); any other
    exception fails the test."""
    try:
        return fn()
    except named as exc:
        return exc


def names_a_touched_field(reject: Exception, mutations: list[Mutation], unbent: object = None) -> bool:
    """Whether a reject names a field the mutations touched, or gives the reason the payload was rejected for
    before it was bent (``unbent``: what mapping it gave; the reason is its message up to the first colon). A
    payload bent at its root, e.g. an item that is not an object, is named by what it is, which any message does."""
    if isinstance(unbent, Exception) and str(unbent).split(":", 1)[0] == str(reject).split(":", 1)[0]:
        return True
    if any(not m.path for m in mutations):
        return True
    return any(name in str(reject) for m in mutations for name in m.names if name)


def touched(mutations: list[Mutation]) -> str:
    return ", ".join(map(str, mutations))


def each(name: str, values: Iterable[str]) -> Callable[[Test], Test]:
    """``test(name, data)`` as a property (bounded by ``SETTINGS``) for each of ``values``."""

    def decorate(test: Test) -> Test:
        marked: Test = pytest.mark.parametrize(name, sorted(values))(SETTINGS(given(data=st.data())(test)))
        return marked

    return decorate


def _records(result: Any) -> Iterator[BaseModel]:
    """The schema records in what a reader gave: itself, a list of them, or a delivery's change."""
    found = getattr(result, "records", result)
    for item in found if isinstance(found, list) else [found]:
        if isinstance(item, BaseModel) and hasattr(item, "kind"):
            yield item


def assert_mapped_or_named(
    read: Callable[[Any], Any],
    base: Any,
    payload: Any,
    mutations: list[Mutation],
    status_fields: frozenset[str] = frozenset(),
) -> None:
    """``read(payload)`` — ``payload`` being ``base`` bent by ``mutations`` — gives records that survive their JSON
    form, or a :class:`BadDataError` that :func:`names_a_touched_field`; an :class:`UnmappedStatusError` only when
    a status field (``status_fields``) was bent, or ``base`` was unmapped already. Anything else fails."""
    named = (BadDataError, UnmappedStatusError)
    result, unbent = outcome(lambda: read(payload), named), outcome(lambda: read(base), named)
    if isinstance(result, UnmappedStatusError):
        bent_status = any(m.names & status_fields or not m.path for m in mutations)
        assert bent_status or str(result) == str(unbent), f"{result} (after {touched(mutations)})"
    elif isinstance(result, Exception):
        assert names_a_touched_field(result, mutations, unbent), f"{result} (after {touched(mutations)})"
    else:
        for record in _records(result):
            assert parse_record(record.model_dump_json()) == record
