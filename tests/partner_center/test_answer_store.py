"""The in-process answer cache: bounded in bytes as well as entries, expired entries dropped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from graphql_api.partner_center.answer_cache import CachedAnswer, MemoryStore, entry_size
from tests.clocks import HandClock
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

BIG_PAGE = "{ customers(first: 500) { nodes { id } } }"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=500, seed=3)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


def answer(body: bytes) -> CachedAnswer:
    return CachedAnswer(200, "application/json", body, "c", "r", time.time())


def test_the_byte_bound_evicts_what_the_entry_bound_would_keep(emulator: LiveEmulator) -> None:
    """Each 500-customer page is a few hundred KB: a 1 MiB cache cannot keep eight tokens'."""
    env = {"PARTNER_CENTER_URL": emulator.url, "CACHE_MAX_BYTES": str(MIB)}
    with live_service(env) as client:

        def ask(token: int) -> None:
            headers = {"Authorization": f"Bearer byte-bound-{token}"}
            response = client.post("/graphql", json={"query": BIG_PAGE}, headers=headers)
            assert len(response.json()["data"]["customers"]["nodes"]) == 500

        for token in range(8):
            ask(token)
        fetched = emulator.calls()
        ask(7)  # the most recent: still kept
        assert emulator.calls() == fetched
        ask(0)  # the oldest: pushed out by bytes, though 8 entries are far below 10,000
        assert emulator.calls() == fetched + 1


def test_entries_never_hold_more_than_the_byte_bound() -> None:
    async def scenario() -> list[int]:
        store = MemoryStore(max_entries=1000, max_bytes=64 * 1024)
        sizes = []
        for n in range(50):
            await store.put(f"k{n}", answer(b"x" * 5000), keep_for=60)
            sizes.append(store.size_bytes)
        return sizes

    sizes = asyncio.run(scenario())
    assert max(sizes) <= 64 * 1024
    assert sizes[-1] > 64 * 1024 - entry_size("k49", answer(b"x" * 5000))


def test_an_answer_larger_than_the_whole_bound_is_not_kept() -> None:
    async def scenario() -> tuple[CachedAnswer | None, CachedAnswer | None]:
        store = MemoryStore(max_entries=10, max_bytes=10_000)
        await store.put("small", answer(b"s"), keep_for=60)
        await store.put("huge", answer(b"h" * 20_000), keep_for=60)
        return await store.get("small"), await store.get("huge")

    small, huge = asyncio.run(scenario())
    assert small is not None
    assert huge is None


def test_expired_entries_are_dropped_without_being_read() -> None:
    async def scenario() -> tuple[int, int]:
        clock = HandClock()
        store = MemoryStore(max_entries=1000, max_bytes=10 * MIB, clock=clock)
        for n in range(100):
            await store.put(f"old{n}", answer(b"o" * 1000), keep_for=10)
        clock.now += 11
        await store.put("new", answer(b"n"), keep_for=60)
        return len(store), store.size_bytes

    count, size = asyncio.run(scenario())
    assert count == 1
    assert size == entry_size("new", answer(b"n"))
