"""The cache of upstream answers, coalescing and the partner's call budget, seen over HTTP.

Each test runs the service against a live emulator and counts the calls the emulator got.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.clocks import MovedClocks
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

PAGE = (
    "{ customers(first: 5) { nodes { id companyProfile { companyName } "
    "billingProfile { email } } } }"
)
# One list call and five billing calls.
PAGE_CALLS = 6
ONE = 'query One($id: ID!) { customer(id: $id) { id companyProfile { companyName } } }'


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=30, seed=11)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


@contextmanager
def service(emulator: LiveEmulator, **env: str) -> Iterator[httpx.Client]:
    with live_service({"PARTNER_CENTER_URL": emulator.url, **env}) as client:
        yield client


def post(
    client: httpx.Client,
    query: str,
    *,
    token: str = "caller-a",
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    return client.post(
        "/graphql",
        json={"query": query, "variables": dict(variables or {})},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )


def test_a_repeated_page_is_served_from_the_cache(emulator: LiveEmulator) -> None:
    with service(emulator) as client:
        first = post(client, PAGE)
        second = post(client, PAGE)
    assert first.json() == second.json()
    assert "errors" not in second.json()
    assert emulator.calls() == PAGE_CALLS


def test_two_callers_with_different_tokens_never_share_an_entry(emulator: LiveEmulator) -> None:
    with service(emulator) as client:
        post(client, PAGE, token="caller-a")
        after_a = emulator.calls()
        post(client, PAGE, token="caller-b")
        after_b = emulator.calls()
        post(client, PAGE, token="caller-a")
        post(client, PAGE, token="caller-b")
        after_both_again = emulator.calls()
    # B paid for every answer A had cached; afterwards each reads its own entries.
    assert after_a == PAGE_CALLS
    assert after_b == 2 * PAGE_CALLS
    assert after_both_again == 2 * PAGE_CALLS


def test_no_cache_on_the_request_fetches_anew(emulator: LiveEmulator) -> None:
    with service(emulator) as client:
        post(client, PAGE)
        post(client, PAGE, headers={"Cache-Control": "no-cache"})
    assert emulator.calls() == 2 * PAGE_CALLS


def test_with_the_cache_off_every_request_calls(emulator: LiveEmulator) -> None:
    with service(emulator, CACHE_TTL_SECONDS="0") as client:
        post(client, PAGE)
        post(client, PAGE)
    assert emulator.calls() == 2 * PAGE_CALLS


def test_identical_calls_in_flight_from_different_operations_share_one(
    emulator: LiveEmulator,
) -> None:
    emulator.state.configure(latency_ms=300)
    callers = 6
    with service(emulator) as client:
        barrier = threading.Barrier(callers)
        bodies: list[Any] = []

        def one() -> None:
            barrier.wait()
            bodies.append(post(client, PAGE).json())

        threads = [threading.Thread(target=one) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        metrics = client.get("/metrics").text
    assert all("errors" not in body for body in bodies)
    assert emulator.calls() == PAGE_CALLS
    assert 'partner_center_coalesced_total{route="/v1/customers"}' in metrics


def test_a_complete_answer_may_be_kept_privately(emulator: LiveEmulator) -> None:
    with service(emulator, CACHE_TTL_SECONDS="30") as client:
        response = post(client, PAGE)
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("private, max-age=")
    assert 0 < int(cache_control.rsplit("=", 1)[1]) <= 30


def test_an_error_is_never_stored(emulator: LiveEmulator) -> None:
    with service(emulator) as client:
        missing = post(client, ONE, variables={"id": "00000000-0000-0000-0000-000000000000"})
        refused = client.post("/graphql", json={"query": PAGE})  # no token
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing.headers["Cache-Control"] == "no-store"
    assert refused.headers["Cache-Control"] == "no-store"


def test_a_partial_answer_is_never_stored(emulator: LiveEmulator) -> None:
    failing = emulator.customers[0].id
    emulator.state.configure(customer_faults={f"{failing}/profiles/billing": 403})
    with service(emulator) as client:
        partial = post(client, PAGE)
    assert partial.json()["data"]["customers"]["nodes"]
    assert partial.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert partial.headers["Cache-Control"] == "no-store"


def test_an_upstream_error_is_not_cached(emulator: LiveEmulator) -> None:
    failing = emulator.customers[0].id
    emulator.state.configure(customer_faults={f"{failing}/profiles/billing": 403})
    with service(emulator) as client:
        post(client, PAGE)
        emulator.state.configure(customer_faults={})
        healed = post(client, PAGE)
    assert "errors" not in healed.json()
    # The list page and four billing profiles came from the cache; the failed one did not.
    assert emulator.calls() == PAGE_CALLS + 1


def test_a_spent_budget_is_throttled_with_retry_after_and_sends_nothing(
    emulator: LiveEmulator,
) -> None:
    ids = [customer.id for customer in emulator.customers[:4]]
    env = {"UPSTREAM_RATE_PER_MINUTE": "6", "UPSTREAM_RATE_BURST": "2",
           "UPSTREAM_RATE_MAX_WAIT": "0"}
    with service(emulator, **env) as client:
        answers = [post(client, ONE, variables={"id": i}).json() for i in ids]
    assert [("errors" in a) for a in answers] == [False, False, True, True]
    error = answers[2]["errors"][0]
    assert error["extensions"]["code"] == "THROTTLED"
    assert error["extensions"]["retryAfter"] >= 1
    assert emulator.calls() == 2


def test_a_spent_budget_serves_a_stale_answer_marked_as_such(emulator: LiveEmulator) -> None:
    customer_id = emulator.customers[0].id
    other_id = emulator.customers[1].id
    env = {"PARTNER_CENTER_URL": emulator.url, "UPSTREAM_RATE_PER_MINUTE": "6",
           "UPSTREAM_RATE_BURST": "2", "UPSTREAM_RATE_MAX_WAIT": "0",
           "CACHE_TTL_SECONDS": "1", "CACHE_STALE_SECONDS": "300"}
    moved = MovedClocks()
    with live_service(env, clocks=moved.clocks) as client:
        fresh = post(client, ONE, variables={"id": customer_id})
        post(client, ONE, variables={"id": other_id})  # the budget's last call
        # The first answer is no longer fresh; the bucket refills a fifth of a call meanwhile.
        moved.advance(2)
        stale = post(client, ONE, variables={"id": customer_id})
        metrics = client.get("/metrics").text
    assert stale.json()["data"] == fresh.json()["data"]
    assert stale.json()["extensions"]["cache"]["stale"] is True
    assert stale.headers["Cache-Control"] == "private, max-age=0"
    assert emulator.calls() == 2
    assert 'outcome="stale",route="/v1/customers/{id}"' in metrics


def test_a_real_429_pauses_every_caller_of_the_partner(emulator: LiveEmulator) -> None:
    ids = [customer.id for customer in emulator.customers[:3]]
    # The emulator's minute holds one call per token; its 429 names the rest of the minute.
    # The emulator's clock is put at the middle of a minute, so that the three requests meet
    # the same one whatever the wall clock says.
    emulator.clock.offset = 60 + 30 - time.time() % 60
    emulator.state.configure(throttle_per_minute=1)
    env = {"UPSTREAM_RATE_MAX_WAIT": "0", "UPSTREAM_RETRY_AFTER_CAP": "1"}
    with service(emulator, **env) as client:
        post(client, ONE, token="caller-a", variables={"id": ids[0]})
        throttled = post(client, ONE, token="caller-a", variables={"id": ids[1]}).json()
        calls_after_429 = emulator.calls()
        other = post(client, ONE, token="caller-b", variables={"id": ids[2]}).json()
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    # Another caller's call was held back by the pause: nothing more reached the emulator.
    assert other["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert emulator.calls() == calls_after_429
