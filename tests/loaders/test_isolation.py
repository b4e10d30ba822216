"""Loaders live for one request: concurrent requests never share a cached record."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig, Principal, create_emulator_app
from tests.live_server import live_server
from tests.loaders.conftest import Service, serve

ALLOWED = "alice-token"
REFUSED = "mallory-token"
QUERY = "query($id: ID!) { customer(id: $id) { id billingProfile { email } } }"


@pytest.fixture(scope="module")
def guarded() -> Iterator[tuple[Any, Service]]:
    """An emulator that accepts only ALLOWED (and answers slowly), and the service over it."""

    def check(token: str) -> Principal | None:
        return Principal(key=token) if token == ALLOWED else None

    app = create_emulator_app(EmulatorConfig(customers=10, seed=3, token_checker=check))
    app.state.emulator.configure(latency_ms=150)
    with live_server(app) as url, serve(url) as service:
        yield app.state.emulator, service


async def _ask(base_url: str, token: str, customer_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            "/graphql",
            json={"query": QUERY, "variables": {"id": customer_id}},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    body: dict[str, Any] = response.json()
    return body


async def test_a_concurrent_caller_never_gets_another_callers_cached_record(
    guarded: tuple[Any, Service],
) -> None:
    emulator, service = guarded
    emulator.stats.reset()
    customer = emulator.dataset.customers[0]

    allowed, refused = await asyncio.gather(
        _ask(service.url, ALLOWED, customer.id), _ask(service.url, REFUSED, customer.id)
    )

    assert allowed["data"]["customer"]["billingProfile"]["email"] == customer.billing.email
    assert refused["data"]["customer"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    counted = emulator.stats.snapshot()
    # Each request asked upstream with its own token, at the same time.
    assert counted["customer"] == 2
    assert counted["max_in_flight"] == 2


async def test_concurrent_requests_of_one_caller_each_load_their_own_records(
    guarded: tuple[Any, Service],
) -> None:
    emulator, service = guarded
    emulator.stats.reset()
    customer = emulator.dataset.customers[1]

    answers = await asyncio.gather(
        *(_ask(service.url, ALLOWED, customer.id) for _ in range(3))
    )

    assert all(a["data"]["customer"]["id"] == customer.id for a in answers)
    assert emulator.stats.snapshot()["customer"] == 3
