"""The answer cache and the bucket shared through Redis, falling back to this process's own.

Every worker and replica behind one `REDIS_URL` reads and writes the same entries and
spends the same token bucket (an atomic Lua script, timed by Redis's own clock so that
replicas' clocks never disagree about the refill). When Redis fails (down, slow past its
short timeouts, restarted, or answering what Redis never would), the failing operation is
served by the in-process store or bucket instead, a warning is logged once for the outage
and every failure is reported to the observer; Redis is tried again after
`retry_interval`. Callers never see a Redis error.

Keys live under a prefix naming the upstream (a digest of its URL), so services pointed at
different Partner Centers (or emulators) never share a bucket or an answer.

Example:
    state = RedisState.connect(url, upstream="https://api.partnercenter.microsoft.com",
                               fallback_store=MemoryStore(10_000, 64 << 20),
                               fallback_bucket=MemoryBucket(400, 100), bucket_rate=400,
                               bucket_burst=100)
    await state.put(key, answer, keep_for=300)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .answer_cache import CachedAnswer, MemoryStore
from .bucket import Bucket, Grant, MemoryBucket, Share
from .observer import NullObserver, Observer

logger = logging.getLogger("graphql_api.partner_center.redis")

T = TypeVar("T")

# Short: a Redis that does not answer in this time serves no one better than our own state.
# Not shorter: on a busy host the event loop's own lag counts against it too.
_SOCKET_TIMEOUT = 1.0
_RETRY_INTERVAL = 1.0
# Connections per process; a burst of calls waits for one rather than opening hundreds.
_MAX_CONNECTIONS = 32
# stored_at (double), status, content-type length; then the content type, ids, and the body.
_HEADER = struct.Struct("!dHHHH")

# KEYS: bucket hash, pause key[, the caller's share hash]. ARGV: rate per second, capacity,
# longest wait[, the share's rate per second and capacity]. The call is granted when both the
# bucket and the share have its turn within the longest wait, and then taken from both.
# Returns {granted 0/1, wait seconds, tokens left} (as strings: Lua numbers would be cut to
# integers on their way out).
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local max_wait = tonumber(ARGV[3])
local function level(key, rate, capacity)
  local state = redis.call('HMGET', key, 'tokens', 'updated')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    return capacity
  end
  return math.min(capacity, tokens + math.max(0, now - updated) * rate)
end
local function store(key, tokens, rate, capacity)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'updated', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((capacity / rate + max_wait + 60) * 1000))
end
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local tokens = level(KEYS[1], rate, capacity)
local own_rate = tonumber(ARGV[4])
local own_capacity = tonumber(ARGV[5])
local own = nil
if KEYS[3] then
  own = level(KEYS[3], own_rate, own_capacity)
end
local paused = redis.call('PTTL', KEYS[2])
local granted = 0
local wait = 0
if paused > 0 then
  wait = paused / 1000
else
  if tokens < 1 then
    wait = (1 - tokens) / rate
  end
  if own and own < 1 then
    wait = math.max(wait, (1 - own) / own_rate)
  end
  if wait <= max_wait then
    tokens = tokens - 1
    if own then
      own = own - 1
    end
    granted = 1
  end
end
store(KEYS[1], tokens, rate, capacity)
if own then
  store(KEYS[3], own, own_rate, own_capacity)
end
return {granted, tostring(wait), tostring(tokens)}
"""

