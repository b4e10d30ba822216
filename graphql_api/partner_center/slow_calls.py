"""How many of the client's in-flight slots slow attempts may hold at once.

An attempt's total deadline bounds how long one slot is held, but a route that answers a
byte every few seconds would still hold every slot it can get until then, and calls to
healthy routes would queue behind it. So an attempt still running `after` seconds counts as
slow, at most `limit` attempts may be slow at once, and one that turns slow past that is
ended there (a timeout, retried as any other), freeing its slot for a call that may be fast.

Example:
    slow = SlowCalls(after=5.0, limit=8)
    watch = slow.watch(30.0)
    try:
        ...  # one upstream exchange
    except asyncio.CancelledError:
        if watch.ended_it():
            raise TimeoutError from None
        raise
    finally:
        watch.done()
"""

from __future__ import annotations

import asyncio


class SlowWatch:
    """One attempt's window: counted slow past `after`, ended at its deadline, or cut early
    when it turns slow with `limit` attempts slow already.

    One timer serves both bounds (an `asyncio.timeout` beside a second timer cost about
    36,000 instructions an attempt, 3.6 M on a page of 100 billing profiles): it fires at
    `after`, and only an attempt still running then gets a second, at its deadline. Ending
    cancels the attempt's task, as `asyncio.timeout` does; `ended_it` tells the caller that
    a cancellation was this window's and not someone else's.
    """

    __slots__ = ("_calls", "_cancelling", "_counted", "_ends", "_handle", "_taken_back", "_task",
                 "cut", "expired")

    def __init__(self, calls: SlowCalls, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("an attempt is watched from inside its task")
        self._calls = calls
        self._task = task
        self._cancelling = task.cancelling()
        self._counted = False
        self._ends = loop.time() + timeout
        self.cut = False  # ended for being one slow attempt too many
        self.expired = False  # ended by this window (its deadline, or cut)
        self._taken_back = False  # this window's cancellation was taken back (uncancel)
        self._handle = loop.call_later(min(calls.after, timeout), self._fire)

    def _fire(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() >= self._ends:
            self._end()
            return
        calls = self._calls
        if not self._counted:
            if calls.slow >= calls.limit:
                self.cut = True
                calls.cut += 1
                self._end()
                return
            calls.slow += 1
            self._counted = True
        self._handle = loop.call_at(self._ends, self._fire)

    def _end(self) -> None:
        self.expired = True
        self._task.cancel()

    def ended_it(self) -> bool:
        """After a CancelledError: True when this window ended the attempt (the cancellation
        is then taken back), False when the task was cancelled from outside too."""
        if not self.expired or self._taken_back:
            return False
        self._taken_back = True
        return self._task.uncancel() <= self._cancelling

    def done(self) -> None:
        """The attempt is over (however it ended)."""
        self._handle.cancel()
        if self.expired and not self._taken_back:
            # Ended just as it finished: the cancellation asked for is taken back all the same.
            self._taken_back = True
            self._task.uncancel()
        if self._counted:
            self._counted = False
            self._calls.slow -= 1


class SlowCalls:
    """At most `limit` attempts past `after` seconds at once; one more is cut."""

    def __init__(self, after: float, limit: int) -> None:
        if after <= 0 or limit < 1:
            raise ValueError("a slow attempt is one past a positive time; at least one may be")
        self.after = after
        self.limit = limit
        self.slow = 0  # attempts past `after` right now
        self.cut = 0  # attempts ended for being slow past `limit`, since start

    def watch(self, timeout: float) -> SlowWatch:
        """Watch the attempt running in the current task, ended after `timeout` seconds."""
        return SlowWatch(self, timeout)


__all__ = ["SlowCalls", "SlowWatch"]
