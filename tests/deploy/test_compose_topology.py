"""The compose stack's topology as local processes, with the compose file's own environment.

Two `graphql-api serve` processes, a real redis-server, the emulator as Partner Center and an
OTLP receiver standing in for the collector. Each replica gets exactly the environment
`docker-compose config` resolves for it, with only the compose service names (`redis:6379`,
`emulator:8081`, `otel-collector:4318`) replaced by the local processes' addresses. That
proves the settings the compose file carries work: both replicas answer, a cursor signed by
one is read by the other, the cache and the call budget live in the shared Redis, and spans
reach the collector's endpoint.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from bench.otlp_receiver import Received, otlp_receiver
from bench.processes import EmulatorControl, Server, emulator_process, service_process
from tests.deploy.kit import compose_services
from tests.redis_server import redis_server

CURSOR_SECRET = "topology-test-cursor-secret-0123456789"
REPLICAS = ("graphql-api-1", "graphql-api-2")
AUTH = {"Authorization": "Bearer topology"}
PAGE = """query Page($after: String) {
  customers(first: 4, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } }
}"""
_SERVICE_ADDRESS = re.compile(r"//([a-z0-9][a-z0-9-]*):(\d+)")


@dataclass
class Topology:
    replicas: list[Server]
    emulator: EmulatorControl
    redis_url: str
    received: Received
    service_name: str
    stack: ExitStack


def _localised(
    env: Mapping[str, str], addresses: Mapping[str, str], services: set[str]
) -> dict[str, str]:
    """`env` with each `//service:port` of the compose network replaced by a local address."""

    def local(match: re.Match[str]) -> str:
        service_port = f"{match.group(1)}:{match.group(2)}"
        if service_port in addresses:
            return "//" + addresses[service_port]
        assert match.group(1) not in services, f"no local process stands in for {service_port}"
        return match.group(0)

    return {name: _SERVICE_ADDRESS.sub(local, value) for name, value in env.items()}


def _hostport(url: str) -> str:
    return url.split("//", 1)[1].split("/", 1)[0]


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    services = compose_services({"CURSOR_SECRET": CURSOR_SECRET})
    with ExitStack() as stack:
        redis_process = stack.enter_context(redis_server())
        emulator = stack.enter_context(emulator_process(customers=40, seed=7))
        receiver_url, received = stack.enter_context(otlp_receiver())
        addresses = {
            "redis:6379": f"127.0.0.1:{redis_process.port}",
            "emulator:8081": _hostport(emulator.url),
            "otel-collector:4318": _hostport(receiver_url),
        }
        replicas = []
        for name in REPLICAS:
            env = _localised(services[name]["environment"], addresses, set(services))
            replicas.append(
                stack.enter_context(service_process(env["PARTNER_CENTER_URL"], env=env))
            )
        control = EmulatorControl(emulator.url)
        stack.callback(control.close)
        yield Topology(
            replicas,
            control,
            redis_process.url,
            received,
            services[REPLICAS[0]]["environment"]["OTEL_SERVICE_NAME"],
            stack,
        )


def _page(replica: Server, after: str | None = None, **headers: str) -> dict[str, Any]:
    response = httpx.post(
        f"{replica.url}/graphql",
        json={"query": PAGE, "variables": {"after": after}},
        headers={**AUTH, **headers},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["customers"]
    return page


def _samples(replica: Server, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = httpx.get(f"{replica.url}/metrics", timeout=10).text
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def test_both_replicas_answer_and_are_ready(topology: Topology) -> None:
    for replica in topology.replicas:
        assert httpx.get(f"{replica.url}/readyz", timeout=10).status_code == 200
        assert len(_page(replica)["nodes"]) == 4


def test_a_cursor_from_one_replica_pages_on_the_other(topology: Topology) -> None:
    first, second = topology.replicas
    page_one = _page(first)
    page_two = _page(second, page_one["pageInfo"]["endCursor"])
    ids_one = [node["id"] for node in page_one["nodes"]]
    ids_two = [node["id"] for node in page_two["nodes"]]
    assert len(ids_two) == 4
    assert not set(ids_one) & set(ids_two)
    # The same walk on one replica gives the same second page.
    assert [node["id"] for node in _page(first, page_one["pageInfo"]["endCursor"])["nodes"]] == (
        ids_two
    )


def test_an_answer_cached_by_one_replica_serves_the_other(topology: Topology) -> None:
    first, second = topology.replicas
    query = "{ customers(first: 7) { nodes { id companyProfile { companyName } } } }"
    topology.emulator.reset_stats()
    answers = [
        httpx.post(f"{replica.url}/graphql", json={"query": query}, headers=AUTH, timeout=30)
        for replica in (first, second)
    ]
    assert answers[0].json() == answers[1].json()
    assert "errors" not in answers[0].json()
    # One upstream call for both: the second replica read the first one's answer from Redis.
    assert topology.emulator.calls() == 1
    hits = _samples(second, "partner_center_cache_lookups_total")
    assert hits[(("outcome", "hit"), ("route", "/v1/customers"))] >= 1


def test_the_cache_and_the_call_budget_live_in_the_shared_redis(topology: Topology) -> None:
    _page(topology.replicas[0])
    client = redis.Redis.from_url(topology.redis_url)
    try:
        keys = [key.decode() for key in client.scan_iter("graphql_api:*")]
    finally:
        client.close()
    assert any(key.endswith(":bucket") for key in keys), keys
    assert any(not key.endswith((":bucket", ":pause")) and ":lock:" not in key for key in keys)
    for replica in topology.replicas:
        assert _samples(replica, "partner_center_redis_errors_total") == {}


def test_spans_of_both_replicas_reach_the_collectors_endpoint(topology: Topology) -> None:
    trace_ids = ["0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"]
    for replica, trace_id in zip(topology.replicas, trace_ids, strict=True):
        _page(replica, traceparent=f"00-{trace_id}-b7ad6b7169203331-01")
    # The replicas export in batches; stopping them flushes what is left.
    topology.stack.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = {span.trace_id.hex() for span in topology.received.spans}
        if set(trace_ids) <= seen:
            break
        time.sleep(0.1)
    assert set(trace_ids) <= {span.trace_id.hex() for span in topology.received.spans}
    names = {resource.get("service.name") for resource in topology.received.resources}
    assert names == {topology.service_name}
