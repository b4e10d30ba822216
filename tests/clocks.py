"""The service's clocks for tests: the real ones plus an offset a test moves forward."""

from __future__ import annotations

import time

from graphql_api.partner_center import Clocks


class MovedClocks:
    """Wall and monotonic time, both `offset` seconds ahead of the real clocks.

    They keep running as the real ones do (the bucket refills, an answer ages), so that only
    the waits a test means to skip are skipped: `advance` moves both at once.
    """

    def __init__(self) -> None:
        self.offset = 0.0
        self.clocks = Clocks(wall=self._wall, monotonic=self._monotonic)

    def advance(self, seconds: float) -> None:
        """Move both clocks `seconds` forward."""
        self.offset += seconds

    def _wall(self) -> float:
        return time.time() + self.offset

    def _monotonic(self) -> float:
        return time.monotonic() + self.offset


class HandClock:
    """A clock (a function returning seconds) that moves only when a test sets `now`."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
