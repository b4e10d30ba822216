"""The clocks the client and the service read, given in one piece so that a test can move them.

`wall` (seconds since the epoch, like `time.time`) stamps and ages the answers the cache
keeps: with Redis, other processes read those stamps, so only a clock that every process
shares will do. `monotonic` (like `time.monotonic`) times what only this process sees: how
long a verdict on a credential is remembered, the bucket's refill, how long the memory store
keeps an entry, how long Redis is left alone after it failed, how long a readiness result is
reused. Setting the system's clock does not move it.

Example:
    clocks = Clocks()  # the real ones
    shared = SharedState.build(settings.shared, upstream=url, clocks=clocks)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Clocks:
    """A wall clock and a monotonic clock, each a function returning seconds."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic


__all__ = ["Clocks"]
