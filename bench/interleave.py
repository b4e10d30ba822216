"""`python -m bench.interleave TREE_A TREE_B`: scenario 1 at concurrency 1 on two trees at once.

Each tree (a directory holding a checkout's `graphql_api`, as `BENCH_SERVER_PYTHONPATH`
takes) gets its own emulator and façade, all four running together; requests alternate
between the trees, A then B then B then A, and so do the floor requests to each emulator.
This machine's speed drifts by ±20% and more within minutes, so two trees measured one after
the other differ by the drift as much as by their code; interleaved, both see the same
moments. Run it twice with the trees swapped, and once with the same tree twice (the noise).

    python -m bench.interleave /tmp/before /tmp/after
    python -m bench.interleave /tmp/after /tmp/after --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from contextlib import ExitStack

import httpx
import orjson

from bench.processes import BEARER, Server, cpu_seconds, emulator_process, service_process
from bench.scenarios import PAGE_QUERY

_WARM_UP = 300
_BODY = orjson.dumps({"query": PAGE_QUERY, "variables": {"first": 50}})


async def _timed(client: httpx.AsyncClient, emulator: Server, service: Server | None) -> float:
    """Seconds for one scenario-1 request to `service` (or its floor, from `emulator`)."""
    started = time.perf_counter()
    if service is None:
        response = await client.get(f"{emulator.url}/v1/customers?size=50")
    else:
        response = await client.post(
            f"{service.url}/graphql", content=_BODY, headers={"content-type": "application/json"}
        )
    await response.aread()
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code} from {response.url}")
    return time.perf_counter() - started


async def _run(pairs: dict[str, tuple[Server, Server]], requests: int) -> None:
    trees = list(pairs)
    served: dict[str, list[float]] = {tree: [] for tree in trees}
    floor: dict[str, list[float]] = {tree: [] for tree in trees}
    async with httpx.AsyncClient(headers={"authorization": BEARER}, timeout=30) as client:
        for _ in range(_WARM_UP):
            for emulator, service in pairs.values():
                await _timed(client, emulator, service)
                await _timed(client, emulator, None)
        cpu_before = {tree: cpu_seconds(pairs[tree][1].pid) for tree in trees}
        for number in range(requests):
            order = trees if number % 2 == 0 else trees[::-1]
            for tree in order:
                served[tree].append(await _timed(client, *pairs[tree]))
            for tree in order:
                floor[tree].append(await _timed(client, pairs[tree][0], None))
        cpu_after = {tree: cpu_seconds(pairs[tree][1].pid) for tree in trees}
    print(f"{'tree':30s} {'p50 ms':>8s} {'floor p50':>10s} {'added ms':>9s} {'CPU ms':>7s}")
    for tree in trees:
        p50 = statistics.median(served[tree]) * 1000
        floor_p50 = statistics.median(floor[tree]) * 1000
        cpu = (cpu_after[tree] - cpu_before[tree]) / requests * 1000
        print(f"{tree[-30:]:30s} {p50:8.2f} {floor_p50:10.2f} {p50 - floor_p50:+9.2f} {cpu:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, help="two directories holding a graphql_api package")
    parser.add_argument("--requests", type=int, default=3000, help="per tree (default 3000)")
    args = parser.parse_args()
    if args.trees[0] == args.trees[1]:
        args.trees[1] = os.path.join(args.trees[1], "")  # two keys for the same tree
    with ExitStack() as stack:
        pairs: dict[str, tuple[Server, Server]] = {}
        for tree in args.trees:
            os.environ["BENCH_SERVER_PYTHONPATH"] = tree  # read as each server starts
            emulator = stack.enter_context(emulator_process())
            service = stack.enter_context(
                service_process(emulator.url, env={"LOG_LEVEL": "WARNING"})
            )
            pairs[tree] = (emulator, service)
        asyncio.run(_run(pairs, args.requests))


if __name__ == "__main__":
    main()
