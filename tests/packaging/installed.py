"""An installed `graphql-api` served from its own venv, for the packaging tests."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.live_server import free_port


@contextmanager
def serving(venv: Path, *, cwd: Path, env: Mapping[str, str]) -> Iterator[str]:
    """`graphql-api serve` from `venv` on a free port, healthy; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [venv / "bin" / "graphql-api", "serve", "--port", str(port)],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the installed service exited"
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the installed service did not become healthy"
            time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