# KEYS: pause key. ARGV: milliseconds. A longer pause already set stands.
_PAUSE = """
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""


def encode_answer(answer: CachedAnswer) -> bytes:
    """An entry as bytes for Redis."""
    content_type = (answer.content_type or "").encode("latin-1", "replace")
    correlation = answer.correlation_id.encode("latin-1", "replace")
    request = answer.request_id.encode("latin-1", "replace")
    head = _HEADER.pack(
        answer.stored_at, answer.status, len(content_type), len(correlation), len(request)
    )
    return b"".join((head, content_type, correlation, request, answer.body))


def decode_answer(raw: bytes) -> CachedAnswer | None:
    """The entry `encode_answer` wrote, or None when the bytes are not one."""
    if len(raw) < _HEADER.size:
        return None
    stored_at, status, type_len, correlation_len, request_len = _HEADER.unpack_from(raw)
    at = _HEADER.size
    ends = (at + type_len, at + type_len + correlation_len)
    end = ends[1] + request_len
    if end > len(raw):
        return None
    content_type = raw[at : ends[0]].decode("latin-1")
    return CachedAnswer(
        status=status,
        content_type=content_type or None,
        body=raw[end:],
        correlation_id=raw[ends[0] : ends[1]].decode("latin-1"),
        request_id=raw[ends[1] : end].decode("latin-1"),
        stored_at=stored_at,
    )


def redis_client(url: str, *, max_connections: int) -> redis.Redis:
    """A client for `url` as the service's users of Redis want one (connections open on
    first use): at most `max_connections`, a wait for one and every socket operation given
    up after a second, and no retries of its own making, so that a failure falls back at
    once (see the module)."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=_SOCKET_TIMEOUT,
        socket_timeout=_SOCKET_TIMEOUT,
        socket_connect_timeout=_SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    return redis.Redis(connection_pool=pool)


