"""A throwaway redis-server (Debian's /usr/bin/redis-server) on a free loopback port.

It keeps nothing on disk, so a restart comes back empty, as a Redis that lost its data.
Used by `bench.budget` and by the tests that share state through Redis.

Example:
    with redis_process() as redis:
        print(redis.url)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from bench.processes import free_port

REDIS_SERVER = "/usr/bin/redis-server"


def redis_executable() -> str | None:
    """The redis-server to run, or None when none is installed."""
    if os.path.exists(REDIS_SERVER):
        return REDIS_SERVER
    return shutil.which("redis-server")


class RedisServer:
    """One redis-server process that may be stopped and started again on the same port."""

    def __init__(self, executable: str, port: int) -> None:
        self.executable = executable
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._dir = tempfile.mkdtemp(prefix="redis-test-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        self._process = subprocess.Popen(
            [
                self.executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill it (SIGKILL: it goes away as a crashed Redis would)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def ping(self) -> bool:
        """True when it answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def keys(self, pattern: str = "*") -> list[str]:
        """Keys matching `pattern`."""
        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=2, decode_responses=True
        )
        try:
            return [str(key) for key in client.keys(pattern)]
        finally:
            client.close()


    def remove(self) -> None:
        """Stop it and delete its working directory."""
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextmanager
def redis_process(executable: str | None = None) -> Iterator[RedisServer]:
    """A started redis-server until the block ends."""
    executable = executable or redis_executable()
    if executable is None:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(executable, free_port())
    server.start()
    try:
        yield server
    finally:
        server.remove()


__all__ = ["RedisServer", "redis_executable", "redis_process"]
