"""The built wheel, installed on its own: `graphql-api serve` from it serves a working GraphiQL.

The wheel is built from a copy of the sources (the checkout's node_modules linked in, as
`npm ci` left it), installed with its dependencies into a fresh venv (pip takes them from its
cache or the configured index), and served from a directory far from the checkout, so nothing
can be found through the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from graphql_api.graphiql import STATIC_PATH
from graphql_api.graphiql.assets import ASSET_FILES, PROJECT_NODE_MODULES
from tests.node_tools import ROOT
from tests.packaging.installed import serving

SOURCES = ("pyproject.toml", "setup.py", "README.md", "package.json", "package-lock.json")
BROWSER = {"Accept": "text/html"}


def _run(*command: str | Path, cwd: Path, env: dict[str, str]) -> None:
    finished = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, f"{command}\n{finished.stdout}\n{finished.stderr}"


def _source_copy(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "graphql_api",
        source / "graphql_api",
        ignore=shutil.ignore_patterns("__pycache__", "vendor"),
    )
    shutil.copytree(
        ROOT / "build_backend", source / "build_backend",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (source / "node_modules").symlink_to(PROJECT_NODE_MODULES)
    return source


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from these sources, and its dependencies."""
    missing = [rel for rel in ASSET_FILES.values() if not (PROJECT_NODE_MODULES / rel).is_file()]
    if missing:  # pragma: no cover - `make` runs npm ci before the tests
        pytest.fail(f"run `npm ci` first: node_modules lacks {missing}")
    tmp_path = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    source = _source_copy(tmp_path)
    dist = tmp_path / "dist"
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, source, cwd=tmp_path, env=env)
    (wheel,) = dist.glob("graphql_api-*.whl")
    venv = tmp_path / "venv"
    # A venv without pip of its own (quicker to make): this pip installs into it.
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", "--quiet", wheel, cwd=tmp_path, env=env)
    return venv


def _site_package(venv: Path) -> Path:
    (package,) = (venv / "lib").glob("python3*/site-packages/graphql_api")
    return package


def test_wheel_carries_graphiqls_assets_as_npm_installed_them(installed: Path) -> None:
    vendor = _site_package(installed) / "graphiql" / "vendor"
    carried = sorted(str(path.relative_to(vendor)) for path in vendor.rglob("*") if path.is_file())
    assert carried == sorted(ASSET_FILES.values())
    for relative in ASSET_FILES.values():
        assert (vendor / relative).read_bytes() == (PROJECT_NODE_MODULES / relative).read_bytes()


def test_installed_serve_answers_the_graphiql_page_and_its_assets(
    installed: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    for name in ("PARTNER_CENTER_URL", "GRAPHIQL_ASSETS_DIR"):
        env.pop(name, None)
    with serving(installed, cwd=tmp_path, env=env) as base:
        page = httpx.get(f"{base}/graphql", headers=BROWSER)
        asset = httpx.get(f"{base}{STATIC_PATH}/graphiql.min.js")
    assert page.status_code == 200
    assert f'src="{STATIC_PATH}/graphiql.min.js"' in page.text
    assert asset.status_code == 200
    assert asset.content == (PROJECT_NODE_MODULES / ASSET_FILES["graphiql.min.js"]).read_bytes()