class RedisState(Bucket):
    """The answer store and the token bucket in Redis, each with an in-process stand-in."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        upstream: str,
        fallback_store: MemoryStore,
        fallback_bucket: MemoryBucket,
        bucket_rate: int,
        bucket_burst: int,
        observer: Observer | None = None,
        retry_interval: float = _RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = client
        namespace = hashlib.sha256(upstream.rstrip("/").encode()).hexdigest()[:12]
        self._prefix = f"graphql_api:{namespace}:"
        self._bucket_key = self._prefix + "bucket"
        self._pause_key = self._prefix + "pause"
        self._store = fallback_store
        self._bucket = fallback_bucket
        self._rate = bucket_rate / 60.0
        self._capacity = float(max(bucket_burst, 1))
        self._observer: Observer = observer or NullObserver()
        self._retry_interval = retry_interval
        self._clock = clock
        self._down_until = 0.0
        self._outage = False
        self._take_script = client.register_script(_TAKE)
        self._pause_script = client.register_script(_PAUSE)

    @classmethod
    def connect(cls, url: str, **options: Any) -> RedisState:
        """A state over a new client for `url` (connections open on first use)."""
        return cls(redis_client(url, max_connections=_MAX_CONNECTIONS), **options)

    @property
    def degraded(self) -> bool:
        """True while Redis is considered down and in-process state serves."""
        return self._outage

    async def aclose(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    # -- the answer store ----------------------------------------------------------------

    async def get(self, key: str) -> CachedAnswer | None:
        """The entry for `key` (from this process's store while Redis is down)."""
        async def remote() -> CachedAnswer | None:
            raw = await self._redis.get(self._prefix + key)
            return decode_answer(raw) if isinstance(raw, bytes) else None

        return await self._either("get", remote, lambda: self._store.get(key))

    async def put(self, key: str, answer: CachedAnswer, *, keep_for: float) -> None:
        """Keep `answer` in Redis for `keep_for` seconds."""
        millis = max(1, math.ceil(keep_for * 1000))

        async def remote() -> None:
            await self._redis.set(self._prefix + key, encode_answer(answer), px=millis)

        await self._either("put", remote, lambda: self._store.put(key, answer, keep_for=keep_for))

    async def claim(self, key: str, *, hold_for: float) -> bool:
        """Become the one process fetching `key` (True also while Redis is down)."""
        millis = max(1, math.ceil(hold_for * 1000))

        async def remote() -> bool:
            lock = self._prefix + "lock:" + key
            return bool(await self._redis.set(lock, b"1", nx=True, px=millis))

        return await self._either("claim", remote, lambda: _granted())

    async def release(self, key: str) -> None:
        """Let other processes fetch `key` again."""
        async def remote() -> None:
            await self._redis.delete(self._prefix + "lock:" + key)

        await self._either("release", remote, lambda: _nothing())

    async def peek(self, keys: Sequence[str]) -> list[tuple[CachedAnswer | None, bool]]:
        """Each key's entry and whether a process holds a claim on it, in one round trip."""
        async def remote() -> list[tuple[CachedAnswer | None, bool]]:
            names = [self._prefix + key for key in keys]
            locks = [self._prefix + "lock:" + key for key in keys]
            values = await self._redis.mget([*names, *locks])
            if not isinstance(values, list) or len(values) != 2 * len(keys):
                raise MalformedReply("MGET answered something other than one value a key")
            entries = values[: len(keys)]
            held = values[len(keys) :]
            return [
                (decode_answer(raw) if isinstance(raw, bytes) else None, lock is not None)
                for raw, lock in zip(entries, held, strict=True)
            ]

        return await self._either("peek", remote, lambda: self._store.peek(keys))

    # -- the bucket ------------------------------------------------------------------------

    async def take(self, max_wait: float, share: Share | None = None) -> Grant:
        """Reserve one call from the shared bucket (the in-process one while Redis is down)."""
        keys = [self._bucket_key, self._pause_key]
        args = [repr(self._rate), repr(self._capacity), repr(max_wait)]
        if share is not None:
            keys.append(self._prefix + "share:" + share.key)
            args += [repr(share.rate), repr(share.capacity)]

        async def remote() -> Grant:
            reply = await self._take_script(keys=keys, args=args)
            if not isinstance(reply, list) or len(reply) != 3:
                raise MalformedReply("the bucket script's reply is not {granted, wait, tokens}")
            grant = _grant(*reply)
            # Should Redis go away, this process goes on from the shared level, not from a
            # full bucket of its own: a Redis hiccup must not release a burst per process.
            self._bucket.follow(grant.remaining)
            return grant

        return await self._either("take", remote, lambda: self._bucket.take(max_wait, share))

    async def pause(self, seconds: float) -> None:
        """Pause the shared bucket (and this process's, which serves if Redis goes)."""
        self._bucket.pause_now(seconds)
        millis = max(1, math.ceil(seconds * 1000))

        async def remote() -> None:
            await self._pause_script(keys=[self._pause_key], args=[millis])

        await self._either("pause", remote, lambda: _nothing())

    # -- failure handling ------------------------------------------------------------------

    async def _either(
        self,
        operation: str,
        remote: Callable[[], Awaitable[T]],
        local: Callable[[], Awaitable[T]],
    ) -> T:
        """`remote()`, or `local()` when Redis is down or fails now."""
        if self._down_until > self._clock():
            return await local()
        try:
            result = await remote()
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(operation, exc)
            return await local()
        except Exception as exc:
            # Not a failure redis-py knows: a server that answers, but not as Redis does
            # (its handshake or a reply of the wrong shape). Its connections may be out of
            # step with their replies, which must never pair one key with another's value.
            self._failed(operation, exc)
            await self._drop_connections()
            return await local()
        if self._outage:
            self._outage = False
            logger.warning("Redis answers again: the shared cache and budget are back")
        return result

    async def _drop_connections(self) -> None:
        # Closing what already failed: the outage is logged already.
        with contextlib.suppress(Exception):
            await self._redis.connection_pool.disconnect()

    def _failed(self, operation: str, exc: BaseException) -> None:
        self._observer.store_error(operation)
        self._down_until = self._clock() + self._retry_interval
        if not self._outage:
            self._outage = True
            # The type only: a Redis error message may carry the URL and its password.
            logger.warning(
                "Redis failed (%s during %s): cache and budget are in-process until it answers",
                type(exc).__name__,
                operation,
            )


class MalformedReply(RedisError):
    """Redis answered the bucket script with something the script never returns."""


def _grant(granted: object, wait: object, tokens: object) -> Grant:
    """The bucket script's reply as a grant; MalformedReply when it is not one."""
    try:
        decision = int(granted)  # type: ignore[call-overload]
        grant = Grant(decision == 1, float(wait), float(tokens))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedReply("the bucket script's reply is not {granted, wait, tokens}") from None
    if decision not in (0, 1) or not (math.isfinite(grant.wait) and math.isfinite(grant.remaining)):
        raise MalformedReply("the bucket script's reply is out of range")
    return grant


async def _granted() -> bool:
    return True


async def _nothing() -> None:
    return None


__all__ = ["MalformedReply", "RedisState", "decode_answer", "encode_answer", "redis_client"]
