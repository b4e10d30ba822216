"""The partner's call budget on our side: a token bucket every upstream request spends.

Partner Center counts every request against one budget per partner tenant (about 500 a
minute is quoted for customer routes), so the service spends its own bucket first: `rate`
calls a minute, `burst` more after a quiet spell. A call reserves its place and waits for
it, unless that wait is longer than `max_wait`: then it is not sent (`BucketRefused`), and the
caller may answer from a stale entry instead. A real 429 pauses the bucket for its
`Retry-After`, so every caller holds off, not only the one that met it.

A caller's calls draw on its own `Share` of the bucket as well: a bucket of the partner's
burst refilled at a fraction of its rate, so that one caller, however many calls it sends,
leaves the rest of the rate to the others. What a "caller" is, is decided above this package
(a digest, never a credential); every credential Partner Center has not accepted yet draws
on one share of its own, with a fraction of the burst too (see `acceptance.py`).

`MemoryBucket` is one process's bucket; `redis_state.RedisState` holds one for all
processes behind the same Redis, with the same interface (`Bucket`).

Example:
    gate = BucketGate(MemoryBucket(rate_per_minute=400, burst=100), max_wait=2.0)
    await gate.acquire()  # before each request; raises BucketRefused past a 2 s wait
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .errors import PartnerCenterError
from .observer import NullObserver, Observer


class BucketRefused(PartnerCenterError):
    """Not sent: the partner's call budget would have made this call wait too long.

    `retry_after` is when the budget expects to have room again, in seconds.
    """

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            f"the partner's Partner Center call budget is spent; room again in {retry_after:.1f}s"
        )
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Grant:
    """A bucket's answer: `granted` with `wait` seconds to hold off first, or refused.

    When refused, `wait` is how long until a call could be granted. `remaining` is the
    bucket's level after this call (negative while calls are queued for their turn).
    """

    granted: bool
    wait: float
    remaining: float


@dataclass(frozen=True, slots=True)
class Share:
    """One caller's part of the bucket: a bucket of its own, checked with the partner's.

    `key` names the caller (a digest); `rate` is its refill per second, `capacity` its burst.
    """

    key: str
    rate: float
    capacity: float


class Shares:
    """The share each caller draws on: `fraction` of the partner's rate, all of its burst.

    Credentials Partner Center has not accepted yet draw on one share together, with
    `fraction` of the burst as well: however many made-up tokens arrive, their first calls
    spend at most that much.
    """

    UNACCEPTED = "unaccepted"

    def __init__(self, rate_per_minute: int, burst: int, fraction: float) -> None:
        self._rate = rate_per_minute / 60.0 * fraction
        self._capacity = float(max(burst, 1))
        self._unaccepted = Share(
            self.UNACCEPTED, self._rate, max(1.0, self._capacity * fraction)
        )

    def of(self, caller: str) -> Share:
        """The share of an accepted caller."""
        return Share("caller:" + caller, self._rate, self._capacity)

    def unaccepted(self) -> Share:
        """The share every not-yet-accepted credential draws on."""
        return self._unaccepted


class Bucket:
    """What a rate gate needs of its bucket (in-process or shared)."""

    async def take(self, max_wait: float, share: Share | None = None) -> Grant:
        """Reserve one call (and one of `share`'s) if its turn comes within `max_wait` s."""
        raise NotImplementedError

    async def pause(self, seconds: float) -> None:
        """Grant nothing for `seconds` (Partner Center said `Retry-After`)."""
        raise NotImplementedError


class MemoryBucket(Bucket):
    """A token bucket in this process: `burst` capacity, refilled at `rate_per_minute`."""

    def __init__(
        self,
        rate_per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be at least 1")
        self.rate = rate_per_minute / 60.0
        # At least one: a bucket that can hold nothing could never grant.
        self.capacity = float(max(burst, 1))
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = 0.0
        # Callers' shares, least recently used first; one forgotten starts full again.
        self._shares: OrderedDict[str, MemoryBucket] = OrderedDict()

    def level(self) -> float:
        """Tokens in the bucket now (negative while reservations wait for their turn)."""
        self._refill(self._clock())
        return self._tokens

    async def take(self, max_wait: float, share: Share | None = None) -> Grant:
        """Reserve one call (see `Bucket.take`)."""
        return self.take_now(max_wait, share)

    def take_now(self, max_wait: float, share: Share | None = None) -> Grant:
        """`take`, without awaiting (the in-process bucket never has to)."""
        now = self._clock()
        self._refill(now)
        if self._paused_until > now:
            return Grant(False, self._paused_until - now, self._tokens)
        wait = self._wait()
        own = None if share is None else self._share(share, now)
        if own is not None:
            wait = max(wait, own._wait())
        if wait > max_wait:
            return Grant(False, wait, self._tokens)
        self._tokens -= 1
        if own is not None:
            own._tokens -= 1
        return Grant(True, wait, self._tokens)

    def _wait(self) -> float:
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _share(self, share: Share, now: float) -> MemoryBucket:
        own = self._shares.get(share.key)
        if own is None:
            own = MemoryBucket(1, 1, clock=self._clock)
            # Sized as the share says (its rate may be a fraction of a call a minute).
            own.rate, own.capacity, own._tokens = share.rate, share.capacity, share.capacity
            self._shares[share.key] = own
            while len(self._shares) > MAX_SHARES:
                self._shares.popitem(last=False)
        else:
            self._shares.move_to_end(share.key)
        own._refill(now)
        return own

    async def pause(self, seconds: float) -> None:
        """Grant nothing for `seconds`; a longer pause already set stands."""
        self.pause_now(seconds)

    def follow(self, level: float) -> None:
        """Take the level of the bucket this one stands in for (a shared one), as of now."""
        self._refill(self._clock())
        self._tokens = min(self.capacity, level)

    def pause_now(self, seconds: float) -> None:
        """`pause`, without awaiting."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now


# Callers whose shares a process remembers; a forgotten one starts with a full share again.
MAX_SHARES = 10_000


class BucketGate:
    """Every upstream request passes here first: it waits its turn, or is refused.

    With `shares`, each request names its caller and also waits for its caller's share.
    """

    def __init__(
        self,
        bucket: Bucket,
        *,
        max_wait: float,
        observer: Observer | None = None,
        shares: Shares | None = None,
    ) -> None:
        self._bucket = bucket
        self._max_wait = max_wait
        self._observer: Observer = observer or NullObserver()
        self.shares = shares

    async def acquire(self, share: Share | None = None) -> None:
        """Wait for this call's turn; raises BucketRefused when it is further than `max_wait`."""
        waited = 0.0
        while True:
            grant = await self._bucket.take(max(0.0, self._max_wait - waited), share)
            self._observer.budget_remaining(max(0.0, grant.remaining))
            if grant.granted:
                if grant.wait > 0:
                    await asyncio.sleep(grant.wait)
                    waited += grant.wait
                if waited > 0:
                    self._observer.budget_waited(waited)
                return
            # Refused for a pause that ends within the wait we may still spend: sit it out.
            if waited + grant.wait > self._max_wait:
                self._observer.budget_refused()
                raise BucketRefused(retry_after=math.ceil(max(grant.wait, 1.0)))
            await asyncio.sleep(grant.wait)
            waited += grant.wait

    async def pause(self, seconds: float) -> None:
        """Pause every caller of this bucket: Partner Center answered 429."""
        await self._bucket.pause(seconds)


__all__ = [
    "MAX_SHARES",
    "Bucket",
    "BucketGate",
    "BucketRefused",
    "Grant",
    "MemoryBucket",
    "Share",
    "Shares",
]
