"""`graphql-api serve` before it is ready: the port, the URLs, Redis, the banner, the shutdown.

Real processes, as a user starts them; each refused start is one line on stderr, at once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.faulty_peers import RedisImpostor
from graphql_api.web.startup import probe_redis
from tests.live_server import free_port
from tests.redis_server import redis_server
from tests.web.conftest import AUTH
from tests.web.test_serve import CLI, serve

PAGE = "query Page($after: String) { customers(first: 2, after: $after) { "
PAGE += "pageInfo { endCursor } } }"


def _refused(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**_clean_env(), **(env or {})},
    )


def _clean_env() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("PARTNER_CENTER_URL", "REDIS_URL") and not name.startswith("OTEL_")
    }


def _closed_port() -> int:
    # free_port() hands out a port nothing listens on.
    return free_port()


def test_a_port_in_use_is_one_clear_line_and_no_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = _refused("--port", str(port))
    assert finished.returncode == 3
    assert finished.stdout == ""
    (line,) = finished.stderr.splitlines()
    assert line == (
        f"graphql-api serve: 127.0.0.1:{port} is already in use (another graphql-api, or "
        "another program, listens there): stop it, or choose another port with --port"
    )


def test_a_host_that_is_not_this_machines_is_refused_naming_host() -> None:
    finished = _refused("--host", "192.0.2.1", "--port", "0")
    assert finished.returncode == 3
    (line,) = finished.stderr.splitlines()
    assert "192.0.2.1 is not an address of this machine" in line
    assert "--host" in line


@pytest.mark.parametrize("url", ["not-a-url", "ftp://partner.example", "https://:443"])
def test_a_malformed_upstream_url_is_refused_at_start(url: str) -> None:
    finished = _refused("--upstream", url, "--port", "0")
    assert finished.returncode == 2
    assert finished.stdout == ""
    (line,) = finished.stderr.splitlines()
    assert line.startswith("graphql-api serve: PARTNER_CENTER_URL: must be an http(s) URL")


def test_a_malformed_otlp_endpoint_is_refused_at_start() -> None:
    finished = _refused(
        "--port", "0", env={"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}
    )
    assert finished.returncode == 2
    (line,) = finished.stderr.splitlines()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL" in line


def _warnings(stderr: Path) -> list[str]:
    entries = [json.loads(line) for line in stderr.read_text().splitlines()]
    return [e["message"] for e in entries if e["logger"] == "graphql_api.startup"]


def test_an_unreachable_redis_and_upstream_are_warned_of_at_once(tmp_path: Path) -> None:
    redis_port, upstream_port = _closed_port(), _closed_port()
    password = "redis-password-never-shown"
    env = {"REDIS_URL": f"redis://:{password}@127.0.0.1:{redis_port}/0"}
    upstream = f"http://127.0.0.1:{upstream_port}"
    with serve("--upstream", upstream, env=env, tmp=tmp_path) as served:
        # Warned before any request was made.
        warnings = _warnings(served.stderr)
        health = httpx.get(f"{served.base}/healthz")
    assert health.status_code == 200
    assert len(warnings) == 2
    assert warnings[0].startswith(f"Partner Center at {upstream} could not be reached (")
    assert warnings[1].startswith(f"Redis at redis://127.0.0.1:{redis_port}/0 did not answer (")
    assert f"redis: redis://127.0.0.1:{redis_port}/0 (not answering" in served.banner
    assert password not in served.banner
    assert password not in served.stderr.read_text()


def test_the_banner_says_upstream_auth_cache_redis_and_tracing(tmp_path: Path) -> None:
    collector = f"http://127.0.0.1:{_closed_port()}"
    with redis_server() as redis, serve(
        env={
            "REDIS_URL": redis.url,
            "CACHE_TTL_SECONDS": "12",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
        },
        tmp=tmp_path,
    ) as served:
        warnings = _warnings(served.stderr)
    lines = [line.strip() for line in served.banner.splitlines()]
    assert lines[0] == f"graphql-api serving {served.base}/graphql with 1 worker(s)"
    assert lines[1].startswith("upstream: the embedded Partner Center emulator at http://")
    assert lines[2].startswith("auth: passthrough (each caller's bearer token goes to Partner")
    assert lines[3] == "cache: 12 s per caller's credentials, shared through Redis"
    assert lines[4] == f"redis: {redis.url} (answering)"
    assert lines[5] == f"tracing: OTLP/HTTP to {collector}"
    assert lines[6] == f"GraphiQL: {served.base}/graphql (open it in a browser)"
    assert warnings == []


def test_the_banner_without_redis_cache_or_tracing_says_so(tmp_path: Path) -> None:
    with serve(env={"CACHE_TTL_SECONDS": "0"}, tmp=tmp_path) as served:
        pass
    assert "cache: off (CACHE_TTL_SECONDS=0)" in served.banner
    assert "redis: off (cache and call budget in each process; REDIS_URL unset)" in served.banner
    assert "tracing: off" in served.banner


def test_shutdown_is_logged_once(tmp_path: Path) -> None:
    with serve(tmp=tmp_path) as served:
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=30)
    messages = [json.loads(line)["message"] for line in served.stderr.read_text().splitlines()]
    finished = [m for m in messages if m.startswith("Finished server process")]
    assert finished == [f"Finished server process [{served.process.pid}]"]
    assert messages.count("Shutting down") == 1


def test_a_cursor_from_before_a_restart_without_cursor_secret_names_it(tmp_path: Path) -> None:
    def page(base: str, after: str | None) -> Any:
        response = httpx.post(
            f"{base}/graphql", json={"query": PAGE, "variables": {"after": after}}, headers=AUTH
        )
        return response.json()

    with serve(tmp=tmp_path) as first:
        cursor = page(first.base, None)["data"]["customers"]["pageInfo"]["endCursor"]
    with serve(tmp=tmp_path) as restarted:
        refused = page(restarted.base, cursor)
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "CURSOR_SECRET" in error["message"]
    assert "restart" in error["message"]


@pytest.mark.parametrize("reply", [b"+OK\r\n", b":1\r\n"], ids=["ok", "one"])
def test_a_redis_that_answers_wrongly_is_a_startup_warning_not_a_crash(reply: bytes) -> None:
    # redis-py's handshake raises AttributeError on `+OK`: the start-up probe names the
    # failure as it does a dead Redis's, and the service starts (falling back at run time).
    with RedisImpostor(reply) as impostor:
        problem = probe_redis(impostor.url)
    assert problem is not None
    assert "127.0.0.1" not in problem  # the class of the failure, nothing of the URL
