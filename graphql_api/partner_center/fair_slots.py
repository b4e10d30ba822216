"""The client's in-flight slots, shared fairly between the operations that want them.

A plain semaphore serves waiters first come, first served: an operation that queues a
hundred calls makes every operation after it wait for all hundred. Here each owner (one
operation) holds at most `per_owner` slots at once, and a freed slot goes to the next owner
in turn (round robin over the owners that wait), so a small operation beside a large one
waits for one slot to free, not for the large one's queue.

Example:
    slots = FairSlots(total=16, per_owner=4)
    async with slots.slot(owner="operation-correlation-id"):
        ...  # one upstream exchange
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class FairSlots:
    """`total` slots; at most `per_owner` held by one owner; waiters served owner by owner."""

    def __init__(self, total: int, per_owner: int) -> None:
        if total < 1 or per_owner < 1:
            raise ValueError("slot counts must be at least 1")
        self.total = total
        self.per_owner = min(per_owner, total)
        self._free = total
        self._held: dict[Hashable, int] = {}
        # Owners in the order they are next served; each with its waiters, oldest first.
        self._waiting: dict[Hashable, deque[asyncio.Future[None]]] = {}

    @property
    def in_use(self) -> int:
        """Slots held right now."""
        return self.total - self._free

    def held_by(self, owner: Hashable) -> int:
        """Slots `owner` holds right now."""
        return self._held.get(owner, 0)

    @asynccontextmanager
    async def slot(self, owner: Hashable) -> AsyncIterator[None]:
        """Hold one slot for the block."""
        if not self.try_acquire(owner):
            await self.wait_for_slot(owner)
        try:
            yield
        finally:
            self.release(owner)

    def try_acquire(self, owner: Hashable) -> bool:
        """Take a slot now if one is free and `owner` holds less than its share.

        The hot path: no coroutine and no context manager when a slot is free. Pair a True
        with `release`; on False, `wait_for_slot`.
        """
        # After every release no waiter that may take a slot is left waiting while one is
        # free, so a newcomer that may take one jumps no queue.
        if self._free > 0 and self._held.get(owner, 0) < self.per_owner:
            self._take(owner)
            return True
        return False

    async def wait_for_slot(self, owner: Hashable) -> None:
        """Wait in turn for a slot (after `try_acquire` said no); pair with `release`."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(owner, deque()).append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release(owner)  # granted as it was cancelled: hand the slot on
            else:
                self._forget(owner, granted)
            raise

    def _take(self, owner: Hashable) -> None:
        self._free -= 1
        self._held[owner] = self._held.get(owner, 0) + 1

    def release(self, owner: Hashable) -> None:
        """Give back a slot `owner` holds; the next waiting owner in turn gets it."""
        self._free += 1
        left = self._held.get(owner, 0) - 1
        if left:
            self._held[owner] = left
        else:
            self._held.pop(owner, None)
        self._serve()

    def _forget(self, owner: Hashable, waiter: asyncio.Future[None]) -> None:
        queue = self._waiting.get(owner)
        if queue is None:
            return
        try:
            queue.remove(waiter)
        except ValueError:
            return
        if not queue:
            del self._waiting[owner]

    def _serve(self) -> None:
        """Hand free slots to waiting owners in turn, each owner then going to the back."""
        if not self._waiting:
            return  # the usual case: nobody queued, and no generator to build
        waiting, held, per_owner = self._waiting, self._held, self.per_owner
        while self._free > 0:
            # The first owner in turn that may take one more (the loop ends before the dict
            # changes).
            for owner in waiting:
                if held.get(owner, 0) < per_owner:
                    break
            else:
                return  # every waiting owner holds its share already
            queue = waiting[owner]
            waiter = queue.popleft()
            del waiting[owner]
            if queue:
                waiting[owner] = queue  # back of the line
            if waiter.done():  # cancelled while queued
                continue
            self._take(owner)
            waiter.set_result(None)


__all__ = ["FairSlots"]
