"""A real redis-server for tests (see `bench.redis_process`).

Under CI a missing redis-server fails the tests that need it; elsewhere they skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.redis_process import RedisServer, redis_executable, redis_process


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A started redis-server until the block ends; skips (fails under CI) without one."""
    executable = redis_executable()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs Debian's package)")
        pytest.skip("redis-server is not installed")
    with redis_process(executable) as server:
        yield server


__all__ = ["RedisServer", "redis_server"]
