"""Imports never run back up (design.md's data flow), checked on the source by `ast`.

HTTP stays in `web/`; `partner_center/` knows nothing of GraphQL, the app or the speed
layer; `auth/` and `schema/` form no loop; the emulator stands alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import graphql_api

PACKAGE = Path(graphql_api.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute (relative imports resolved)."""
    # The package a relative import starts from: the module's own (an `__init__` is its).
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _imports_of(subpackage: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): _imports(path)
        for path in sorted((PACKAGE / subpackage).rglob("*.py"))
    }


def _offenders(subpackage: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for module, imported in _imports_of(subpackage).items():
        bad = sorted(
            name
            for name in imported
            if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
        )
        if bad:
            found[module] = bad
    return found


@pytest.mark.parametrize(
    ("subpackage", "forbidden"),
    [
        # HTTP only in web/: the schema sees plain values, never a request.
        ("schema", ("starlette", "graphql_api.web")),
        (
            "partner_center",
            (
                "graphql",
                "strawberry",
                "starlette",
                "httptools",
                "graphql_api.schema",
                "graphql_api.web",
                "graphql_api.speed",
                "graphql_api.auth",
                "graphql_api.config",
            ),
        ),
        ("auth", ("graphql_api.schema", "graphql_api.web", "strawberry", "graphql")),
        (
            "emulator",
            (
                "graphql_api.web",
                "graphql_api.schema",
                "graphql_api.partner_center",
                "graphql_api.speed",
                "graphql_api.auth",
            ),
        ),
    ],
)
def test_a_package_imports_nothing_above_it(subpackage: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(subpackage, forbidden) == {}


def test_the_import_reader_sees_relative_imports() -> None:
    # The check above would pass vacuously if relative imports were misread.
    imported = _imports(PACKAGE / "web" / "graphql_view.py")
    assert "graphql_api.schema.context" in imported
    assert "graphql_api.web.negotiation" in imported
