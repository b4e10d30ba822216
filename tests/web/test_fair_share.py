"""Fair share of the in-flight slots, over real HTTP: a large operation cannot queue a small one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.web.app import create_app
from tests.live_emulator import LiveEmulator, serve_emulator
from tests.live_server import live_server

SMALL_ID = "0b5c8a7e-1d2f-4e3a-9b8c-7d6e5f4a3b2c"
LARGE_ID = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"


@pytest.fixture(scope="module")
def emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=60, seed=8)


def _customers_query(ids: list[str]) -> str:
    fields = " ".join(f'c{i}: customer(id: "{cid}") {{ id }}' for i, cid in enumerate(ids))
    return "{ " + fields + " }"


async def _post(base: str, query: str, correlation_id: str) -> Any:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": "Bearer fair", "MS-CorrelationId": correlation_id},
        )
    return response.json()


def _paths(emulator: LiveEmulator, correlation_id: str) -> list[str]:
    return [
        str(record["path"])
        for record in emulator.state.stats.requests()
        if record["correlationId"] == correlation_id
    ]


def test_a_small_operation_beside_a_large_one_keeps_its_calls_and_its_turn(
    emulator: LiveEmulator,
) -> None:
    emulator.reset()
    emulator.state.configure(latency_ms=100)
    ids = [customer.id for customer in emulator.customers]
    small_query, large_query = _customers_query(ids[:3]), _customers_query(ids[10:40])
    settings = Settings.from_env(
        {
            "PARTNER_CENTER_URL": emulator.url,
            "UPSTREAM_MAX_IN_FLIGHT": "4",
            "UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION": "2",
            # Only the slots are under test: no cache, no call budget.
            "CACHE_TTL_SECONDS": "0",
            "UPSTREAM_RATE_PER_MINUTE": "0",
        }
    )

    async def beside() -> tuple[Any, Any]:
        large = asyncio.create_task(_post(base, large_query, LARGE_ID))
        while emulator.state.stats.snapshot()["in_flight"] == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.005)  # until the large operation's calls are under way
        small = await _post(base, small_query, SMALL_ID)
        return small, await large

    with live_server(create_app(settings)) as base:
        alone = asyncio.run(_post(base, small_query, SMALL_ID))
        alone_paths = _paths(emulator, SMALL_ID)
        emulator.reset()
        emulator.state.configure(latency_ms=100)
        small, large = asyncio.run(beside())
    beside_paths = _paths(emulator, SMALL_ID)
    finished = [record["correlationId"] for record in emulator.state.stats.requests()]
    most_in_flight = emulator.state.stats.snapshot()["max_in_flight"]
    emulator.reset()

    assert "errors" not in alone
    assert "errors" not in small
    assert "errors" not in large
    assert small == alone
    # The same calls as alone. Not necessarily in the same order: two of them are in flight
    # at once (two slots per operation), and either may reach the emulator first.
    assert sorted(beside_paths) == sorted(alone_paths)
    assert len(beside_paths) == 3
    # Its last call finished while at least half of the large operation's 30 were still to
    # come (first come, first served, all 30 would be before it): it waited for turns (two
    # slots per operation), not for the large one's whole queue. The margin absorbs the
    # time the small request itself takes to arrive on a loaded machine.
    last_small = max(i for i, owner in enumerate(finished) if owner == SMALL_ID)
    assert finished[:last_small].count(LARGE_ID) <= 15
    assert finished.count(LARGE_ID) == 30
    assert most_in_flight <= 4
