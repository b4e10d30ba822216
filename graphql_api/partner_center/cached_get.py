"""Serves an upstream GET from the cache, from an identical call in flight, or by calling.

The order for one GET of an operation whose call context names a cache scope:

1. a fresh entry (younger than `ttl`) of that scope answers, unless the caller asked to
   refresh (`Cache-Control: no-cache`);
2. else the GET joins an identical one in flight in this process, or (with Redis) waits for
   the process that claimed it, if one did, to store its answer;
3. else it is sent, and its 2xx answer stored for the scope;
4. when it could not be sent for the budget (`RateLimited`) or Partner Center throttled it
   (`Throttled`), an entry up to `stale` seconds old answers instead, counted as stale in
   the operation's `AnswerReport`.

Nothing here knows who the caller is: the scope, computed above from the caller's
credentials, is the only thing that separates callers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .allowance import CallBudgetExhausted
from .answer_cache import AnswerStore, CachedAnswer, RequestShape, cache_key
from .bucket import RateLimited
from .call import CallContext
from .coalescing import Coalescer
from .errors import Throttled
from .observer import NullObserver, Observer

# How often a process polls for the answer another process claimed, and for how long at most
# (a claim lapses on its own after `hold_for`, should its holder die mid-call).
_PEER_POLL = 0.05


class SharedAnswers:
    """The cache, coalescing and stale fallback in front of one client's GETs."""

    def __init__(
        self,
        store: AnswerStore,
        *,
        ttl: float,
        stale: float,
        peer_wait: float,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._stale = stale
        self._keep_for = max(ttl, stale)
        self._peer_wait = peer_wait
        self._observer: Observer = observer or NullObserver()
        self._clock = clock
        self._coalescer: Coalescer[CachedAnswer] = Coalescer()

    async def get(
        self,
        call: CallContext,
        route: str,
        request: RequestShape,
        fetch: Callable[[], Awaitable[CachedAnswer]],
    ) -> CachedAnswer:
        """The answer to `request` for `call`'s scope; `fetch()` sends it when needed."""
        if call.cache_scope is None:
            return await fetch()
        key = cache_key(call.cache_scope, request)
        entry = await self._store.get(key)
        asked_at = self._clock()
        if entry is not None and not call.refresh and entry.age(asked_at) <= self._ttl:
            self._observer.cache_lookup(route, "hit")
            return self._served(call, entry, stale=False)
        self._observer.cache_lookup(route, "miss")
        joining = self._coalescer.is_in_flight(key)
        try:
            answer, joined = await self._coalescer.run(
                key, lambda: self._fetch_once(key, asked_at, route, fetch)
            )
        except CallBudgetExhausted:
            if not joining:
                raise
            # The operation that sent the call had spent its own budget, not this one.
            return await self._fetch_once(key, asked_at, route, fetch)
        except (RateLimited, Throttled):
            now = self._clock()
            if entry is not None and self._stale > 0 and entry.age(now) <= self._stale:
                self._observer.cache_lookup(route, "stale")
                return self._served(call, entry, stale=True)
            raise
        if joined:
            self._observer.coalesced(route)
        if joined or answer.stored_at < asked_at:
            # Someone else's call answered: for this operation it is a cached answer.
            return self._served(call, answer, stale=False)
        return answer

    def _served(self, call: CallContext, answer: CachedAnswer, *, stale: bool) -> CachedAnswer:
        if call.report is not None:
            call.report.used(answer, self._clock(), stale=stale)
        if call.budget is not None:
            # An answer Partner Center gave this scope's credentials vouches for them too.
            call.budget.answered += 1
        return answer

    async def _fetch_once(
        self,
        key: str,
        asked_at: float,
        route: str,
        fetch: Callable[[], Awaitable[CachedAnswer]],
    ) -> CachedAnswer:
        """Fetch and store, unless another process has claimed the key: then wait for it."""
        if not await self._store.claim(key, hold_for=self._peer_wait):
            found = await self._from_peer(key, asked_at)
            if found is not None:
                self._observer.coalesced(route)
                return found
        try:
            answer = await fetch()
            await self._store.put(key, answer, keep_for=self._keep_for)
            return answer
        finally:
            await self._store.release(key)

    async def _from_peer(self, key: str, asked_at: float) -> CachedAnswer | None:
        """The answer another process stores for `key` after `asked_at`, if it comes in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._peer_wait
        while loop.time() < deadline:
            await asyncio.sleep(_PEER_POLL)
            entry = await self._store.get(key)
            # Its clock and ours may differ a little; a second's slack keeps its fresh answer.
            if entry is not None and entry.stored_at >= asked_at - 1.0:
                return entry
        return None


__all__ = ["SharedAnswers"]
