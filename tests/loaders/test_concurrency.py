"""One batch's calls run concurrently, under the client's in-flight cap and never past it."""

from __future__ import annotations

from tests.live_emulator import LiveEmulator
from tests.loaders.conftest import CAP, Service, calls, serve

BILLING = "{ customers(first: 100) { nodes { billingProfile { email } } } }"
# Long enough for every call of a round to be in flight at once, even on a busy machine.
LATENCY_MS = 60


def test_a_hundred_billing_calls_fill_the_in_flight_cap_and_never_pass_it(
    emulator: LiveEmulator, service: Service
) -> None:
    emulator.state.configure(latency_ms=LATENCY_MS)

    answer = service.run(BILLING)

    assert "errors" not in answer
    counted = calls(emulator)
    assert counted["billing"] == 100
    assert counted["max_in_flight"] == CAP


def test_a_small_max_batch_size_changes_neither_the_calls_nor_their_concurrency(
    emulator: LiveEmulator,
) -> None:
    # aiodataloader dispatches the chunks of one tick all at once: with no bulk endpoint, the
    # in-flight cap alone bounds concurrency.
    emulator.state.configure(latency_ms=LATENCY_MS)

    with serve(emulator.url, loader_max_batch_size=10) as service:
        answer = service.run(BILLING)

    assert "errors" not in answer
    counted = calls(emulator)
    assert (counted["list"], counted["billing"]) == (1, 100)
    assert counted["max_in_flight"] == CAP


def test_an_in_flight_cap_of_one_makes_the_calls_one_at_a_time(
    emulator: LiveEmulator,
) -> None:
    with serve(emulator.url, upstream={"max_in_flight": 1}) as service:
        answer = service.run("{ customers(first: 20) { nodes { billingProfile { email } } } }")

    assert "errors" not in answer
    counted = calls(emulator)
    assert counted["billing"] == 20
    assert counted["max_in_flight"] == 1
