"""Fixtures for the Partner Center client tests: settings with tiny back-offs, a call context,
a live emulator over real HTTP, and clients on httpx.MockTransport for shapes the emulator
cannot produce."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stamina.instrumentation
from stamina.instrumentation import RetryDetails

from graphql_api.config import UpstreamSettings
from graphql_api.partner_center import CallContext, PartnerCenterClient
from graphql_api.speed import upstream_wire
from tests.live_emulator import LiveEmulator, serve_emulator

BASE_URL = "http://partner-center.test"
TOKEN = "Bearer s3cret-token-value"
CORRELATION_ID = "6a4e7c1c-9a3b-4a5e-8d21-1f2e3d4c5b6a"
CUSTOMER_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

Handler = Callable[[httpx.Request], httpx.Response]


def fast_settings(**overrides: Any) -> UpstreamSettings:
    """Settings whose back-off waits are a few milliseconds, so retry tests stay fast."""
    base = UpstreamSettings(
        base_url=BASE_URL,
        connect_timeout=2.0,
        read_timeout=2.0,
        call_timeout=10.0,
        max_attempts=4,
        retry_after_cap=5.0,
        max_in_flight=4,
        retry_backoff_initial=0.001,
        retry_backoff_max=0.005,
    )
    return base.model_copy(update=overrides)


def json_response(
    status: int,
    payload: object,
    *,
    headers: dict[str, str] | None = None,
    bom: bool = False,
) -> httpx.Response:
    """A response with a JSON body (optionally led by a UTF-8 byte-order mark)."""
    body = json.dumps(payload).encode()
    return httpx.Response(
        status,
        content=(b"\xef\xbb\xbf" + body) if bom else body,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )


def page_payload(ids: list[str], *, token: str | None = None) -> dict[str, object]:
    """A list page as Partner Center shapes it."""
    payload: dict[str, object] = {
        "totalCount": len(ids),
        "items": [
            {
                "id": customer_id,
                "companyProfile": {
                    "tenantId": customer_id,
                    "companyName": f"Company {customer_id}",
                },
                "relationshipToPartner": "reseller",
                "attributes": {"objectType": "Customer"},
            }
            for customer_id in ids
        ],
        "attributes": {"objectType": "Collection"},
    }
    if token is not None:
        payload["continuationToken"] = token
    return payload


@pytest.fixture
def call() -> CallContext:
    """The call context of one GraphQL operation."""
    return CallContext(authorization=TOKEN, correlation_id=CORRELATION_ID, locale="nl-NL")


@pytest.fixture
async def mock_client() -> AsyncIterator[Callable[..., PartnerCenterClient]]:
    """Build clients on MockTransports; they are closed when the test ends."""
    made: list[PartnerCenterClient] = []

    def make(handler: Handler, **overrides: Any) -> PartnerCenterClient:
        client = PartnerCenterClient(
            fast_settings(**overrides), transport=httpx.MockTransport(handler)
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@dataclass
class RetryLog:
    """Retries stamina scheduled (with the wait it chose), and actions to run at each one."""

    seen: list[RetryDetails] = field(default_factory=list)
    then: list[Callable[[RetryDetails], object]] = field(default_factory=list)

    def __call__(self, details: RetryDetails) -> None:
        self.seen.append(details)
        for action in self.then:
            action(details)


@pytest.fixture
def retry_log() -> Iterator[RetryLog]:
    """Record every retry scheduled during the test; stamina's default hooks come back after."""
    log = RetryLog()
    stamina.instrumentation.set_on_retry_hooks([log])
    try:
        yield log
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)


# --- the live emulator -------------------------------------------------------------------

CUSTOMERS = 237  # a prime: no page size divides it, so last pages are partial


@pytest.fixture(scope="module")
def emulator() -> Iterator[LiveEmulator]:
    """One emulator server per test module."""
    yield from serve_emulator(CUSTOMERS, seed=7)


@pytest.fixture
def live(emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    """The module's emulator with default knobs, zeroed stats and an unshifted clock."""
    emulator.reset()
    yield emulator
    emulator.reset()


@pytest.fixture
async def live_client(
    live: LiveEmulator,
) -> AsyncIterator[Callable[..., PartnerCenterClient]]:
    """Build clients on the live emulator over real HTTP; closed when the test ends."""
    made: list[PartnerCenterClient] = []

    def make(**overrides: Any) -> PartnerCenterClient:
        settings = fast_settings(**overrides).model_copy(update={"base_url": live.url})
        client = PartnerCenterClient(settings, transport=upstream_wire(settings))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
