"""REDIS_URL: the cache and the partner's call budget shared through a real redis-server.

Redis is Debian's redis-server, started by the test on a free loopback port; the emulator
counts what reached it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from bench.processes import BEARER, emulator_process, service_process
from tests.clocks import MovedClocks
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service
from tests.redis_server import RedisServer, redis_server

PAGE = (
    "{ customers(first: 5) { nodes { id companyProfile { companyName } "
    "billingProfile { email } } } }"
)
PAGE_CALLS = 6
DASHBOARD = (
    "{ customers(first: 100) { nodes { id companyProfile { companyName } "
    "billingProfile { email } } } }"
)
AUTH = {"Authorization": "Bearer redis-tests"}


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=120, seed=12)


@pytest.fixture
def emulator(module_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(module_emulator)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@contextmanager
def service(emulator: LiveEmulator, redis: RedisServer, **env: str) -> Iterator[httpx.Client]:
    env = {"PARTNER_CENTER_URL": emulator.url, "REDIS_URL": redis.url, **env}
    with live_service(env) as client:
        yield client


def post(client: httpx.Client, query: str, headers: dict[str, str] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query}, headers={**AUTH, **(headers or {})})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_replica_serves_what_another_replica_fetched(
    emulator: LiveEmulator, redis: RedisServer
) -> None:
    with service(emulator, redis) as first, service(emulator, redis) as second:
        fetched = post(first, PAGE)
        served = post(second, PAGE)
    assert served == fetched
    assert emulator.calls() == PAGE_CALLS
    assert redis.keys("graphql_api:*")


def test_a_cold_page_asked_of_two_replicas_at_once_costs_one_call_per_answer(
    emulator: LiveEmulator, redis: RedisServer
) -> None:
    """20 callers, 10 per replica, ask one 100-customer page with billing at the same moment.

    101 calls serve all of them; every extra one is a call the replicas failed to share.
    """
    emulator.state.configure(latency_ms=20, throttle_per_minute=300)
    budget = {"UPSTREAM_RATE_PER_MINUTE": "300", "UPSTREAM_RATE_BURST": "100"}
    with service(emulator, redis, **budget) as a, service(emulator, redis, **budget) as b:
        urls = [str(a.base_url).rstrip("/"), str(b.base_url).rstrip("/")]

        async def ask_all() -> list[Any]:
            async with httpx.AsyncClient(timeout=60) as client:
                responses = await asyncio.gather(
                    *(
                        client.post(
                            f"{urls[i % 2]}/graphql", json={"query": DASHBOARD}, headers=AUTH
                        )
                        for i in range(20)
                    )
                )
            return [response.json() for response in responses]

        answers = asyncio.run(ask_all())
    assert [a.get("errors") for a in answers] == [None] * 20
    assert all(len(a["data"]["customers"]["nodes"]) == 100 for a in answers)
    assert emulator.calls() == 101


def test_callers_shares_of_the_bucket_are_kept_in_redis(
    emulator: LiveEmulator, redis: RedisServer
) -> None:
    """Every replica draws a caller's calls from one share: the bucket script keeps it."""
    with service(emulator, redis, UPSTREAM_RATE_PER_MINUTE="400") as first, service(
        emulator, redis, UPSTREAM_RATE_PER_MINUTE="400"
    ) as second:
        post(first, PAGE)
        post(second, PAGE, {"Cache-Control": "no-cache"})
        metrics = first.get("/metrics").text + second.get("/metrics").text
    shares = redis.keys("graphql_api:*:share:*")
    # The unaccepted token's probe, then the caller's own share once it was accepted.
    assert len(shares) == 2
    assert "partner_center_redis_errors_total{" not in metrics
    assert emulator.calls() == 2 * PAGE_CALLS


def test_redis_going_away_mid_load_degrades_to_in_process_state(
    emulator: LiveEmulator, redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    statuses: list[int] = []
    with_data: list[bool] = []
    stop = threading.Event()
    moved = MovedClocks()
    env = {"PARTNER_CENTER_URL": emulator.url, "REDIS_URL": redis.url, "CACHE_TTL_SECONDS": "0.05"}
    with live_service(env, clocks=moved.clocks) as client:

        def load() -> None:
            while not stop.is_set():
                response = client.post("/graphql", json={"query": PAGE}, headers=AUTH)
                statuses.append(response.status_code)
                with_data.append(bool((response.json().get("data") or {}).get("customers")))

        workers = [threading.Thread(target=load) for _ in range(3)]
        for worker in workers:
            worker.start()
        _wait_for(lambda: len(statuses) >= 10)
        redis.stop()
        during = len(statuses)
        _wait_for(lambda: len(statuses) >= during + 20)
        redis.start()
        moved.advance(1.0)  # past the pause after a failure (1 s): Redis is tried at once
        keys_after_restart = _wait_for(lambda: redis.keys("graphql_api:*"))
        stop.set()
        for worker in workers:
            worker.join()
        metrics = client.get("/metrics").text
    assert set(statuses) == {200}
    assert all(with_data)
    assert keys_after_restart
    assert "partner_center_redis_errors_total" in metrics
    assert any("Redis failed" in record.getMessage() for record in caplog.records)


def test_three_processes_sharing_redis_stay_within_the_partners_budget() -> None:
    """Three services, one Redis, one emulator allowing 500 calls a minute: no 429s.

    Each service is asked, three times over and all at once, for a 100-customer page with
    billing, bypassing the cache: 909 calls of demand, against a shared bucket of 400 a
    minute plus 100 at once (the defaults, which `service_process` turns off unless asked).
    """
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server())
        emulator = stack.enter_context(
            emulator_process(customers=150, seed=4, extra_args=("--throttle-per-minute", "500"))
        )
        env = {
            "REDIS_URL": redis.url,
            "UPSTREAM_RATE_PER_MINUTE": "400",
            "UPSTREAM_RATE_BURST": "100",
            "UPSTREAM_RATE_MAX_WAIT": "0.5",
            "LOG_LEVEL": "WARNING",
        }
        services = [stack.enter_context(service_process(emulator.url, env=env)) for _ in range(3)]
        answers: list[Any] = []

        def refresh(url: str) -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                response = client.post(
                    "/graphql",
                    json={"query": DASHBOARD},
                    headers={"Authorization": BEARER, "Cache-Control": "no-cache"},
                )
                answers.append(response.json())

        threads = [
            threading.Thread(target=refresh, args=(svc.url,)) for svc in services for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats = httpx.get(f"{emulator.url}/_emulator/stats").json()
    assert len(answers) == 9
    assert "429" not in stats["by_status"]
    assert stats["total"] <= 500
    # The demand did outrun the budget: some answers were refused or partly throttled.
    codes = {e["extensions"]["code"] for a in answers for e in a.get("errors", ())}
    assert "THROTTLED" in codes


def _wait_for(condition: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
