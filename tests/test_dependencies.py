"""Every third-party package pmhub imports is declared in pyproject.toml: the code's in ``dependencies``, the test
suite's and the benchmarks' there or in the ``test`` extra — none arrives only because another package brings it."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest

from tests.support.imports import OURS, PACKAGES, ROOT, imports

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement (``uvicorn[standard]>=0.29`` → ``uvicorn``)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


RUNTIME = {_name(r) for r in PROJECT["dependencies"]}
TEST = RUNTIME | {_name(r) for r in PROJECT["optional-dependencies"]["test"]}


def _undeclared(packages: tuple[str, ...], declared: set[str]) -> list[str]:
    providers = packages_distributions()
    missing = []
    for package in packages:
        for imp in imports(package):
            if imp.top in OURS or imp.top in sys.stdlib_module_names or imp.top == "__future__":
                continue
            distributions = {_name(d) for d in providers.get(imp.top, [])}
            if not distributions & declared:
                missing.append(f"{imp} (from {', '.join(sorted(distributions)) or 'no installed distribution'})")
    return missing


def test_the_name_of_a_requirement_ignores_extras_versions_and_spelling() -> None:
    assert _name("uvicorn[standard]>=0.29") == "uvicorn"
    assert _name("Pydantic_Settings>=2.13") == "pydantic-settings"


@pytest.mark.parametrize("package", PACKAGES)
def test_what_the_code_imports_is_a_declared_dependency(package: str) -> None:
    assert _undeclared((package,), RUNTIME) == []


def test_what_the_tests_and_benchmarks_import_is_declared_for_them() -> None:
    assert _undeclared(("tests", "bench"), TEST) == []
