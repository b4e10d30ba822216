"""Failures from the live emulator: statuses, ids, throttling and retries, hangs, the cap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from graphql_api.partner_center import (
    BadRequest,
    CallContext,
    Forbidden,
    NotFound,
    PartnerCenterClient,
    ServerError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from tests.live_emulator import LiveEmulator
from tests.partner_center.conftest import CORRELATION_ID, RetryLog

MakeClient = Callable[..., PartnerCenterClient]


def first_id(live: LiveEmulator) -> str:
    return live.state.dataset.customers[0].id


@pytest.mark.parametrize(
    ("status", "expected", "code"),
    [
        (400, BadRequest, "800002"),
        (401, Unauthorized, "400"),
        (403, Forbidden, "20002"),
        (404, NotFound, "60003"),
        (429, Throttled, None),
        (500, ServerError, "800003"),
        (501, ServerError, "0"),
        (502, ServiceUnavailable, None),
        (503, ServiceUnavailable, None),
        (504, ServiceUnavailable, None),
    ],
)
async def test_every_error_status_maps_with_ids_filled(
    live: LiveEmulator,
    live_client: MakeClient,
    call: CallContext,
    status: int,
    expected: type[UpstreamHTTPError],
    code: str | None,
) -> None:
    customer_id = first_id(live)
    live.state.configure(customer_faults={customer_id: status})
    with pytest.raises(expected) as caught:
        await live_client(max_attempts=1).get_customer(call, customer_id)
    error = caught.value
    assert type(error) is expected
    assert error.status == status
    assert error.code == code
    logged = live.state.stats.requests()[-1]
    assert error.correlation_id == CORRELATION_ID == logged["correlationId"]
    assert error.request_id == logged["requestId"]
    assert error.request_id


async def test_unknown_customer_is_not_found(
    live_client: MakeClient, call: CallContext
) -> None:
    with pytest.raises(NotFound) as caught:
        await live_client().get_customer(call, "00000000-0000-4000-8000-000000000000")
    assert caught.value.code == "60003"
    assert caught.value.description == "Tenant not found"


async def test_non_bearer_authorization_is_unauthorized(
    live_client: MakeClient,
) -> None:
    call = CallContext(authorization="Basic dXNlcjpwYXNz", correlation_id="c-1")
    with pytest.raises(Unauthorized):
        await live_client().list_customers(call)


async def test_throttled_call_is_retried_after_retry_after(
    live: LiveEmulator,
    live_client: MakeClient,
    call: CallContext,
    retry_log: RetryLog,
) -> None:
    customer_id = first_id(live)
    live.state.configure(customer_faults={customer_id: 429}, retry_after_seconds=1)
    # The throttle lifts once the client has scheduled its retry, so the retry succeeds.
    retry_log.then.append(lambda _: live.state.configure(customer_faults={}))
    customer = await live_client().get_customer(call, customer_id)
    assert customer.id == customer_id
    assert live.state.stats.snapshot()["by_status"] == {"200": 1, "429": 1}
    assert [r.wait_for for r in retry_log.seen] == [pytest.approx(1.0)]
    logged = live.state.stats.requests()
    assert logged[0]["requestId"] == logged[1]["requestId"]


async def test_persistent_throttling_gives_up_after_max_attempts(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    customer_id = first_id(live)
    live.state.configure(customer_faults={customer_id: 503}, retry_after_seconds=1)
    with pytest.raises(ServiceUnavailable) as caught:
        await live_client(max_attempts=2).get_customer(call, customer_id)
    assert caught.value.retry_after == 1.0
    assert live.state.stats.snapshot()["customer"] == 2


async def test_flaky_upstream_is_ridden_out_by_retries(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    # Seeded dice: about a third of calls fail with 502/504 (no Retry-After), yet every
    # logical call succeeds within its attempts.
    live.state.configure(error_rate=0.3, error_kinds=["bad_gateway", "gateway_timeout"])
    client = live_client(max_attempts=8)
    for customer in live.state.dataset.customers[:20]:
        assert (await client.get_billing_profile(call, customer.id)).id is not None
    stats = live.state.stats.snapshot()
    assert stats["billing"] > 20
    assert stats["by_status"]["200"] == 20


async def test_hanging_upstream_times_out_by_read_timeout(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    live.state.configure(hang_paths=["/v1/customers/"])
    client = live_client(read_timeout=0.2, call_timeout=5.0, max_attempts=2)
    with pytest.raises(UpstreamTimeout) as caught:
        await client.get_customer(call, first_id(live))
    assert caught.value.request_id
    assert live.state.stats.snapshot()["customer"] == 2  # read timeouts are retried


async def test_hanging_upstream_times_out_by_whole_call_bound(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    live.state.configure(hang_paths=["/v1/customers"])
    client = live_client(read_timeout=30.0, call_timeout=0.3)
    with pytest.raises(UpstreamTimeout, match="exceeded"):
        await client.list_customers(call)
    assert client.calls_in_flight == 0


async def test_in_flight_cap_holds_over_real_http(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    live.state.configure(latency_ms=50)
    client = live_client(max_in_flight=3)
    customers = live.state.dataset.customers[:24]
    await asyncio.gather(*(client.get_billing_profile(call, c.id) for c in customers))
    stats = live.state.stats.snapshot()
    assert stats["billing"] == 24
    assert stats["max_in_flight"] == 3


async def test_user_credentials_sent_upstream_are_never_parsed(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    upstream = live.state.dataset.customers[0]
    customer = await live_client().get_customer(call, upstream.id)
    assert upstream.password not in repr(customer)
    assert upstream.user_name not in repr(customer)


async def test_full_customer_carries_both_profiles(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    upstream = live.state.dataset.customers[0]
    customer = await live_client().get_customer(call, upstream.id)
    assert customer.company_profile is not None
    assert customer.company_profile.company_name == upstream.company_name
    assert customer.billing_profile is not None
    assert customer.allow_delegated_access is upstream.delegated_access
    assert live.state.stats.snapshot()["total"] == 1


async def test_locale_reaches_upstream(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    await live_client().list_customers(call, size=1)
    assert live.state.stats.requests()[-1]["locale"] == "nl-NL"
