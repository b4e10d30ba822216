"""Fixtures for the schema tests: live emulators over real HTTP, and a way to run operations.

Operations run through `schema.execute` with a RequestContext around a real
PartnerCenterClient pointed at the emulator; the HTTP layer in front of the schema is
tested elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from graphql_api.config import SchemaSettings, Settings, SharedStateSettings, UpstreamSettings
from graphql_api.partner_center import PartnerCenterClient
from graphql_api.schema import CustomersSchema, create_schema
from graphql_api.schema.context import RequestContext
from graphql_api.speed import upstream_wire
from tests.live_emulator import LiveEmulator, serve_emulator

TOKEN = "Bearer schema-tests-token"
CORRELATION_ID = "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098"
SECRET = b"schema-tests-cursor-secret-0123456789"
BIG = 2000
# A prime: no page size divides it, so most walks end on a partial page.
SMALL = 37


@pytest.fixture(scope="session")
def big_emulator() -> Iterator[LiveEmulator]:
    """An emulator with 2000 customers, shared by the whole session (reset per test)."""
    yield from serve_emulator(seed=11, customers=BIG)


@pytest.fixture(scope="session")
def small_emulator() -> Iterator[LiveEmulator]:
    """An emulator with 37 customers, shared by the whole session (reset per test)."""
    yield from serve_emulator(seed=11, customers=SMALL)


@pytest.fixture
def big(big_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    """The big emulator, reset before and after the test."""
    big_emulator.reset()
    yield big_emulator
    big_emulator.reset()


@pytest.fixture
def small(small_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    """The small emulator, reset before and after the test."""
    small_emulator.reset()
    yield small_emulator
    small_emulator.reset()


def settings_for(url: str, *, upstream: dict[str, Any] | None = None, **schema: Any) -> Settings:
    """Settings on `url` with quick retries; `schema` overrides SchemaSettings fields."""
    upstream_settings = UpstreamSettings(
        base_url=url,
        connect_timeout=2.0,
        read_timeout=5.0,
        call_timeout=10.0,
        max_attempts=3,
        retry_after_cap=5.0,
        max_in_flight=8,
        retry_backoff_initial=0.001,
        retry_backoff_max=0.005,
    )
    return Settings(
        upstream=upstream_settings.model_copy(update=upstream or {}),
        schema=SchemaSettings(**{"cursor_secret": SECRET, **schema}),
        # Tests here count each operation's own calls: no answers shared between operations.
        shared=SharedStateSettings(cache_ttl=0, rate_per_minute=0),
    )


@dataclass
class Runner:
    """Runs operations against one settings/client pair, one RequestContext per operation."""

    settings: Settings
    client: PartnerCenterClient
    schema: CustomersSchema
    authorization: str | None = TOKEN

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> ExecutionResult:
        context = RequestContext(
            client=self.client,
            settings=self.settings,
            correlation_id=CORRELATION_ID,
            authorization=self.authorization,
        )
        return await self.schema.execute(
            query, variable_values=variables, context_value=context
        )


@pytest.fixture
async def runner() -> AsyncIterator[Any]:
    """`runner(url, **schema_settings)` builds a Runner; its clients close after the test."""
    made: list[PartnerCenterClient] = []

    def make(
        url: str, *, upstream: dict[str, Any] | None = None, **schema: Any
    ) -> Runner:
        settings = settings_for(url, upstream=upstream, **schema)
        client = PartnerCenterClient(settings.upstream, transport=upstream_wire(settings.upstream))
        made.append(client)
        return Runner(settings, client, create_schema(settings))

    yield make
    for client in made:
        await client.aclose()


def codes(result: ExecutionResult) -> list[str]:
    """The `extensions.code` of each error of `result`, in order."""
    return [(error.extensions or {}).get("code", "") for error in result.errors or []]
