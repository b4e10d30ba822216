"""Upstream answers kept for reuse: the entry, its key, and the in-process store.

An entry is a successful response's status, content type and body, with the wall-clock time
it was fetched (shared by all processes, so a Redis entry's age means the same everywhere).
The key joins a *scope* (who may read it: computed above this package from the caller's
credentials, never a raw token) with a digest of the request (path, query, continuation
header), so a key reveals neither credentials nor customer ids.

Example:
    store = MemoryStore(max_entries=10_000, max_bytes=64 * 1024 * 1024)
    key = cache_key(scope, ("/v1/customers", (("size", "100"),), ()))
    await store.put(key, answer, keep_for=300)
"""

from __future__ import annotations

import hashlib
import heapq
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

# Bumped when the entry format changes, so replicas of two versions never read each other's.
_KEY_VERSION = "a1"


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A 2xx answer as fetched: enough to parse it again and to report its ids."""

    status: int
    content_type: str | None
    body: bytes
    correlation_id: str
    request_id: str
    stored_at: float  # when it was fetched, on the cache's wall clock (see clocks.py)

    def age(self, now: float) -> float:
        """Seconds since it was fetched (never negative, whatever the clocks did)."""
        return max(0.0, now - self.stored_at)


@dataclass(slots=True)
class AnswerReport:
    """What the cache did for one operation: the response's freshness is read from it.

    `oldest_age` is the age of the oldest answer used (0 when all were fetched now);
    `stale` counts answers served past their freshness because the budget was spent.
    """

    stale: int = 0
    oldest_age: float = 0.0
    cached: int = 0

    def used(self, answer: CachedAnswer, now: float, *, stale: bool) -> None:
        """Count one answer served from the cache (or from another operation's call)."""
        self.cached += 1
        self.oldest_age = max(self.oldest_age, answer.age(now))
        if stale:
            self.stale += 1


# One GET: its path, its query pairs, and the headers that select its answer.
RequestShape = tuple[str, Sequence[tuple[str, str]], Sequence[tuple[str, str]]]


def cache_key(scope: str, request: RequestShape) -> str:
    """The key of one GET (`RequestShape`) for one scope."""
    path, params, headers = request
    digest = hashlib.sha256()
    parts = (path, *(f"{k}={v}" for k, v in sorted(params)), *(f"{k}:{v}" for k, v in headers))
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return f"{_KEY_VERSION}:{scope}:{digest.hexdigest()[:40]}"


class AnswerStore(Protocol):
    """Where entries live: this process, or Redis for every worker and replica."""

    async def get(self, key: str) -> CachedAnswer | None:
        """The entry for `key`, fresh or not, while it is kept; None otherwise."""

    async def put(self, key: str, answer: CachedAnswer, *, keep_for: float) -> None:
        """Keep `answer` for `keep_for` seconds (or until the size bound evicts it)."""

    async def claim(self, key: str, *, hold_for: float) -> bool:
        """Become the one fetcher of `key` across processes; False when another one is."""

    async def release(self, key: str) -> None:
        """Give up a claim made by `claim`."""

    async def peek(self, keys: Sequence[str]) -> list[tuple[CachedAnswer | None, bool]]:
        """Each key's entry and whether a claim on it is held, all in one look."""


# What an entry costs beyond its body and texts: the entry, its key, its place in the order
# and in the expiry heap, the objects around its texts (measured with tracemalloc, rounded
# up).
ENTRY_OVERHEAD_BYTES = 640


def entry_size(key: str, answer: CachedAnswer) -> int:
    """Bytes one entry holds, as the store counts them."""
    return (
        ENTRY_OVERHEAD_BYTES
        + len(key)
        + len(answer.body)
        + len(answer.content_type or "")
        + len(answer.correlation_id)
        + len(answer.request_id)
    )


class MemoryStore:
    """Entries in this process, within `max_entries` and `max_bytes` (least recently used
    evicted first); an entry is dropped once its time is up, read or not."""

    def __init__(
        self,
        max_entries: int,
        max_bytes: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, CachedAnswer, int]] = OrderedDict()
        self._bytes = 0
        # (expiry, key), one per put; an item whose entry was replaced or evicted is skipped.
        self._expiries: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes the entries hold, as counted by `entry_size`."""
        return self._bytes

    async def get(self, key: str) -> CachedAnswer | None:
        """The entry for `key` while it is kept."""
        now = self._clock()
        self._sweep(now)
        found = self._entries.get(key)
        if found is None:
            return None
        expires, answer, _ = found
        if expires <= now:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return answer

    async def put(self, key: str, answer: CachedAnswer, *, keep_for: float) -> None:
        """Keep `answer`; least recently used entries go while a bound is passed.

        An answer larger than the whole byte bound is not kept at all.
        """
        now = self._clock()
        self._sweep(now)
        size = entry_size(key, answer)
        if key in self._entries:
            self._drop(key)
        if self.max_bytes is not None and size > self.max_bytes:
            return
        expires = now + keep_for
        self._entries[key] = (expires, answer, size)
        self._bytes += size
        heapq.heappush(self._expiries, (expires, key))
        while len(self._entries) > self.max_entries or (
            self.max_bytes is not None and self._bytes > self.max_bytes
        ):
            self._drop(next(iter(self._entries)))
        if len(self._expiries) > 2 * len(self._entries) + 64:
            # Items of replaced and evicted entries: rebuilt from the live ones.
            self._expiries = [(expires, key) for key, (expires, _, _) in self._entries.items()]
            heapq.heapify(self._expiries)

    def _drop(self, key: str) -> None:
        _, _, size = self._entries.pop(key)
        self._bytes -= size

    def _sweep(self, now: float) -> None:
        """Drop every entry whose time is up (nobody may read it again); one comparison when
        none is."""
        expiries, entries = self._expiries, self._entries
        while expiries and expiries[0][0] <= now:
            expires, key = heapq.heappop(expiries)
            found = entries.get(key)
            if found is not None and found[0] == expires:
                self._drop(key)

    async def claim(self, key: str, *, hold_for: float) -> bool:
        """Always granted: within one process the coalescer already makes one fetcher."""
        return True

    async def release(self, key: str) -> None:
        """Nothing to release in-process."""

    async def peek(self, keys: Sequence[str]) -> list[tuple[CachedAnswer | None, bool]]:
        """Each key's entry; no claim is ever held in-process."""
        return [(await self.get(key), False) for key in keys]


__all__ = [
    "ENTRY_OVERHEAD_BYTES",
    "AnswerReport",
    "AnswerStore",
    "CachedAnswer",
    "MemoryStore",
    "RequestShape",
    "cache_key",
    "entry_size",
]
