"""A request still running when `graphql-api serve` stops: a JSON 503, and a log line that
says so (a real process, a real SIGTERM, an upstream that never answers)."""

from __future__ import annotations

import json
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.faulty_peers import LoopbackPeer
from tests.web.conftest import AUTH
from tests.web.test_serve import serve


class SilentUpstream(LoopbackPeer):
    """Reads requests and never answers, holding each connection open until the block ends;
    `asked` is set on the first call of the customers API (serve's start-up probe of the root
    comes first, before any request of the test's)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.url = f"http://127.0.0.1:{self.port}"

    def serve_connection(self, connection: socket.socket) -> None:
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                head += chunk
        except OSError:
            return
        if head.split(b" ", 2)[1].startswith(b"/v1/"):
            self.asked.set()
        self._stop.wait()


def test_a_request_cut_by_shutdown_gets_a_json_503_and_its_log_line_says_so(
    tmp_path: Path,
) -> None:
    query = "{ customers(first: 1) { nodes { id } } }"
    env = {"SHUTDOWN_TIMEOUT": "1", "GRAPHQL_OPERATION_TIMEOUT": "60"}
    with SilentUpstream() as upstream, ThreadPoolExecutor(1) as pool:
        with serve("--upstream", upstream.url, env=env, tmp=tmp_path) as served:
            pending = pool.submit(
                httpx.post,
                f"{served.base}/graphql",
                json={"query": query},
                headers=AUTH,
                timeout=30,
            )
            assert upstream.asked.wait(10)
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
