"""`Loaders` used directly (no GraphQL): each key fetched once, failures kept to their key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from graphql_api.partner_center import (
    CallContext,
    CustomerPage,
    NotFound,
    PartnerCenterClient,
)
from graphql_api.schema.loaders import Loaders, create_loaders
from graphql_api.speed import upstream_wire
from tests.live_emulator import LiveEmulator
from tests.loaders.conftest import TOKEN, calls
from tests.schema.conftest import settings_for

UNKNOWN_ID = "00000000-0000-4000-8000-00000000beef"


@pytest.fixture
async def loaders(emulator: LiveEmulator) -> AsyncIterator[Loaders]:
    """Fresh loaders over a real client on the emulator."""
    upstream = settings_for(emulator.url).upstream
    async with PartnerCenterClient(upstream, transport=upstream_wire(upstream)) as client:
        call = CallContext(authorization=TOKEN, correlation_id="loaders-api-tests")
        yield create_loaders(client, call, max_batch_size=100)


async def test_a_loaded_customer_serves_both_profiles_without_another_call(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    source = emulator.customers[7]

    company = await loaders.company_profile.load(source.id)
    billing = await loaders.billing_profile.load(source.id)

    assert company is not None
    assert company.company_name == source.company_name
    assert billing.email == source.billing.email
    counted = calls(emulator)
    assert (counted["customer"], counted["company"], counted["billing"]) == (1, 0, 0)


async def test_billing_alone_takes_the_billing_route(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    source = emulator.customers[8]

    billing = await loaders.billing_profile.load(source.id)

    assert billing.email == source.billing.email
    assert (calls(emulator)["billing"], calls(emulator)["customer"]) == (1, 0)


async def test_a_customer_expected_in_full_gets_its_billing_from_the_full_record(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    source = emulator.customers[9]
    loaders.expect_full([source.id])

    billing = await loaders.billing_profile.load(source.id)

    assert billing.email == source.billing.email
    assert (calls(emulator)["customer"], calls(emulator)["billing"]) == (1, 0)


async def test_ids_differing_in_case_are_one_key(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    source = emulator.customers[10]

    lower, upper = await asyncio.gather(
        loaders.customer.load(source.id.lower()), loaders.customer.load(source.id.upper())
    )

    assert lower is upper
    assert calls(emulator)["customer"] == 1


async def test_an_unknown_id_fails_alone_in_its_batch(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    known = [emulator.customers[11].id, emulator.customers[12].id]

    results = await asyncio.gather(
        loaders.customer.load(known[0]),
        loaders.customer.load(UNKNOWN_ID),
        loaders.customer.load(known[1]),
        return_exceptions=True,
    )

    assert isinstance(results[1], NotFound)
    assert [getattr(r, "id", None) for r in (results[0], results[2])] == known
    assert calls(emulator)["customer"] == 3


async def test_the_same_page_asked_twice_is_fetched_once(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    first, second = await asyncio.gather(
        loaders.page(token=None, size=20, search=None),
        loaders.page(token=None, size=20, search=None),
    )

    assert first is second
    assert loaders.summary(emulator.customers[19].id) is not None
    assert calls(emulator)["list"] == 1


async def test_a_page_asked_again_later_in_the_request_costs_no_second_call(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    first = await loaders.page(token=None, size=20, search=None)
    again = await loaders.page(token=None, size=20, search=None)

    assert again is first
    assert calls(emulator)["list"] == 1


async def test_a_failed_page_fails_every_asker_with_one_call(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    emulator.state.configure(latency_ms=50)  # the second asker arrives while it is in flight
    token = "not-a-continuation-token"

    results = await asyncio.gather(
        loaders.page(token=token, size=20, search=None),
        loaders.page(token=token, size=20, search=None),
        return_exceptions=True,
    )

    assert all(isinstance(r, Exception) for r in results), results
    assert type(results[0]) is type(results[1])
    assert calls(emulator)["total"] == 1


async def _first_asker_on_the_wire(
    emulator: LiveEmulator, loaders: Loaders
) -> asyncio.Future[CustomerPage]:
    """A first ask for a 20-customer page, its call sent and not yet answered (100 ms)."""
    emulator.state.configure(latency_ms=100)
    first = asyncio.ensure_future(loaders.page(token=None, size=20, search=None))
    async with asyncio.timeout(5):
        while emulator.state.stats.in_flight == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
    return first


async def test_a_waiter_cancelled_leaves_the_shared_call_running_for_the_first_asker(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    first = await _first_asker_on_the_wire(emulator, loaders)
    waiter = asyncio.ensure_future(loaders.page(token=None, size=20, search=None))
    await asyncio.sleep(0.01)
    waiter.cancel()

    page = await first

    assert waiter.cancelled()
    assert len(page.items) == 20
    assert calls(emulator)["list"] == 1


async def test_a_first_asker_cancelled_lets_a_later_asker_call_again(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    first = await _first_asker_on_the_wire(emulator, loaders)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    emulator.state.configure(latency_ms=0)

    page = await loaders.page(token=None, size=20, search=None)

    assert len(page.items) == 20
    assert calls(emulator)["list"] == 2


async def test_released_loaders_hold_nothing_and_load_again(
    emulator: LiveEmulator, loaders: Loaders
) -> None:
    source = emulator.customers[11]
    await loaders.page(token=None, size=5, search=None)
    await loaders.billing_profile.load(source.id)
    await loaders.customer.load(source.id)

    loaders.release()

    assert not loaders.billing_profile.has(source.id)
    assert not loaders.customer.has(source.id)
    assert loaders.summary(emulator.customers[0].id) is None
    # Used again (nothing does once the request is answered), they fetch anew.
    billing = await loaders.billing_profile.load(source.id)
    assert billing.email == source.billing.email
    assert calls(emulator)["billing"] == 2
