"""GRAPHQL_OPERATION_TIMEOUT: an operation ends at its deadline, with typed errors for what is
left, and sends no call after it (served over real HTTP, the emulator answering slowly)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service
from tests.web.conftest import AUTH

WALK = "{ customers(first: 20) { nodes { id } } }"
FAN_OUT = "{ customers(first: 10) { nodes { id billingProfile { email } } } }"


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=30, seed=9)


@pytest.fixture
def slow_emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    for emulator in reset_around(module_emulator):
        emulator.state.configure(latency_ms=300)
        yield emulator


def serve(emulator: LiveEmulator, **env: str) -> dict[str, str]:
    return {
        "PARTNER_CENTER_URL": emulator.url,
        "GRAPHQL_OPERATION_TIMEOUT": "1",
        "CACHE_TTL_SECONDS": "0",
        **env,
    }


def test_a_page_walk_stops_at_the_operation_deadline(slow_emulator: LiveEmulator) -> None:
    # One customer per upstream page: twenty calls one after another, 300 ms each.
    with live_service(serve(slow_emulator, UPSTREAM_PAGE_SIZE="1")) as client:
        response = client.post("/graphql", json={"query": WALK}, headers=AUTH)
    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UPSTREAM_TIMEOUT"]
    assert "GRAPHQL_OPERATION_TIMEOUT" in body["errors"][0]["message"]
    # 1 s at 300 ms a page: the walk ended after a few of its 20 calls.
    assert slow_emulator.calls() <= 4


def test_fields_left_at_the_deadline_answer_upstream_timeout(
    slow_emulator: LiveEmulator,
) -> None:
    # One billing call at a time for the operation: 300 ms each, after the 300 ms list.
    env = serve(slow_emulator, UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION="1")
    with live_service(env) as client:
        response = client.post("/graphql", json={"query": FAN_OUT}, headers=AUTH)
    body = response.json()
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == 10
    answered = [node for node in nodes if node["billingProfile"] is not None]
    left = {error["path"][2] for error in body["errors"]}
    assert answered
    assert left
    assert len(answered) + len(left) == 10
    assert {error["extensions"]["code"] for error in body["errors"]} == {"UPSTREAM_TIMEOUT"}
    assert all(error["path"][3] == "billingProfile" for error in body["errors"])
    # The list and the billing calls made before the deadline; none sent after it.
    assert slow_emulator.calls() <= 1 + len(answered) + 1
