"""Calls started from the list, ahead of the fields that would batch them.

`Loaders.start_calls` is what `customers` calls once its window is read and planned: the
full records and billing profiles the operation asks of the listed customers. The calls
must be those the batches would make, leave within one loop turn, keep a failure to its own
key, and wait whenever a sibling field is still deciding.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from graphql_api.partner_center import (
    BodyLimits,
    CallContext,
    NotFound,
    PartnerCenterClient,
    RawResponse,
    Timeouts,
    Wire,
)
from graphql_api.schema import create_schema
from graphql_api.schema.context import RequestContext
from graphql_api.schema.loaders import Loaders, create_loaders
from graphql_api.speed import upstream_wire
from tests.live_emulator import LiveEmulator
from tests.loaders.conftest import CAP, TOKEN, calls
from tests.schema.conftest import settings_for

UNKNOWN_ID = "00000000-0000-4000-8000-00000000beef"


@pytest.fixture
async def client(emulator: LiveEmulator) -> AsyncIterator[PartnerCenterClient]:
    """A real client on the emulator, with the loader tests' in-flight cap."""
    settings = settings_for(emulator.url, upstream={"max_in_flight": CAP})
    async with PartnerCenterClient(
        settings.upstream, transport=upstream_wire(settings.upstream)
    ) as client:
        yield client


def _loaders(client: PartnerCenterClient) -> Loaders:
    call = CallContext(authorization=TOKEN, correlation_id="billing-start-tests")
    return create_loaders(client, call, max_batch_size=100)


async def test_started_calls_fill_the_cap_within_one_loop_turn_and_serve_the_loads(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    sources = emulator.customers[:20]

    assert loaders.start_calls(billing=[s.id for s in sources])
    await asyncio.sleep(0)
    in_flight_after_one_turn = client.calls_in_flight
    profiles = await asyncio.gather(*(loaders.billing_profile.load(s.id) for s in sources))
    again = await loaders.billing_profile.load(sources[3].id.upper())

    assert in_flight_after_one_turn == CAP
    assert [p.email for p in profiles] == [s.billing.email for s in sources]
    assert again is profiles[3]
    counted = calls(emulator)
    assert (counted["billing"], counted["customer"], counted["list"]) == (20, 0, 0)


async def test_started_full_records_serve_both_profiles_without_another_call(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    sources = emulator.customers[20:30]

    assert loaders.start_calls(full=[s.id for s in sources])
    await asyncio.sleep(0)
    in_flight_after_one_turn = client.calls_in_flight
    records = await asyncio.gather(*(loaders.customer.load(s.id) for s in sources))
    billing = await loaders.billing_profile.load(sources[0].id)
    company = await loaders.company_profile.load(sources[1].id)

    assert in_flight_after_one_turn == CAP
    assert [r.id for r in records] == [s.id for s in sources]
    assert billing.email == sources[0].billing.email
    assert company is not None
    assert company.company_name == sources[1].company_name
    counted = calls(emulator)
    assert (counted["customer"], counted["billing"], counted["company"]) == (10, 0, 0)


async def test_customers_expected_in_full_or_already_loading_are_not_started(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    full, loading, plain = (c.id for c in emulator.customers[30:33])
    loaders.expect_full([full])
    record = loaders.customer.load(loading)

    assert loaders.start_calls(billing=[full, loading, plain])
    billing = await asyncio.gather(
        *(loaders.billing_profile.load(i) for i in (full, loading, plain))
    )
    await record

    assert [b.email for b in billing] == [c.billing.email for c in emulator.customers[30:33]]
    counted = calls(emulator)
    # The two full records carry their billing; only the third takes the billing route.
    assert (counted["customer"], counted["billing"]) == (2, 1)


async def test_refused_while_a_list_page_is_in_flight(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    page = asyncio.ensure_future(loaders.page(token=None, size=10, search=None))
    await asyncio.sleep(0)

    started = loaders.start_calls(billing=[emulator.customers[40].id])
    await page

    assert started is False
    assert client.calls_in_flight == 0
    assert calls(emulator)["billing"] == 0


async def test_refused_while_a_sibling_is_planning(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    with loaders.planning():
        started = loaders.start_calls(billing=[emulator.customers[41].id])

    assert started is False
    assert loaders.billing_profile.has(emulator.customers[41].id) is False


async def test_a_failed_started_call_fails_its_key_alone(
    emulator: LiveEmulator, client: PartnerCenterClient
) -> None:
    loaders = _loaders(client)
    known = emulator.customers[50]

    assert loaders.start_calls(billing=[UNKNOWN_ID, known.id])
    results = await asyncio.gather(
        loaders.billing_profile.load(UNKNOWN_ID),
        loaders.billing_profile.load(known.id),
        return_exceptions=True,
    )

    assert isinstance(results[0], NotFound)
    assert getattr(results[1], "email", None) == known.billing.email


async def test_a_failed_call_nobody_reads_is_not_reported_as_lost(
    client: PartnerCenterClient,
) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        loaders = _loaders(client)
        assert loaders.start_calls(billing=[UNKNOWN_ID])
        # The loader's own future, waited for without reading its outcome.
        held = loaders.billing_profile.load(UNKNOWN_ID)
        await asyncio.wait([held])
        del held, loaders
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)

    assert reported == []


class _FieldCounter(SchemaExtension):
    """Counts the Customer fields that need a call as GraphQL resolves them."""

    resolved = 0

    def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if info.field_name in {"billingProfile", "allowDelegatedAccess"}:
            type(self).resolved += 1
        return _next(root, info, *args, **kwargs)


class _FirstSends:
    """Notes how many of those fields GraphQL had reached when each per-customer call left."""

    def __init__(self, inner: Wire) -> None:
        self.inner = inner
        self.fields_reached_at_sends: list[int] = []

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        if urlsplit(url).path.count("/") > 2:  # /v1/customers/{id}...
            self.fields_reached_at_sends.append(_FieldCounter.resolved)
        return await self.inner.get(url, headers, timeouts=timeouts, limits=limits)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("fields", "route"),
    [("billingProfile { email }", "billing"), ("allowDelegatedAccess", "customer")],
)
async def test_a_listed_page_sends_its_first_calls_before_graphql_reaches_the_fields(
    emulator: LiveEmulator, fields: str, route: str
) -> None:
    settings = settings_for(emulator.url, upstream={"max_in_flight": CAP})
    schema = create_schema(settings, extensions=[_FieldCounter])
    _FieldCounter.resolved = 0
    transport = _FirstSends(upstream_wire(settings.upstream))
    async with PartnerCenterClient(settings.upstream, transport=transport) as client:
        context = RequestContext(
            client=client, settings=settings, correlation_id="calls-start", authorization=TOKEN
        )
        result = await schema.execute(
            f"{{ customers(first: 30) {{ nodes {{ id {fields} }} }} }}", context_value=context
        )

    assert result.errors is None
    assert result.data is not None
    assert len(result.data["customers"]["nodes"]) == 30
    # The first round (the in-flight cap) left before GraphQL reached any of the fields.
    assert transport.fields_reached_at_sends[:CAP] == [0] * CAP
    assert len(transport.fields_reached_at_sends) == 30
    assert calls(emulator)[route] == 30
