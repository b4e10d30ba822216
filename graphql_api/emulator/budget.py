"""The per-minute call budget behind the emulator's 429s."""

from __future__ import annotations

import math


class MinuteBudget:
    """Counts calls per principal per clock minute, as Partner Center's per-tenant limit does."""

    def __init__(self) -> None:
        self._window = -1
        self._counts: dict[str, int] = {}

    def take(self, key: str, *, now: float, per_minute: int) -> int | None:
        """Spend one call for `key`; None when allowed, else seconds until the next minute.

        `per_minute` 0 means unlimited. A refused call still counts, since upstream says
        every request counts against the limit, retries included.
        """
        if per_minute <= 0:
            return None
        window = math.floor(now / 60)
        if window != self._window:
            # Only the current minute matters; forgetting older ones keeps memory flat.
            self._window = window
            self._counts = {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count <= per_minute:
            return None
        return max(1, math.ceil((window + 1) * 60 - now))

    def reset(self) -> None:
        """Forget every count."""
        self._window = -1
        self._counts = {}


__all__ = ["MinuteBudget"]
