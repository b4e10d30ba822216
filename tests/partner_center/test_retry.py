"""Retry policy: what is retried, how long it waits, the request id, the bounds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from graphql_api.partner_center import (
    CallContext,
    OperationDeadlineExceeded,
    PartnerCenterClient,
    ServiceUnavailable,
    Throttled,
    UpstreamHTTPError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.partner_center.conftest import CUSTOMER_ID, RetryLog, json_response

MakeClient = Callable[..., PartnerCenterClient]
OK = {"id": CUSTOMER_ID}


def failing_then_ok(failures: list[httpx.Response]) -> tuple[
    Callable[[httpx.Request], httpx.Response], list[httpx.Request]
]:
    """A handler answering the given failures in turn, then 200; and the requests it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= len(failures):
            return failures[len(seen) - 1]
        return json_response(200, OK)

    return handler, seen


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_status_is_retried(
    mock_client: MakeClient, call: CallContext, status: int
) -> None:
    handler, seen = failing_then_ok([json_response(status, {"code": 1, "description": "busy"})])
    customer = await mock_client(handler).get_customer(call, CUSTOMER_ID)
    assert customer.id == CUSTOMER_ID
    assert len(seen) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500, 501])
async def test_other_status_is_not_retried(
    mock_client: MakeClient, call: CallContext, status: int
) -> None:
    handler, seen = failing_then_ok([json_response(status, {"code": 1, "description": "no"})])
    with pytest.raises(UpstreamHTTPError) as caught:
        await mock_client(handler).get_customer(call, CUSTOMER_ID)
    assert caught.value.status == status
    assert len(seen) == 1


async def test_connection_error_is_retried(mock_client: MakeClient, call: CallContext) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return json_response(200, OK)

    assert (await mock_client(handler).get_customer(call, CUSTOMER_ID)).id == CUSTOMER_ID
    assert calls == 2


async def test_retries_reuse_one_request_id(mock_client: MakeClient, call: CallContext) -> None:
    handler, seen = failing_then_ok(
        [json_response(503, {}), json_response(429, {}, headers={"Retry-After": "0"})]
    )
    await mock_client(handler).get_customer(call, CUSTOMER_ID)
    assert len(seen) == 3
    assert len({request.headers["MS-RequestId"] for request in seen}) == 1


async def test_each_logical_call_gets_a_fresh_request_id(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = failing_then_ok([])
    client = mock_client(handler)
    await client.get_customer(call, CUSTOMER_ID)
    await client.get_customer(call, CUSTOMER_ID)
    assert seen[0].headers["MS-RequestId"] != seen[1].headers["MS-RequestId"]


async def test_retry_waits_what_retry_after_asks(
    mock_client: MakeClient, call: CallContext, retry_log: RetryLog
) -> None:
    handler, _ = failing_then_ok([json_response(429, {}, headers={"Retry-After": "0.05"})])
    await mock_client(handler).get_customer(call, CUSTOMER_ID)
    assert [retry.wait_for for retry in retry_log.seen] == [pytest.approx(0.05)]


async def test_retry_after_above_cap_fails_at_once(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = failing_then_ok([json_response(429, {}, headers={"Retry-After": "120"})])
    with pytest.raises(Throttled) as caught:
        await mock_client(handler, retry_after_cap=30.0).get_customer(call, CUSTOMER_ID)
    assert caught.value.retry_after == 120.0
    assert len(seen) == 1


async def test_retry_after_beyond_call_budget_fails_at_once(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = failing_then_ok([json_response(503, {}, headers={"Retry-After": "3"})])
    client = mock_client(handler, retry_after_cap=10.0, call_timeout=1.0)
    with pytest.raises(ServiceUnavailable):
        await client.get_customer(call, CUSTOMER_ID)
    assert len(seen) == 1


async def test_attempts_are_bounded(mock_client: MakeClient, call: CallContext) -> None:
    handler, seen = failing_then_ok([json_response(503, {})] * 10)
    with pytest.raises(ServiceUnavailable):
        await mock_client(handler, max_attempts=3).get_customer(call, CUSTOMER_ID)
    assert len(seen) == 3


async def test_persistent_connection_failure_is_unavailable(
    mock_client: MakeClient, call: CallContext
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(UpstreamUnavailable) as caught:
        await mock_client(handler, max_attempts=2).get_customer(call, CUSTOMER_ID)
    assert not isinstance(caught.value, UpstreamTimeout)
    assert caught.value.request_id


async def test_whole_call_timeout_bounds_a_hanging_upstream(
    mock_client: MakeClient, call: CallContext
) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    client = mock_client(hang, call_timeout=0.2)
    with pytest.raises(UpstreamTimeout) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.request_id
    assert client.calls_in_flight == 0


async def test_in_flight_calls_never_exceed_the_cap(
    mock_client: MakeClient, call: CallContext
) -> None:
    peak = 0
    current = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal peak, current
        current += 1
        peak = max(peak, current)
        await asyncio.sleep(0.01)
        current -= 1
        return json_response(200, OK)

    client = mock_client(handler, max_in_flight=3)
    await asyncio.gather(*(client.get_customer(call, CUSTOMER_ID) for _ in range(20)))
    assert peak == 3
    assert client.calls_in_flight == 0


async def test_back_off_sleep_does_not_hold_an_in_flight_slot(
    mock_client: MakeClient, call: CallContext
) -> None:
    other_id = "ffffffff-0000-0000-0000-000000000000"
    order: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        customer_id = request.url.path.rsplit("/", 1)[1]
        order.append(customer_id)
        if customer_id == CUSTOMER_ID and order.count(CUSTOMER_ID) == 1:
            return json_response(429, {}, headers={"Retry-After": "0.3"})
        return json_response(200, {"id": customer_id})

    client = mock_client(handler, max_in_flight=1)
    throttled = asyncio.create_task(client.get_customer(call, CUSTOMER_ID))
    # Until the first attempt has been answered 429 and left its slot for the back-off.
    async with asyncio.timeout(5):
        while not order or client.calls_in_flight:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
    await client.get_customer(call, other_id)
    await throttled
    # The other call ran while the throttled one slept: the single slot was free.
    assert order == [CUSTOMER_ID, other_id, CUSTOMER_ID]


async def test_a_back_off_past_the_calls_time_fails_at_once_with_the_last_failure(
    mock_client: MakeClient, call: CallContext
) -> None:
    # Sleeping until the call's time is up would only hide the cause (stamina gives up at
    # once when the back-off would end past its timeout).
    handler, seen = failing_then_ok([json_response(503, {})] * 10)
    client = mock_client(
        handler, call_timeout=0.2, retry_backoff_initial=5.0, retry_backoff_max=5.0
    )
    with pytest.raises(ServiceUnavailable):
        await client.get_customer(call, CUSTOMER_ID)
    assert len(seen) == 1


async def test_the_operations_deadline_during_back_off_is_a_timeout_caused_by_the_failure(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = failing_then_ok([json_response(503, {})] * 10)
    client = mock_client(
        handler, call_timeout=30.0, retry_backoff_initial=5.0, retry_backoff_max=5.0
    )
    ending = replace(call, deadline=time.monotonic() + 0.2)
    with pytest.raises(OperationDeadlineExceeded) as caught:
        await client.get_customer(ending, CUSTOMER_ID)
    assert isinstance(caught.value.__cause__, ServiceUnavailable)
    assert len(seen) == 1
