"""The emulator's misbehaving-upstream fault kinds and knobs, seen over raw HTTP.

Plain httpx against the emulator, never our REST client: these check what the emulator
sends, so that the façade's tests (test_upstream_misbehaving.py) rest on known answers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from tests.live_server import live_server

BEARER = {"Authorization": "Bearer fault-kinds"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Emulator]]:
    """One small emulator for the module."""
    app = create_emulator_app(EmulatorConfig(customers=20, seed=3))
    with live_server(app) as url:
        yield url, app.state.emulator


@pytest.fixture
def emulator(served: tuple[str, Emulator]) -> Iterator[tuple[httpx.Client, Emulator]]:
    """A client and the live state, knobs back to their defaults after the test."""
    url, state = served
    defaults = state.config.knobs()
    with httpx.Client(base_url=url, headers=BEARER, timeout=10.0) as client:
        yield client, state
    state.configure(**defaults)
    state.stats.reset()


def _only(state: Emulator, kind: str) -> None:
    state.configure(misbehave_rate=1.0, misbehave_kinds=[kind])


def test_truncated_json_is_a_complete_200_whose_json_stops_short(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    _only(state, "truncated_json")
    response = client.get("/v1/customers")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content.decode("utf-8-sig"))


def test_html_error_page_is_a_500_in_text_html(emulator: tuple[httpx.Client, Emulator]) -> None:
    client, state = emulator
    _only(state, "html_error_page")
    response = client.get("/v1/customers")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def test_html_page_is_a_200_in_text_html(emulator: tuple[httpx.Client, Emulator]) -> None:
    client, state = emulator
    _only(state, "html_page")
    response = client.get("/v1/customers")
    assert (response.status_code, response.headers["content-type"][:9]) == (200, "text/html")


def test_wrong_shape_is_valid_json_no_route_can_read(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    _only(state, "wrong_shape")
    body = json.loads(client.get("/v1/customers").content.decode("utf-8-sig"))
    assert not isinstance(body["items"], list)
    assert not isinstance(body["id"], str)


def test_huge_response_streams_its_configured_size_without_a_content_length(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    _only(state, "huge_response")
    state.configure(huge_response_bytes=3 * 2**20 + 7)
    with client.stream("GET", "/v1/customers") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        size = sum(len(chunk) for chunk in response.iter_raw())
    assert size == 3 * 2**20 + 7


def test_connection_reset_drops_the_connection_before_the_declared_length(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    _only(state, "connection_reset")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v1/customers")


def test_a_misbehaving_kind_can_fail_one_customer_route(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    customer = state.dataset.customers[0].id
    state.configure(customer_faults={f"{customer}/profiles/billing": "html_page"})
    billing = client.get(f"/v1/customers/{customer}/profiles/billing")
    assert billing.headers["content-type"].startswith("text/html")
    assert client.get(f"/v1/customers/{customer}").status_code == 200


def test_misbehave_rate_picks_among_the_default_kinds(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    state.configure(misbehave_rate=1.0)
    seen = set()
    for _ in range(40):
        try:
            response = client.get("/v1/customers")
            seen.add((response.status_code, response.headers["content-type"][:9]))
        except httpx.RemoteProtocolError:
            seen.add((0, "dropped"))
    assert (0, "dropped") in seen
    assert (500, "text/html") in seen
    assert (200, "applicati") in seen


def test_slow_rate_holds_calls_back_while_others_pass(
    emulator: tuple[httpx.Client, Emulator],
) -> None:
    client, state = emulator
    state.configure(slow_rate=1.0, slow_ms=1_500.0)
    statuses: list[int] = []

    def slow_call() -> None:
        try:
            statuses.append(client.get("/v1/customers", timeout=0.5).status_code)
        except httpx.TimeoutException:
            statuses.append(0)

    thread = threading.Thread(target=slow_call)
    thread.start()
    deadline = time.monotonic() + 5
    while state.stats.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    # Held back, not answered: it is in flight until the client gives up.
    assert state.stats.in_flight == 1
    thread.join()
    assert statuses == [0]
    state.configure(slow_rate=0.0)
    assert client.get("/v1/customers").status_code == 200


@pytest.mark.parametrize(
    "knobs",
    [
        {"misbehave_rate": 1.5},
        {"misbehave_kinds": ["meteor_strike"]},
        {"misbehave_kinds": []},
        {"slow_rate": -0.1},
        {"slow_ms": "slow"},
        {"huge_response_bytes": 0},
    ],
)
def test_bad_misbehaving_knobs_are_400_and_change_nothing(
    emulator: tuple[httpx.Client, Emulator], knobs: dict[str, object]
) -> None:
    client, _ = emulator
    before = client.get("/_emulator/faults").json()
    response = client.put("/_emulator/faults", json=knobs)
    assert response.status_code == 400
    assert client.get("/_emulator/faults").json() == before
