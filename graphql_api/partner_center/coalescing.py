"""Identical calls in flight share one: later askers of a key await the first one's outcome.

The call runs as its own task, so the operation that started it may be cancelled (its
client went away) without failing the others that wait for the same answer; when every
asker has been cancelled, nobody wants the answer any more and the call is cancelled too
(its slot freed, its remaining attempts never sent).

Example:
    coalescer = Coalescer()
    answer = await coalescer.run(key, fetch)  # fetch() runs once for concurrent askers
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalescer(Generic[T]):
    """One call per key at a time; every asker gets its result or its exception."""

    def __init__(self) -> None:
        self._in_flight: dict[str, asyncio.Task[T]] = {}
        # Per call in flight, how many askers await it.
        self._askers: dict[asyncio.Task[T], int] = {}

    @property
    def in_flight(self) -> int:
        """Keys being fetched right now."""
        return len(self._in_flight)

    def is_in_flight(self, key: str) -> bool:
        """True when a call for `key` is running: `run(key, ...)` would join it."""
        return key in self._in_flight

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """`call()`'s outcome, and whether it came from a call another asker had started."""
        task = self._in_flight.get(key)
        joined = task is not None
        if task is None:
            task = asyncio.ensure_future(call())
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        self._askers[task] = self._askers.get(task, 0) + 1
        try:
            # Shielded: one asker cancelled must not cancel the call the others wait for.
            return await asyncio.shield(task), joined
        finally:
            left = self._askers[task] - 1
            if left:
                self._askers[task] = left
            else:
                del self._askers[task]
            if left == 0 and not task.done():
                # The last asker was cancelled: forget the call at once, so that a new
                # asker starts its own rather than joining one that is being cancelled.
                if self._in_flight.get(key) is task:
                    del self._in_flight[key]
                task.cancel()

    def _forget(self, key: str, task: asyncio.Task[T]) -> None:
        if self._in_flight.get(key) is task:
            del self._in_flight[key]
        if not task.cancelled():
            task.exception()  # read, so asyncio never logs it as lost when all askers left


__all__ = ["Coalescer"]
