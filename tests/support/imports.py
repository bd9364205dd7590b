"""Every import statement of pmhub's own packages, read from the source (nothing is imported to find them)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schema", "serving", "connectors", "sync", "reports", "hub", "flows", "cli", "sandbox")
OURS = frozenset((*PACKAGES, "bench", "tests"))


@dataclass(frozen=True)
class Import:
    file: Path
    line: int
    module: str  # absolute, dotted: "sync.store", "requests"

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line} imports {self.module}"


def imports(package: str) -> Iterator[Import]:
    """The imports of every module of ``package``, at any depth (inside functions and ``TYPE_CHECKING`` too)."""
    for file in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
            if isinstance(node, ast.Import):
                yield from (Import(file, node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield Import(file, node.lineno, node.module)
