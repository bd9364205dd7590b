"""Every module's logger is named under ``pmhub``, the one root the command line and the flows route."""

from __future__ import annotations

import ast

import pytest

from tests.support.imports import PACKAGES, ROOT


def _module_loggers(package: str) -> list[tuple[str, str]]:
    """(file, the logger name expression) of every module-level ``x = logging.getLogger(...)``."""
    found = []
    for file in sorted((ROOT / package).rglob("*.py")):
        for node in ast.parse(file.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "getLogger"
            ):
                found.append((str(file.relative_to(ROOT)), ast.unparse(node.value.args[0])))
    return found


def test_modules_do_log() -> None:
    """Without loggers the rule below proves nothing."""
    assert len([name for package in PACKAGES for name in _module_loggers(package)]) >= 4


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_logger_is_named_pmhub_dot_its_module(package: str) -> None:
    wrong = [(file, name) for file, name in _module_loggers(package) if name != "f'pmhub.{__name__}'"]
    assert wrong == []
