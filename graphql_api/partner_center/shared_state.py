"""Builds what one client shares beyond its process: answers (cache, coalescing) and budget,
and what it remembers of Partner Center's verdicts on credentials.

In-process by default; with a Redis URL, one `RedisState` serves as both the answer store
and the bucket, each falling back to its in-process twin while Redis is away.

Example:
    shared = SharedState.build(settings.shared, upstream=settings.upstream.base_url)
    client = PartnerCenterClient(settings.upstream, sharing=shared)
"""

from __future__ import annotations

from dataclasses import dataclass

from .acceptance import Acceptance
from .answer_cache import AnswerStore, MemoryStore
from .bucket import Bucket, BucketGate, MemoryBucket, Shares
from .cached_get import CachedGet
from .clocks import Clocks
from .observer import Observer
from .redis_state import RedisState
from .settings import SharedStateSettings

# A process waits this much longer for another's answer than the other may wait for budget.
_PEER_SLACK = 3.0


@dataclass(slots=True)
class SharedState:
    """The cache in front of a client's GETs and the gate before its requests (either None).

    Coalescing goes with the cache: with `CACHE_TTL_SECONDS=0` every GET is sent as asked,
    which is what a deployment (or a test) that turns the cache off expects.
    """

    answers: CachedGet | None = None
    gate: BucketGate | None = None
    redis: RedisState | None = None
    acceptance: Acceptance | None = None

    @classmethod
    def build(
        cls,
        settings: SharedStateSettings,
        *,
        upstream: str,
        observer: Observer | None = None,
        clocks: Clocks | None = None,
    ) -> SharedState:
        """The sharing `settings` describe, for a client of `upstream`, on `clocks` (None:
        the real ones)."""
        clocks = clocks or Clocks()
        memory_store = MemoryStore(
            settings.cache_max_entries, settings.cache_max_bytes, clock=clocks.monotonic
        )
        rate = max(settings.rate_per_minute, 1)
        memory_bucket = MemoryBucket(rate, settings.rate_burst, clock=clocks.monotonic)
        store: AnswerStore = memory_store
        bucket: Bucket = memory_bucket
        redis_state = None
        if settings.redis_url is not None:
            redis_state = RedisState.connect(
                settings.redis_url,
                upstream=upstream,
                fallback_store=memory_store,
                fallback_bucket=memory_bucket,
                bucket_rate=rate,
                bucket_burst=settings.rate_burst,
                observer=observer,
                clock=clocks.monotonic,
            )
            store = bucket = redis_state
        acceptance = None
        if settings.credential_memory > 0:
            acceptance = Acceptance(settings.credential_memory, clock=clocks.monotonic)
        answers = None
        if settings.cache_enabled:
            answers = CachedGet(
                store,
                ttl=settings.cache_ttl,
                stale=settings.cache_stale,
                peer_wait=settings.rate_max_wait + _PEER_SLACK,
                observer=observer,
                clock=clocks.wall,
                acceptance=acceptance,
            )
        gate = None
        if settings.rate_limited:
            shares = None
            if settings.rate_caller_share < 1:
                shares = Shares(rate, settings.rate_burst, settings.rate_caller_share)
            gate = BucketGate(
                bucket, max_wait=settings.rate_max_wait, observer=observer, shares=shares
            )
        return cls(answers=answers, gate=gate, redis=redis_state, acceptance=acceptance)

    async def aclose(self) -> None:
        """Close the Redis connections, if any."""
        if self.redis is not None:
            await self.redis.aclose()


__all__ = ["SharedState"]
