"""A request still running when `graphql-api serve` stops: a JSON 503, and a log line that
says so (a real process, a real SIGTERM, an upstream that never answers)."""

from __future__ import annotations

import json
import signal
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.web.conftest import AUTH
from tests.web.test_serve import serve


@contextmanager
def silent_upstream() -> Iterator[tuple[str, threading.Event]]:
    """A loopback server that reads requests and never answers; the event is set on the first."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    asked = threading.Event()
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)
            connection.settimeout(0.1)
            try:
                while b"\r\n\r\n" not in connection.recv(65536):
                    pass
            except OSError:
                continue
            asked.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", asked
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_request_cut_by_shutdown_gets_a_json_503_and_its_log_line_says_so(
    tmp_path: Path,
) -> None:
    query = "{ customers(first: 1) { nodes { id } } }"
    env = {"SHUTDOWN_TIMEOUT": "1", "GRAPHQL_OPERATION_TIMEOUT": "60"}
    with silent_upstream() as (upstream, asked), ThreadPoolExecutor(1) as pool:
        with serve("--upstream", upstream, env=env, tmp=tmp_path) as served:
            pending = pool.submit(
                httpx.post,
                f"{served.base}/graphql",
                json={"query": query},
                headers=AUTH,
                timeout=30,
            )
            assert asked.wait(10)
            served.process.send_signal(signal.SIGTERM)
            response = pending.result(timeout=30)
            served.process.wait(timeout=30)
        log = served.stderr.read_text()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert [error["extensions"]["code"] for error in body["errors"]] == ["SHUTTING_DOWN"]
    assert "data" not in body
    entries = [json.loads(line) for line in log.splitlines()]
    requests = [e for e in entries if e["logger"] == "graphql_api.http"]
    assert [(e["status"], e["outcome"]) for e in requests] == [(503, "failed")]
    assert requests[0]["error_codes"] == ["SHUTTING_DOWN"]
    assert not [e for e in entries if e["level"] == "ERROR"], log
