"""The layers go one way, checked on every import statement of every module (inside functions too).

    schema ← connectors ← sync ← hub ← flows ← cli          reports: rendering, over schema only
    serving (the uvicorn wrapper) and sandbox sit beside them: the sandbox uses serving and nothing else of ours
"""

from __future__ import annotations

import pytest

from tests.support.imports import OURS, PACKAGES, imports

# what each package may import of ours, besides itself
ALLOWED: dict[str, frozenset[str]] = {
    "schema": frozenset(),
    "serving": frozenset(),
    "reports": frozenset({"schema"}),
    "connectors": frozenset({"schema", "reports"}),
    "sync": frozenset({"schema", "connectors"}),
    "hub": frozenset({"schema", "serving", "connectors", "sync", "reports"}),
    "flows": frozenset({"schema", "connectors", "sync", "reports", "hub"}),
    "cli": frozenset({"schema", "serving", "connectors", "sync", "reports", "hub", "flows", "sandbox"}),
    "sandbox": frozenset({"serving"}),
}


def test_every_package_has_its_rule() -> None:
    assert set(ALLOWED) == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = [
        str(imp)
        for imp in imports(package)
        if imp.top in OURS and imp.top != package and imp.top not in ALLOWED[package]
    ]
    assert wrong == []


def test_the_walk_sees_imports_inside_functions() -> None:
    """The command line imports the flows inside its commands; the walk must see them, or it proves nothing."""
    assert any(imp.module == "flows.sync_flow" for imp in imports("cli"))
