"""How many of the client's in-flight slots slow attempts may hold at once.

An attempt's total deadline bounds how long one slot is held, but a route that answers a
byte every few seconds would still hold every slot it can get until then, and calls to
healthy routes would queue behind it. So an attempt still running `after` seconds counts as
slow, at most `limit` attempts may be slow at once, and one that turns slow past that is
ended there (a timeout, retried as any other), freeing its slot for a call that may be fast.

Example:
    slow = SlowCalls(after=5.0, limit=8)
    async with asyncio.timeout(30) as window:
        watch = slow.watch(window)
        try:
            ...  # one upstream exchange
        finally:
            watch.done()
"""

from __future__ import annotations

import asyncio


class SlowWatch:
    """One attempt watched: turned slow (counted) or cut when it runs past `after`."""

    __slots__ = ("_calls", "_counted", "_handle", "_window", "cut")

    def __init__(self, calls: SlowCalls, window: asyncio.Timeout) -> None:
        self._calls = calls
        self._window = window
        self._counted = False
        self.cut = False  # True when it was ended for being one slow attempt too many
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(calls.after, self._turned_slow)

    def _turned_slow(self) -> None:
        calls = self._calls
        if calls.slow < calls.limit:
            calls.slow += 1
            self._counted = True
            return
        self.cut = True
        calls.cut += 1
        self._window.reschedule(asyncio.get_running_loop().time())

    def done(self) -> None:
        """The attempt is over (however it ended)."""
        self._handle.cancel()
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

    def watch(self, window: asyncio.Timeout) -> SlowWatch:
        """Watch the attempt that `window` (its total deadline) bounds."""
        return SlowWatch(self, window)


__all__ = ["SlowCalls", "SlowWatch"]
