"""The client's tracing hook: one `attempt` per HTTP attempt, its headers sent, its end told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from graphql_api.partner_center import (
    CallContext,
    NotFound,
    PartnerCenterClient,
    ServiceUnavailable,
)
from graphql_api.partner_center.tracing import Headers
from tests.live_emulator import LiveEmulator


@dataclass
class Attempt:
    """What the client told the tracer about one attempt."""

    path: str
    number: int
    retry_wait: float
    status: int | None = None
    failure: str | None = None
    headers: Headers = ()

    def end(self, status: int | None, failure: BaseException | None) -> None:
        self.status = status
        self.failure = None if failure is None else type(failure).__name__


@dataclass
class RecordingTracer:
    """A tracer that hands out a numbered `traceparent`-like header per attempt."""

    attempts: list[Attempt] = field(default_factory=list)

    def attempt(self, path: str, number: int, retry_wait: float) -> Attempt:
        attempt = Attempt(path, number, retry_wait)
        attempt.headers = (("traceparent", f"attempt-{len(self.attempts) + 1}"),)
        self.attempts.append(attempt)
        return attempt


def _first_id(live: LiveEmulator) -> str:
    return live.state.dataset.customers[0].id


async def test_each_attempt_is_told_with_its_number_and_sends_the_tracers_headers(
    live: LiveEmulator,
    live_client: Callable[..., PartnerCenterClient],
    call: CallContext,
) -> None:
    customer_id = _first_id(live)
    live.state.configure(customer_faults={f"{customer_id}/profiles/billing": 502})
    tracer = RecordingTracer()
    client = live_client(max_attempts=3)

    with pytest.raises(ServiceUnavailable):
        await client.get_billing_profile(replace(call, tracer=tracer), customer_id)

    path = f"/v1/customers/{customer_id}/profiles/billing"
    assert [(a.path, a.number, a.status) for a in tracer.attempts] == [
        (path, 1, 502),
        (path, 2, 502),
        (path, 3, 502),
    ]
    assert tracer.attempts[0].retry_wait == 0.0
    assert {a.failure for a in tracer.attempts} == {"ServiceUnavailable"}
    logged = live.state.stats.requests()
    assert [entry["traceparent"] for entry in logged] == ["attempt-1", "attempt-2", "attempt-3"]
    # The client's own headers are still there, one request id for the whole call.
    assert {entry["correlationId"] for entry in logged} == {call.correlation_id}
    assert len({entry["requestId"] for entry in logged}) == 1


async def test_a_successful_call_is_one_attempt_ended_with_its_status(
    live: LiveEmulator,
    live_client: Callable[..., PartnerCenterClient],
    call: CallContext,
) -> None:
    tracer = RecordingTracer()

    page = await live_client().list_customers(replace(call, tracer=tracer), size=5)

    assert len(page.items) == 5
    assert [(a.path, a.number, a.status, a.failure) for a in tracer.attempts] == [
        ("/v1/customers", 1, 200, None)
    ]


async def test_an_http_error_that_is_not_retried_ends_its_one_attempt_with_the_status(
    live: LiveEmulator,
    live_client: Callable[..., PartnerCenterClient],
    call: CallContext,
) -> None:
    tracer = RecordingTracer()
    unknown = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(NotFound):
        await live_client().get_customer(replace(call, tracer=tracer), unknown)

    assert [(a.number, a.status, a.failure) for a in tracer.attempts] == [(1, 404, "NotFound")]


async def test_without_a_tracer_no_trace_header_is_sent(
    live: LiveEmulator,
    live_client: Callable[..., PartnerCenterClient],
    call: CallContext,
) -> None:
    await live_client().list_customers(call, size=5)

    assert [entry["traceparent"] for entry in live.state.stats.requests()] == [None]
