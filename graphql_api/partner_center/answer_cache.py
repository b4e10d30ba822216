"""Upstream answers kept for reuse: the entry, its key, and the in-process store.

An entry is a successful response's status, content type and body, with the wall-clock time
it was fetched (shared by all processes, so a Redis entry's age means the same everywhere).
The key joins a *scope* (who may read it: computed above this package from the caller's
credentials, never a raw token) with a digest of the request (path, query, continuation
header), so a key reveals neither credentials nor customer ids.

Example:
    store = MemoryStore(max_entries=10_000)
    key = cache_key(scope, ("/v1/customers", (("size", "100"),), ()))
    await store.put(key, answer, keep_for=300)
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
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
    stored_at: float  # time.time() when it was fetched

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


class MemoryStore:
    """Entries in this process, least recently used evicted past `max_entries`."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> CachedAnswer | None:
        """The entry for `key` while it is kept."""
        found = self._entries.get(key)
        if found is None:
            return None
        expires, answer = found
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return answer

    async def put(self, key: str, answer: CachedAnswer, *, keep_for: float) -> None:
        """Keep `answer`; the least recently used entry goes when the bound is reached."""
        self._entries[key] = (time.monotonic() + keep_for, answer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def claim(self, key: str, *, hold_for: float) -> bool:
        """Always granted: within one process the coalescer already makes one fetcher."""
        return True

    async def release(self, key: str) -> None:
        """Nothing to release in-process."""

    async def peek(self, keys: Sequence[str]) -> list[tuple[CachedAnswer | None, bool]]:
        """Each key's entry; no claim is ever held in-process."""
        return [(await self.get(key), False) for key in keys]


__all__ = [
    "AnswerReport",
    "AnswerStore",
    "CachedAnswer",
    "MemoryStore",
    "RequestShape",
    "cache_key",
]
