"""The façade and the emulator as subprocesses on loopback, and their resident memory.

Both run as `python -m graphql_api serve|emulator`, exactly as a person would start them, so
what is measured is the real server (uvicorn, logging, the app) and its RSS is readable from
`/proc/<pid>/status`. Output goes to a log file, shown when a process fails to start.
`BENCH_SERVER_PYTHONPATH` (a directory holding another checkout's `graphql_api`) runs the
servers from there, for before/after comparisons with the same harness.

Example:
    with emulator_process(customers=2000) as emulator, service_process(emulator.url) as svc:
        print(svc.url, svc.rss_bytes())
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from graphql_api.config import (
    SchemaSettings,
    ServerSettings,
    Settings,
    SharedStateSettings,
    UpstreamSettings,
)

# A fixed cursor secret: several runs (and a restarted service) accept each other's cursors.
CURSOR_SECRET = "bench-and-reliability-cursor-secret"
BEARER = "Bearer bench-token"
# The benchmarks and the reliability suite measure what each request costs the façade and
# Partner Center: a cache answering repeats, or a budget holding calls back, would hide that.
# bench/budget.py, which measures exactly those, turns them back on.
UNSHARED_ENV = {"CACHE_TTL_SECONDS": "0", "UPSTREAM_RATE_PER_MINUTE": "0"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    """Resident set size of process `pid` now (0 once it has gone)."""
    return _status_kib(pid, "VmRSS:") * 1024


def peak_rss_bytes(pid: int) -> int:
    """The highest resident set size process `pid` has had so far (Linux's VmHWM)."""
    return _status_kib(pid, "VmHWM:") * 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time process `pid` has used so far (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # Fields after the command name (which may hold spaces) start at ") ".
            fields = stat.read().rsplit(") ", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    # utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return 0


@dataclass
class Server:
    """A server subprocess: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        """The server's process id (the uvicorn process itself: one worker, no supervisor)."""
        return self.process.pid

    def rss_bytes(self) -> int:
        """The server's resident memory now."""
        return rss_bytes(self.pid)

    def log_tail(self, characters: int = 4000) -> str:
        """The end of the server's output, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""


def _wait_ready(server: Server, health_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            if httpx.get(server.url + health_path, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    _stop(server.process)
    raise RuntimeError(f"{server.url} did not become ready:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def _server(
    args: list[str], *, port: int, env: Mapping[str, str], health_path: str, name: str
) -> Iterator[Server]:
    with tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    log_file: IO[bytes] = log_path.open("wb")
    server_env = {**os.environ, **env}
    # Before/after comparisons: run the servers from another checkout of graphql_api.
    server_path = os.environ.get("BENCH_SERVER_PYTHONPATH")
    if server_path:
        server_env["PYTHONPATH"] = server_path
    # `python -m` puts the working directory first on sys.path: start from a neutral one so
    # that BENCH_SERVER_PYTHONPATH, not this checkout, provides graphql_api.
    cwd = tempfile.gettempdir() if server_path else None
    process = subprocess.Popen(
        [sys.executable, "-m", "graphql_api", *args, "--host", "127.0.0.1", "--port", str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=server_env,
        cwd=cwd,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server, health_path, timeout=30.0)
        yield server
    finally:
        _stop(process)
        log_file.close()
        log_path.unlink(missing_ok=True)


def in_process_settings(upstream: str) -> Settings:
    """Settings for a façade run inside the bench's own process, as `service_process` runs one."""
    return Settings(
        upstream=UpstreamSettings(base_url=upstream),
        use_embedded_emulator=False,
        server=ServerSettings(log_level="WARNING"),
        schema=SchemaSettings(cursor_secret=CURSOR_SECRET.encode()),
        shared=SharedStateSettings(cache_ttl=0, rate_per_minute=0),
    )


@contextmanager
def emulator_process(
    *, customers: int = 2000, seed: int = 1, extra_args: tuple[str, ...] = ()
) -> Iterator[Server]:
    """`graphql-api emulator` on a free loopback port, until the block ends."""
    args = ["emulator", "--customers", str(customers), "--seed", str(seed), *extra_args]
    with _server(
        args, port=free_port(), env={}, health_path="/_emulator/health", name="emulator"
    ) as server:
        yield server


@contextmanager
def service_process(upstream: str, *, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """`graphql-api serve --upstream URL` on a free loopback port, until the block ends.

    `env` adds settings (UPSTREAM_*, LOG_LEVEL...) to the inherited environment. The cache
    and the call budget are off (`UNSHARED_ENV`) unless `env` sets them.
    """
    settings = {"CURSOR_SECRET": CURSOR_SECRET, **UNSHARED_ENV, **(env or {})}
    with _server(
        ["serve", "--upstream", upstream],
        port=free_port(),
        env=settings,
        health_path="/healthz",
        name="service",
    ) as server:
        yield server


@dataclass
class RssSampler:
    """Samples a process's RSS in a background thread every `interval` seconds."""

    pid: int
    interval: float = 0.05
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name=f"rss-{self.pid}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = rss_bytes(self.pid)
            if value:
                self.samples.append(value)
            self._stop.wait(self.interval)

    @property
    def peak(self) -> int:
        """The highest sample (0 when none was taken)."""
        return max(self.samples, default=0)


class EmulatorControl:
    """The emulator's operations routes: knobs and call counters."""

    def __init__(self, url: str) -> None:
        self._http = httpx.Client(base_url=url, timeout=10.0)
        self.defaults: dict[str, object] = self._http.get("/_emulator/faults").json()

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def configure(self, **knobs: object) -> dict[str, object]:
        """Change knobs at run time (`PUT /_emulator/faults`); returns all of them."""
        response = self._http.put("/_emulator/faults", json=knobs)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def restore(self) -> None:
        """Every knob back to what it was at start."""
        self.configure(**self.defaults)

    def reset_stats(self) -> None:
        """Zero the call counters."""
        self._http.post("/_emulator/stats/reset").raise_for_status()

    def stats(self) -> dict[str, object]:
        """The call counters (`GET /_emulator/stats`)."""
        result: dict[str, object] = self._http.get("/_emulator/stats").json()
        return result

    def calls(self) -> int:
        """Customer-route calls counted since the last reset."""
        total = self.stats()["total"]
        assert isinstance(total, int)
        return total


__all__ = [
    "BEARER",
    "CURSOR_SECRET",
    "EmulatorControl",
    "RssSampler",
    "Server",
    "cpu_seconds",
    "emulator_process",
    "free_port",
    "in_process_settings",
    "peak_rss_bytes",
    "rss_bytes",
    "service_process",
]
