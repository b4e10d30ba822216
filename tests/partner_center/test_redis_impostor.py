"""A Redis that answers, but not as Redis does: the shared store falls back as if it were down.

The impostor is a real TCP server that answers every command with one fixed RESP reply
(`+OK` or `:1`), whatever the command was; redis-py then fails in ways that are not
`RedisError` (its handshake, the bucket script's reply).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.faulty_peers import RedisImpostor
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

PAGE = "{ customers(first: 3) { nodes { id companyProfile { companyName } } } }"
AUTH = {"Authorization": "Bearer redis-impostor-tests"}


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=10, seed=5)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


@pytest.mark.parametrize("reply", [b"+OK\r\n", b":1\r\n"], ids=["ok", "one"])
def test_a_redis_that_answers_wrongly_falls_back_to_in_process_state(
    emulator: LiveEmulator, reply: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with RedisImpostor(reply) as impostor:
        env = {"PARTNER_CENTER_URL": emulator.url, "REDIS_URL": impostor.url}
        with live_service(env) as client:
            answers = [
                client.post("/graphql", json={"query": PAGE}, headers=AUTH) for _ in range(3)
            ]
            metrics = client.get("/metrics").text
    for answer in answers:
        assert answer.status_code == 200
        body = answer.json()
        assert "errors" not in body, body
        assert len(body["data"]["customers"]["nodes"]) == 3
    # Served by the in-process cache after the first: one list call for three answers.
    assert emulator.calls() == 1
    assert "partner_center_redis_errors_total{" in metrics
    warnings = [r for r in caplog.records if "Redis failed" in r.getMessage()]
    assert warnings
    assert all(r.levelname == "WARNING" for r in warnings)
