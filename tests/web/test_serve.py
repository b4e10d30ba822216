"""`graphql-api serve` as a user runs it: a real process, real ports, signals to stop it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.raw_http import one_response
from graphql_api.config import Settings
from graphql_api.web.serving import DEMO_TOKEN, shared_worker_state
from tests.live_server import free_port
from tests.web.conftest import AUTH

CLI = str(Path(sys.executable).parent / "graphql-api")
BROWSER = {"Accept": "text/html"}


@dataclass
class Served:
    base: str
    banner: str
    process: subprocess.Popen[str]
    stderr: Path


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None, tmp: Path) -> Iterator[Served]:
    """Run `graphql-api serve --port <free> *args` until the block ends, then SIGTERM it."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "PARTNER_CENTER_URL"}
    environment.update(env or {})
    stderr = tmp / f"serve-{port}.log"
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [CLI, "serve", "--port", str(port), *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=environment,
        )
    try:
        assert process.stdout is not None
        # The banner ends with its GraphiQL line (web/startup.py).
        banner = ""
        while not banner.splitlines()[-1:] or not banner.splitlines()[-1].startswith("GraphiQL"):
            line = process.stdout.readline()
            assert line, f"serve printed no banner: {stderr.read_text()}"
            banner += line
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        yield Served(base, banner, process, stderr)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _customers(base: str, after: str | None = None) -> dict[str, object]:
    query = "query Page($after: String) { customers(first: 3, after: $after) { "
    query += "nodes { id } pageInfo { hasNextPage endCursor } } }"
    # A fresh connection each time, so that successive pages may land on different workers.
    with httpx.Client() as client:
        response = client.post(
            f"{base}/graphql", json={"query": query, "variables": {"after": after}}, headers=AUTH
        )
    body: dict[str, object] = response.json()
    assert "errors" not in body, body
    return body


def test_serve_without_upstream_runs_the_embedded_emulator_with_graphiql(
    tmp_path: Path,
) -> None:
    with serve(tmp=tmp_path) as served:
        page = httpx.get(f"{served.base}/graphql", headers=BROWSER)
        listed = _customers(served.base)
        ready = httpx.get(f"{served.base}/readyz")
    assert "embedded Partner Center emulator" in served.banner
    assert f"GraphiQL: {served.base}/graphql" in served.banner
    assert page.status_code == 200
    assert DEMO_TOKEN in page.text
    assert listed["data"]["customers"]["nodes"]  # type: ignore[index]
    assert ready.status_code == 200


def test_serve_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    with serve(tmp=tmp_path) as served:
        served.process.send_signal(signal.SIGTERM)
        code = served.process.wait(timeout=30)
    # uvicorn finishes shutting down, then re-raises the signal so supervisors see it.
    assert code in (0, -signal.SIGTERM)
    lines = [json.loads(line) for line in served.stderr.read_text().splitlines()]
    messages = [line["message"] for line in lines]
    assert "Application shutdown complete." in messages


def test_serve_logs_one_json_object_per_line(tmp_path: Path) -> None:
    with serve(tmp=tmp_path) as served:
        response = httpx.post(
            f"{served.base}/graphql", json={"query": "{ __typename }"}, headers=AUTH
        )
    entries = [json.loads(line) for line in served.stderr.read_text().splitlines()]
    requests = [e for e in entries if e["logger"] == "graphql_api.http"]
    assert [e["correlation_id"] for e in requests] == [response.headers["MS-CorrelationId"]]
    assert "test-token" not in served.stderr.read_text()


def test_serve_with_upstream_uses_it_and_opens_graphiql_without_a_token(
    tmp_path: Path, emulator_url: str
) -> None:
    with serve("--upstream", emulator_url, tmp=tmp_path) as served:
        page = httpx.get(f"{served.base}/graphql", headers=BROWSER)
        listed = _customers(served.base)
    assert f"upstream: {emulator_url}" in served.banner
    assert DEMO_TOKEN not in page.text
    assert "paste an access token" in page.text
    assert listed["data"]["customers"]["nodes"]  # type: ignore[index]


def test_serve_with_workers_shares_cursors_and_metrics(tmp_path: Path) -> None:
    with serve("--workers", "2", tmp=tmp_path) as served:
        after: str | None = None
        for _ in range(8):
            page = _customers(served.base, after)["data"]["customers"]  # type: ignore[index]
            after = page["pageInfo"]["endCursor"]
        metrics = httpx.get(f"{served.base}/metrics").text
    assert "2 worker(s)" in served.banner
    served_pages = [
        line
        for line in metrics.splitlines()
        if line.startswith('graphql_requests_total{operation="Page",outcome="ok"}')
    ]
    assert [float(line.rsplit(" ", 1)[1]) for line in served_pages] == [8.0]


def test_workers_get_one_generated_cursor_secret_and_metrics_directory() -> None:
    env: dict[str, str] = {}
    with shared_worker_state(env, workers=2):
        assert len(env["CURSOR_SECRET"]) >= 32
        assert Path(env["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
        made = env["PROMETHEUS_MULTIPROC_DIR"]
    assert not Path(made).exists()


def test_a_configured_cursor_secret_is_kept_for_workers() -> None:
    env = {"CURSOR_SECRET": "configured-secret-of-the-deployment"}
    with shared_worker_state(env, workers=3):
        assert env["CURSOR_SECRET"] == "configured-secret-of-the-deployment"


def test_a_single_worker_needs_no_shared_state() -> None:
    env: dict[str, str] = {}
    with shared_worker_state(env, workers=1):
        assert env == {}


@pytest.mark.parametrize("flag", [["--workers", "0"]])
def test_serve_refuses_bad_flags(flag: list[str]) -> None:
    finished = subprocess.run(
        [CLI, "serve", *flag], capture_output=True, text=True, timeout=30, check=False
    )
    assert finished.returncode == 2
    assert "--workers must be at least 1" in finished.stderr


def _idle_connection_survives(base: str, idle_seconds: float) -> bool:
    """Whether one keep-alive connection still answers after `idle_seconds` of silence."""
    host, port = base.removeprefix("http://").split(":")
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(request)
        # The whole first response, body included: a body left unread would be taken for
        # the second response's first bytes.
        assert one_response(conn).startswith(b"HTTP/1.1 200")
        time.sleep(idle_seconds)
        try:
            conn.sendall(request)
            return one_response(conn).startswith(b"HTTP/1.1 200")
        except OSError:
            return False


def test_idle_caller_connections_stay_open_past_common_client_keep_alives() -> None:
    # httpx and the speed layer's wire keep idle connections 5 s; closing ours at the same
    # moment would race their next request. The default keeps them 75 s; the test below
    # shows that serve keeps a connection exactly as long as the setting says, without
    # idling 75 s here.
    assert Settings.from_env({}).server.keepalive_timeout > 5


def test_http_keepalive_timeout_keeps_idle_caller_connections_until_it_ends(
    tmp_path: Path,
) -> None:
    with serve(env={"HTTP_KEEPALIVE_TIMEOUT": "3"}, tmp=tmp_path) as served:
        assert _idle_connection_survives(served.base, idle_seconds=1)


def test_http_keepalive_timeout_closes_idle_caller_connections(tmp_path: Path) -> None:
    with serve(env={"HTTP_KEEPALIVE_TIMEOUT": "1"}, tmp=tmp_path) as served:
        assert not _idle_connection_survives(served.base, idle_seconds=2.5)
