"""A Redis that answers, but not as Redis does: the shared store falls back as if it were down.

The impostor is a real TCP server that answers every command with one fixed RESP reply
(`+OK` or `:1`), whatever the command was; redis-py then fails in ways that are not
`RedisError` (its handshake, the bucket script's reply).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

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


@contextmanager
def impostor(reply: bytes) -> Iterator[str]:
    """A loopback server answering `reply` to every chunk it reads; yields its redis:// URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(0.2)
            while not stop.is_set():
                try:
                    data = connection.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                # One reply per command sent (a pipeline sends several in one chunk).
                commands = max(1, data.count(b"\r\n*") + (1 if data.startswith(b"*") else 0))
                connection.sendall(reply * commands)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stop.set()
        acceptor.join()
        listener.close()


@pytest.mark.parametrize("reply", [b"+OK\r\n", b":1\r\n"], ids=["ok", "one"])
def test_a_redis_that_answers_wrongly_falls_back_to_in_process_state(
    emulator: LiveEmulator, reply: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with impostor(reply) as url:
        env = {"PARTNER_CENTER_URL": emulator.url, "REDIS_URL": url}
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
