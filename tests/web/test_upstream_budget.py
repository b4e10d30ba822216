"""GRAPHQL_MAX_UPSTREAM_CALLS: an operation estimated over it is refused before any call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.partner_center import (
    Allowance,
    AllowanceSpent,
    CallContext,
    PartnerCenterClient,
)
from graphql_api.schema.errors import upstream_error
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

AUTH = {"Authorization": "Bearer budget-tests"}
DASHBOARD = """
query Dashboard($count: Int!) {
  customers(first: $count) {
    edges { node { id companyProfile { companyName } billingProfile { email } __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
}
"""


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=300, seed=3)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


@contextmanager
def service(emulator: LiveEmulator, env: Mapping[str, str] | None = None) -> Iterator[httpx.Client]:
    # Each operation's own calls are counted: no answers shared between operations.
    unshared = {"CACHE_TTL_SECONDS": "0", "UPSTREAM_RATE_PER_MINUTE": "0"}
    with live_service({"PARTNER_CENTER_URL": emulator.url, **unshared, **(env or {})}) as client:
        yield client


def post(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=AUTH
    )
    return response.json()


def _refusal(body: Any) -> dict[str, Any]:
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_BUDGET_EXCEEDED"
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def test_a_dashboard_of_100_customers_with_billing_fits_the_default_budget(
    emulator: LiveEmulator,
) -> None:
    with service(emulator) as client:
        body = post(client, DASHBOARD, {"count": 100})
    assert "errors" not in body
    assert len(body["data"]["customers"]["edges"]) == 100
    assert emulator.calls() == 101  # one list page and one billing profile per customer


def test_a_page_with_billing_over_the_budget_is_refused_before_any_call(
    emulator: LiveEmulator,
) -> None:
    with service(emulator) as client:
        extensions = _refusal(post(client, DASHBOARD, {"count": 250}))
    assert extensions == {
        "code": "UPSTREAM_BUDGET_EXCEEDED",
        "estimatedCalls": 251,
        "maxUpstreamCalls": 200,
    }
    assert emulator.calls() == 0


def test_a_large_first_after_a_small_pages_cursor_is_priced_at_that_page_size(
    emulator: LiveEmulator,
) -> None:
    with service(emulator, {"GRAPHQL_MAX_UPSTREAM_CALLS": "50"}) as client:
        small = post(client, "{ customers(first: 1) { pageInfo { endCursor } } }")
        cursor = small["data"]["customers"]["pageInfo"]["endCursor"]
        before = emulator.calls()
        query = "query($c: String) { customers(first: 60, after: $c) { nodes { id } } }"
        extensions = _refusal(post(client, query, {"c": cursor}))
        within = post(
            client,
            "query($c: String) { customers(first: 40, after: $c) { nodes { id } } }",
            {"c": cursor},
        )
    assert extensions["estimatedCalls"] == 60  # the walk's page size is 1
    assert len(within["data"]["customers"]["nodes"]) == 40
    assert emulator.calls() - before == 40


def test_aliases_of_distinct_windows_add_up(emulator: LiveEmulator) -> None:
    aliases = " ".join(f"a{i}: customers(first: {30 + i}) {{ nodes {{ id }} }}" for i in range(5))
    with service(emulator, {"GRAPHQL_MAX_UPSTREAM_CALLS": "4"}) as client:
        extensions = _refusal(post(client, "{ " + aliases + " }"))
    assert extensions["estimatedCalls"] == 5
    assert emulator.calls() == 0


def test_aliases_of_one_window_share_its_calls(emulator: LiveEmulator) -> None:
    aliases = " ".join(
        f"a{i}: customers(first: 100) {{ nodes {{ billingProfile {{ email }} }} }}"
        for i in range(3)
    )
    with service(emulator, {"GRAPHQL_MAX_UPSTREAM_CALLS": "101"}) as client:
        body = post(client, "{ " + aliases + " }")
    assert "errors" not in body
    assert emulator.calls() == 101


def test_customer_and_node_fields_cost_one_call_per_distinct_id(emulator: LiveEmulator) -> None:
    ids = [customer.id for customer in emulator.customers[:6]]
    fields = " ".join(
        f'c{i}: customer(id: "{cid}") {{ id }} n{i}: node(id: "{cid}") {{ id }}'
        for i, cid in enumerate(ids[:3])
    )
    fields += f' again: customer(id: "{ids[0]}") {{ id }}'  # the same customer: loaded once
    with service(emulator, {"GRAPHQL_MAX_UPSTREAM_CALLS": "2"}) as client:
        extensions = _refusal(post(client, "{ " + fields + " }"))
    assert extensions["estimatedCalls"] == 3
    assert emulator.calls() == 0


def test_thousands_of_entity_representations_are_refused_before_any_call(
    emulator: LiveEmulator,
) -> None:
    representations = [
        {"__typename": "Customer", "id": f"00000000-0000-4000-8000-{i:012d}"} for i in range(12000)
    ]
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }"
    with service(emulator) as client:
        extensions = _refusal(post(client, query, {"r": representations}))
    assert extensions["estimatedCalls"] == 12000
    assert emulator.calls() == 0


async def test_the_running_budget_sends_no_call_past_it(emulator: LiveEmulator) -> None:
    settings = Settings.from_env({"PARTNER_CENTER_URL": emulator.url})
    budget = Allowance(3)
    call = CallContext(authorization="Bearer x", correlation_id="c", allowance=budget)
    ids = [customer.id for customer in emulator.customers[:5]]
    async with PartnerCenterClient(settings.upstream) as client:
        outcomes = [await _outcome(client.get_customer(call, cid)) for cid in ids]
    assert outcomes == ["ok", "ok", "ok", "refused", "refused"]
    assert emulator.calls() == 3
    assert budget.spent == 3


async def _outcome(awaitable: Any) -> str:
    try:
        await awaitable
    except AllowanceSpent:
        return "refused"
    return "ok"


def test_a_spent_budget_is_a_typed_error_without_upstream_details() -> None:
    error = upstream_error(AllowanceSpent(7))
    assert error.extensions == {"code": "UPSTREAM_BUDGET_EXCEEDED", "maxUpstreamCalls": 7}
