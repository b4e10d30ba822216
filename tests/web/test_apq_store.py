"""The APQ store's bounds, in-process and in a real redis-server, and its fallback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from graphql_api.web.apq_store import MemoryDocuments, RedisDocuments
from tests.redis_server import RedisServer, redis_server


def text(number: int, size: int = 40) -> tuple[str, str]:
    body = f"query Q{number} {{ __typename }}".ljust(size)
    return hashlib.sha256(body.encode()).hexdigest(), body


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


async def test_memory_store_keeps_the_most_recently_used_within_the_count() -> None:
    store = MemoryDocuments(max_documents=3, max_bytes=10_000)
    for number in range(5):
        await store.put(*text(number))
    kept = [await store.get(text(n)[0]) is not None for n in range(5)]
    assert kept == [False, False, True, True, True]
    assert len(store) == 3


async def test_memory_store_keeps_within_the_bytes() -> None:
    store = MemoryDocuments(max_documents=100, max_bytes=100)
    for number in range(5):
        await store.put(*text(number, size=40))
    assert len(store) == 2
    assert store.bytes <= 100


async def test_redis_store_shares_texts_within_both_bounds(redis: RedisServer) -> None:
    stores = [
        RedisDocuments.connect(redis.url, fallback=MemoryDocuments(max_documents=3, max_bytes=100))
        for _ in range(2)
    ]
    try:
        for number in range(5):
            await stores[number % 2].put(*text(number, size=40))
        kept = [await stores[1].get(text(n)[0]) for n in range(5)]
        # 3 documents of 40 bytes fit the count but not 100 bytes: the two most recent remain.
        assert [found is not None for found in kept] == [False, False, False, True, True]
        assert kept[4] == text(4, size=40)[1]
        # The bytes kept are counted in Redis, equal to what is there.
        client = aioredis.from_url(redis.url)
        try:
            assert await client.get("graphql_api:apq:v1:bytes") == b"80"
            assert await client.zcard("graphql_api:apq:v1:index") == 2
        finally:
            await client.aclose()
    finally:
        for store in stores:
            await store.aclose()


async def test_redis_store_falls_back_to_this_process_while_redis_is_down(
    redis: RedisServer,
) -> None:
    fallback = MemoryDocuments(max_documents=10, max_bytes=10_000)
    store = RedisDocuments.connect(redis.url, fallback=fallback)
    try:
        redis.stop()
        await store.put(*text(1))
        assert await store.get(text(1)[0]) == text(1)[1]
        assert len(fallback) == 1
    finally:
        await store.aclose()
