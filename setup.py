"""Build step: GraphiQL's browser assets go into the wheel, taken from npm's node_modules.

The project's metadata is in pyproject.toml; this file only adds to setuptools' `build_py`.
The GraphiQL page serves four files from npm packages (React, ReactDOM, GraphiQL and its
stylesheet, pinned in package-lock.json). A checkout serves them from its own node_modules,
but an installed wheel has no checkout, so `build_py` copies them into the package, under
`graphql_api/graphiql/vendor/`, keeping their node_modules paths. Which files is read from
`graphql_api/graphiql/assets.py` (`ASSET_FILES`), the list the service serves from.

The build fails, naming the fix, when node_modules lacks a file or holds another version
than package-lock.json pins: run `npm ci` first (`make`, and the Dockerfile, do). An editable
install copies nothing: it serves the checkout's node_modules directly.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "node_modules"
ASSETS_MODULE = ROOT / "graphql_api" / "graphiql" / "assets.py"
VENDOR_DIR = ("graphql_api", "graphiql", "vendor")


class AssetsMissing(RuntimeError):
    """node_modules does not hold the GraphiQL assets that package-lock.json pins."""


def asset_files() -> dict[str, str]:
    """`ASSET_FILES` from assets.py, read without importing the package."""
    tree = ast.parse(ASSETS_MODULE.read_text("utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "ASSET_FILES"
            and node.value is not None
        ):
            files: dict[str, str] = ast.literal_eval(node.value)
            return files
    raise AssetsMissing(f"{ASSETS_MODULE} defines no ASSET_FILES")


def _package_name(relative: str) -> str:
    parts = relative.split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


def check_node_modules() -> list[str]:
    """The assets' node_modules paths, once each is present at the version the lock pins."""
    files = sorted(asset_files().values())
    fix = "run `npm ci` in the project directory (make does) before building the wheel"
    missing = [relative for relative in files if not (NODE_MODULES / relative).is_file()]
    if missing:
        raise AssetsMissing(
            f"GraphiQL's assets are not in {NODE_MODULES}: {', '.join(missing)}; {fix}"
        )
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    for package in sorted({_package_name(relative) for relative in files}):
        pinned = lock.get(f"node_modules/{package}", {}).get("version")
        manifest = NODE_MODULES / package / "package.json"
        installed = json.loads(manifest.read_text("utf-8")).get("version")
        if pinned is None or installed != pinned:
            raise AssetsMissing(
                f"node_modules holds {package} {installed}, package-lock.json pins {pinned}; {fix}"
            )
    return files


class BuildPyWithAssets(build_py):
    """setuptools' build_py, plus GraphiQL's assets copied from node_modules."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for relative in check_node_modules():
            target = Path(self.build_lib, *VENDOR_DIR, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE_MODULES / relative, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        vendor = Path(self.build_lib, *VENDOR_DIR)
        return outputs + [str(vendor / relative) for relative in asset_files().values()]


setup(cmdclass={"build_py": BuildPyWithAssets})
