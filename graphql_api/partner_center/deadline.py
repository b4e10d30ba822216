"""`Deadline`: what `asyncio.timeout_at` does to a block, as a plain context manager.

Every upstream call runs under a deadline (the call's own, or its operation's when that
comes first), and a page of billing profiles is a hundred calls. `asyncio.timeout_at` is an
async context manager, so entering and leaving it runs two coroutines besides its timer;
this one does the same work with the timer alone. Its behaviour is the standard library's:
at `when` (the event loop's clock) the task is cancelled; leaving the block turns that
cancellation into `TimeoutError`; a cancellation from elsewhere stays a `CancelledError`.

Example:
    loop = asyncio.get_running_loop()
    try:
        with Deadline(loop.time() + 5.0):
            await some_call()
    except TimeoutError:
        ...  # some_call ran past the deadline and was cancelled
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class Deadline:
    """The current task cancelled at `when` (loop time), reported as TimeoutError on exit."""

    __slots__ = ("_cancelling", "_handle", "_task", "_when", "expired")

    def __init__(self, when: float) -> None:
        self._when = when
        self.expired = False  # the deadline passed and cancelled the block

    def __enter__(self) -> Deadline:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline is kept from inside a task")
        self._task = task
        # Cancellations asked before entering are not this deadline's to take back.
        self._cancelling = task.cancelling()
        if self._when <= loop.time():
            self._handle: asyncio.Handle = loop.call_soon(self._expire)
        else:
            self._handle = loop.call_at(self._when, self._expire)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._handle.cancel()
        # As asyncio.Timeout: only when no other cancellation is pending is the one this
        # deadline asked for turned into a TimeoutError.
        if (
            self.expired
            and self._task.uncancel() <= self._cancelling
            and kind is asyncio.CancelledError
        ):
            raise TimeoutError from error

    def _expire(self) -> None:
        self.expired = True
        self._task.cancel()


__all__ = ["Deadline"]
