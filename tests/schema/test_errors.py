"""The error tree drawn in schema/errors.py is the tree the classes form."""

from __future__ import annotations

import builtins
import inspect
import re

from schema import errors

# a node of the drawing: "    " + "│   " per level above + "├── " or "└── " + Name + optional " (Builtin)"
_NODE = re.compile(r"^    (?P<levels>(?:│   |    )*)(?P<branch>[├└]── )?(?P<name>[A-Z]\w+)(?: \((?P<builtin>\w+)\))?")


def _drawn() -> list[tuple[int, str, str | None]]:
    """(depth, class name, builtin it is drawn with) for every node of the docstring's tree."""
    nodes = []
    for line in (errors.__doc__ or "").splitlines():
        match = _NODE.match(line)
        if match:
            depth = len(match["levels"]) // 4 + bool(match["branch"])
            nodes.append((depth, match["name"], match["builtin"]))
    return nodes


def test_every_error_class_is_drawn_once_under_its_real_parent_with_its_builtin() -> None:
    nodes = _drawn()
    defined = {n for n, v in vars(errors).items() if inspect.isclass(v) and issubclass(v, Exception)}
    assert sorted(name for _, name, _ in nodes) == sorted(defined)
    parents: dict[int, type[Exception]] = {}
    for depth, name, builtin in nodes:
        cls = getattr(errors, name)
        parents[depth] = cls
        if depth:
            assert cls.__bases__[0] is parents[depth - 1], name
        if builtin is not None:
            assert issubclass(cls, getattr(builtins, builtin)), name


def test_the_groups_are_what_a_caller_catches() -> None:
    assert issubclass(errors.AuthError, errors.ConfigError)
    assert issubclass(errors.RefusedError, errors.ConfigError)
    assert not issubclass(errors.RetryLaterError, errors.ConfigError | errors.BadDataError)
    failed = errors.SyncFailedError([{"source": "jira", "error": "boom"}, {"source": "github", "error": None}])
    assert str(failed) == "sync failed for: jira"
