"""Load with faults: 64 clients for RELIABILITY_SECONDS (5 s in CI) while the emulator injects
5% 5xx, 2% 429 and slow answers. Every request is answered, never with a 5xx of the service's
own nor INTERNAL_SERVER_ERROR; every failure carries a typed code; the service's memory stays
flat (its RSS, sampled from /proc, compared between the first and last third of the run).
"""

from __future__ import annotations

import statistics

import httpx

from bench.load import Send, run_closed_loop
from bench.processes import BEARER, RssSampler
from tests.reliability.conftest import LOAD_SECONDS, MASKED, TYPED_CODES, Stack
from tests.reliability.tally import Tally

CLIENTS = 64
# A mix of what frontends send: pages with company profiles, billing profiles (one call per
# customer), customers by id (full records), and prefix searches.
OPERATIONS: tuple[tuple[str, dict[str, object]], ...] = (
    (
        "query($after: String) { customers(first: 20, after: $after) { edges { cursor node { id "
        "companyProfile { companyName domain } } } pageInfo { hasNextPage endCursor } } }",
        {},
    ),
    (
        "{ customers(first: 5) { nodes { id billingProfile { email companyName } } } }",
        {},
    ),
    (
        "query($prefix: String!) { customers(search: {field: COMPANY_NAME, "
        "startsWith: $prefix}, first: 10) { nodes { id companyProfile { companyName } } } }",
        {"prefix": "S"},
    ),
)
# Memory may grow by this ratio between the first and the last third of the run; a leak of
# even a few kilobytes per request grows far more over thousands of requests.
RSS_GROWTH_LIMIT = 1.25


def _sender(stack: Stack, customer_ids: list[str]) -> Send:
    headers = {"Authorization": BEARER}
    by_id = (
        "query($id: ID!) { customer(id: $id) { id commerceId allowDelegatedAccess "
        "companyProfile { companyName email } } }"
    )

    async def send(client: httpx.AsyncClient, worker: int, number: int) -> httpx.Response:
        pick = (worker + number) % (len(OPERATIONS) + 1)
        if pick == len(OPERATIONS):
            variables: dict[str, object] = {"id": customer_ids[(worker * 7 + number) % 50]}
            query = by_id
        else:
            query, variables = OPERATIONS[pick]
        return await client.post(
            stack.graphql_url, json={"query": query, "variables": variables}, headers=headers
        )

    return send


async def _customer_ids(stack: Stack) -> list[str]:
    async with httpx.AsyncClient(headers={"Authorization": BEARER}) as http:
        response = await http.post(
            stack.graphql_url, json={"query": "{ customers(first: 50) { nodes { id } } }"}
        )
    return [node["id"] for node in response.json()["data"]["customers"]["nodes"]]


async def test_64_clients_under_injected_faults_get_only_typed_answers_in_flat_memory(
    live: Stack, tally: Tally
) -> None:
    send = _sender(live, await _customer_ids(live))
    live.upstream.configure(
        error_rate=0.05, throttle_rate=0.02, slow_rate=0.05, slow_ms=250.0, retry_after_seconds=1
    )
    # Warm-up at full load first: caches, pools and the allocator settle before sampling.
    await run_closed_loop(send, concurrency=CLIENTS, duration=1.0)
    live.upstream.reset_stats()
    with RssSampler(live.service.pid, interval=0.1) as rss:
        result = await run_closed_loop(send, concurrency=CLIENTS, duration=LOAD_SECONDS)
    stats = live.upstream.stats()

    for sample in result.samples:
        tally.record(sample.status, sample.codes)
    injected = stats["by_status"]
    assert isinstance(injected, dict)
    tally.notes.append(
        f"load: {result.count} requests from {CLIENTS} clients in {result.wall_seconds:.1f} s; "
        f"upstream answers by status {dict(sorted(injected.items()))}; "
        f"service RSS {min(rss.samples) / 2**20:.0f}-{max(rss.samples) / 2**20:.0f} MB"
    )

    assert result.count > CLIENTS
    assert not [s for s in result.samples if s.status is None], "a request got no answer"
    assert {s.status for s in result.samples} == {200}
    codes = result.error_codes()
    assert MASKED not in codes
    assert set(codes) <= TYPED_CODES
    # The faults were really there: the emulator answered 5xx and 429 along the way.
    assert any(status.startswith("5") for status in injected)
    assert "429" in injected

    thirds = len(rss.samples) // 3
    assert thirds >= 3, "too few memory samples"
    first = statistics.median(rss.samples[:thirds])
    last = statistics.median(rss.samples[-thirds:])
    assert last <= first * RSS_GROWTH_LIMIT
