"""Where automatic persisted queries (APQ) keep their texts: this process, or Redis for all.

A text is kept under its SHA-256 (checked before it gets here), once for every caller: the
same hash is the same text whoever registered it, so nothing is kept per caller. The store
is bounded in documents and in bytes; past either bound the least recently registered or
used texts go first (a client that meets a forgotten hash sends the text again, which is
what APQ's protocol is for).

With `REDIS_URL` the texts live in Redis under this service's prefix, with the bounds kept
by one Lua script (an index of hashes by last use and a byte count), so a text registered
on one replica is known to every other. While Redis fails, the in-process store serves
(and a warning is logged once): a miss there costs the client one retry with the text.

Example:
    store = MemoryDocuments(max_documents=1000, max_bytes=4 << 20)
    await store.put(sha256_hex, text)
    await store.get(sha256_hex)
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from ..partner_center.redis_state import redis_client

logger = logging.getLogger("graphql_api.apq")

_RETRY_INTERVAL = 1.0
_MAX_CONNECTIONS = 8
# Bumped when the layout changes, so replicas of two versions never read each other's.
_PREFIX = "graphql_api:apq:v1:"

# KEYS: index (sorted set of hashes by last use), byte count, text key prefix.
# ARGV: hash, text, max documents, max bytes, now (ms).
# Registers the text (or only touches a known one), then evicts the least recently used
# until both bounds hold.
_PUT = """
local index, size, prefix = KEYS[1], KEYS[2], KEYS[3]
local hash, text = ARGV[1], ARGV[2]
local max_docs, max_bytes, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('ZSCORE', index, hash) then
  redis.call('ZADD', index, now, hash)
  return 0
end
redis.call('SET', prefix .. hash, text)
redis.call('ZADD', index, now, hash)
local total = redis.call('INCRBY', size, string.len(text))
local count = redis.call('ZCARD', index)
while count > max_docs or total > max_bytes do
  local oldest = redis.call('ZPOPMIN', index)
  if #oldest == 0 then break end
  local key = prefix .. oldest[1]
  total = redis.call('DECRBY', size, redis.call('STRLEN', key))
  redis.call('DEL', key)
  count = count - 1
end
return 1
"""


class DocumentStore(Protocol):
    """APQ texts by hash, shared by every caller."""

    async def get(self, sha256: str) -> str | None:
        """The text registered under `sha256`, or None."""

    async def put(self, sha256: str, text: str) -> None:
        """Register `text` (whose SHA-256 is `sha256`)."""

    async def aclose(self) -> None:
        """Release connections, if any."""


class MemoryDocuments:
    """Texts in this process, least recently used evicted past either bound."""

    def __init__(self, *, max_documents: int, max_bytes: int) -> None:
        self.max_documents = max_documents
        self.max_bytes = max_bytes
        self.bytes = 0
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    async def get(self, sha256: str) -> str | None:
        """The text of `sha256`, now the most recently used."""
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
        return text

    async def put(self, sha256: str, text: str) -> None:
        """Register `text`; the least recently used go until both bounds hold."""
        if sha256 in self._texts:
            self._texts.move_to_end(sha256)
            return
        self._texts[sha256] = text
        self.bytes += len(text.encode())
        while len(self._texts) > self.max_documents or self.bytes > self.max_bytes:
            _, evicted = self._texts.popitem(last=False)
            self.bytes -= len(evicted.encode())

    async def aclose(self) -> None:
        """Nothing to close."""


class RedisDocuments:
    """Texts in Redis for every replica, `fallback` serving while Redis fails."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        fallback: MemoryDocuments,
        retry_interval: float = _RETRY_INTERVAL,
    ) -> None:
        self._redis = client
        self._fallback = fallback
        self._retry_interval = retry_interval
        self._down_until = 0.0
        self._outage = False
        self._put_script = client.register_script(_PUT)

    @classmethod
    def connect(cls, url: str, *, fallback: MemoryDocuments) -> RedisDocuments:
        """A store over a new client for `url` (connections open on first use)."""
        return cls(redis_client(url, max_connections=_MAX_CONNECTIONS), fallback=fallback)

    async def get(self, sha256: str) -> str | None:
        """The text of `sha256` in Redis (in this process's store while Redis fails)."""
        if self._down_until > time.monotonic():
            return await self._fallback.get(sha256)
        try:
            raw = await self._redis.get(_PREFIX + "doc:" + sha256)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return await self._fallback.get(sha256)
        self._answered()
        if isinstance(raw, bytes):
            return raw.decode()
        return None

    async def put(self, sha256: str, text: str) -> None:
        """Register `text` in Redis, within the bounds (in this process while Redis fails)."""
        if self._down_until > time.monotonic():
            await self._fallback.put(sha256, text)
            return
        try:
            await self._put_script(
                keys=[_PREFIX + "index", _PREFIX + "bytes", _PREFIX + "doc:"],
                args=[
                    sha256,
                    text,
                    self._fallback.max_documents,
                    self._fallback.max_bytes,
                    int(time.time() * 1000),
                ],
            )
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            await self._fallback.put(sha256, text)
            return
        self._answered()

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    def _answered(self) -> None:
        if self._outage:
            self._outage = False
            logger.warning("Redis answers again: APQ documents are shared again")

    def _failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self._retry_interval
        if not self._outage:
            self._outage = True
            # The type only: a Redis error message may carry the URL and its password.
            logger.warning(
                "Redis failed (%s): APQ documents are kept in-process until it answers",
                type(exc).__name__,
            )


def document_store(redis_url: str | None, *, max_documents: int, max_bytes: int) -> DocumentStore:
    """The APQ store for these settings: in Redis with a URL, else in this process."""
    memory = MemoryDocuments(max_documents=max_documents, max_bytes=max_bytes)
    if redis_url is None:
        return memory
    return RedisDocuments.connect(redis_url, fallback=memory)


__all__ = ["DocumentStore", "MemoryDocuments", "RedisDocuments", "document_store"]
