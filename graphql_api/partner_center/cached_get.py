"""Serves an upstream GET from the cache, from an identical call in flight, or by calling.

The order for one GET of an operation whose call context names a cache scope:

1. a fresh entry (younger than `ttl`) of that scope answers, unless the caller asked to
   refresh (`Cache-Control: no-cache`);
2. else the GET joins an identical one in flight in this process, or (with Redis) waits for
   the process that claimed it, if one did, to store its answer;
3. else it is sent, and its 2xx answer stored for the scope;
4. when it could not be sent for the budget (`BucketRefused`) or Partner Center throttled it
   (`Throttled`), an entry up to `stale` seconds old answers instead, counted as stale in
   the operation's `AnswerReport`, provided Partner Center accepted the call's credential
   lately (see `Acceptance`); a credential it refused reads no entry at all.

Nothing here knows who the caller is: the scope, computed above from the caller's
credentials, is the only thing that separates callers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .acceptance import Acceptance
from .allowance import AllowanceSpent
from .answer_cache import AnswerStore, CachedAnswer, RequestShape, cache_key
from .bucket import BucketRefused
from .call import CallContext
from .coalescing import Coalescer
from .errors import Throttled
from .observer import NullObserver, Observer

# How often a process polls for the answer another process claimed, and for how long at most
# (a claim lapses on its own after `hold_for`, should its holder die mid-call).
_PEER_POLL = 0.05


class CachedGet:
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
        acceptance: Acceptance | None = None,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._stale = stale
        self._keep_for = max(ttl, stale)
        self._peer_wait = peer_wait
        self._observer: Observer = observer or NullObserver()
        self._clock = clock
        self._acceptance = acceptance
        self._coalescer: Coalescer[CachedAnswer] = Coalescer()
        self._lookups: Coalescer[CachedAnswer | None] = Coalescer()
        self._watch = _PeerWatch(store)

    def now(self) -> float:
        """The time on the clock that stamps and ages this cache's answers."""
        return self._clock()

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
        credential = None
        if self._acceptance is not None:
            credential = call.credential
            # A credential Partner Center refused reads nothing, not even a fresh entry.
            self._acceptance.check(credential)
        key = cache_key(call.cache_scope, request)
        # Concurrent lookups of one key share a round trip: a cold page's callers all look
        # up the same hundred keys at once, and the store's connections are few.
        entry, _ = await self._lookups.run(key, lambda: self._store.get(key))
        asked_at = self._clock()
        if entry is not None and not call.refresh and entry.age(asked_at) <= self._ttl:
            self._observer.cache_lookup(route, "hit")
            return self._served(call, entry, stale=False)
        self._observer.cache_lookup(route, "miss")
        joining = self._coalescer.is_in_flight(key)
        try:
            answer, joined = await self._coalescer.run(
                key, lambda: self._fetch_once(key, entry, route, fetch)
            )
        except AllowanceSpent:
            if not joining:
                raise
            # The operation that sent the call had spent its own budget, not this one.
            return await self._fetch_once(key, entry, route, fetch)
        except (BucketRefused, Throttled):
            now = self._clock()
            # Only for a credential Partner Center accepted lately: not one it has refused
            # or never accepted, for which no call could be sent to ask.
            vouched = credential is None or (
                self._acceptance is not None and self._acceptance.accepted(credential)
            )
            if (
                vouched
                and entry is not None
                and self._stale > 0
                and entry.age(now) <= self._stale
            ):
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
        if call.allowance is not None:
            # An answer Partner Center gave this scope's credentials vouches for them too.
            call.allowance.answered += 1
        return answer

    async def _fetch_once(
        self,
        key: str,
        seen: CachedAnswer | None,
        route: str,
        fetch: Callable[[], Awaitable[CachedAnswer]],
    ) -> CachedAnswer:
        """Fetch and store, unless another process has claimed the key: then wait for it.

        `seen` is the entry the first look found (None: none), so that only an answer stored
        since then counts as another call's.
        """
        claimed = await self._store.claim(key, hold_for=self._peer_wait)
        # Read again once the claim is decided: another process may have stored its answer
        # and let go of the key between our first look and our claim.
        found = await self._stored_since(key, seen)
        if found is None and not claimed:
            found, claimed = await self._from_peer(key, seen)
        if found is not None:
            if claimed:
                await self._store.release(key)
            self._observer.coalesced(route)
            return found
        try:
            answer = await fetch()
            await self._store.put(key, answer, keep_for=self._keep_for)
            return answer
        finally:
            if claimed:
                await self._store.release(key)

    async def _from_peer(
        self, key: str, seen: CachedAnswer | None
    ) -> tuple[CachedAnswer | None, bool]:
        """The answer another process stores for `key`, or the claim once it lets go.

        Returns (the answer, False) when it came in time; (None or an answer, True) when the
        other process let go without an answer (its call failed) and this one claimed the
        key; (None, False) when neither happened within `peer_wait`.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._peer_wait
        while (left := deadline - loop.time()) > 0:
            found = await self._watch.wait(key, seen, left)
            if isinstance(found, CachedAnswer):
                return found, False
            if found is _TIMED_OUT:
                break
            if await self._store.claim(key, hold_for=self._peer_wait):
                return await self._stored_since(key, seen), True
        return None, False

    async def _stored_since(self, key: str, seen: CachedAnswer | None) -> CachedAnswer | None:
        """The entry for `key` when another call stored it since `seen` was read."""
        entry = await self._store.get(key)
        if entry is not None and (seen is None or entry.stored_at > seen.stored_at):
            return entry
        return None


class _Outcome:
    """What a wait for another process ended with, when not with its answer."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_LET_GO = _Outcome("let go")  # the other process's claim ended without an answer
_TIMED_OUT = _Outcome("timed out")


class _PeerWatch:
    """Waits for the answers other processes are fetching: one look at the store per poll.

    A cold page asks for a hundred keys at once in every replica. Each waiting key polled on
    its own would send Redis thousands of requests a second and exhaust the connection
    pool (a request that cannot get a connection falls back to in-process state, which then
    calls Partner Center itself); here every waiting key is looked at in one `peek`.
    """

    def __init__(self, store: AnswerStore) -> None:
        self._store = store
        self._waiting: dict[str, list[tuple[CachedAnswer | None, asyncio.Future[object]]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def wait(self, key: str, seen: CachedAnswer | None, within: float) -> object:
        """A new entry for `key` (newer than `seen`), `_LET_GO`, or `_TIMED_OUT`."""
        outcome: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        waiter = (seen, outcome)
        self._waiting.setdefault(key, []).append(waiter)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="peer-answers")
        try:
            async with asyncio.timeout(within):
                return await outcome
        except TimeoutError:
            return _TIMED_OUT
        finally:
            waiters = self._waiting.get(key)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiting[key]

    async def _poll(self) -> None:
        while self._waiting:
            await asyncio.sleep(_PEER_POLL)
            keys = list(self._waiting)
            if not keys:
                break
            looks = await self._store.peek(keys)
            for key, (entry, held) in zip(keys, looks, strict=True):
                for seen, outcome in self._waiting.get(key, ()):
                    if outcome.done():
                        continue
                    if entry is not None and (seen is None or entry.stored_at > seen.stored_at):
                        outcome.set_result(entry)
                    elif not held:
                        outcome.set_result(_LET_GO)


__all__ = ["CachedGet"]
