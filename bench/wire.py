"""`python -m bench.wire`: CPU per Partner Center call over each wire, the client set aside.

A billing query is 101 upstream calls, so what one call costs the façade's process is most
of what the query costs it. This bench takes the client's layers away and calls a wire's
`get` alone: `--at-once` billing-profile GETs at a time against the emulator (in its own
process, over loopback), `--rounds` times, with the CPU of this process around them from
`time.process_time` (user and system, the kernel's socket work included). Each wire is
measured twice, in turns, in one run, so the ratio between them is the figure to read.

    python -m bench.wire                      # the speed layer's wire and httpx's, 100 at once
    python -m bench.wire --at-once 16         # as many as UPSTREAM_MAX_IN_FLIGHT's default
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import uvloop

from bench.processes import BEARER, emulator_process
from graphql_api.partner_center import (
    BodyLimits,
    Timeouts,
    UpstreamSettings,
    Wire,
    stock_wire,
)
from graphql_api.speed.httptools_wire import HttptoolsWire

_WIRES = ("httptools", "httpx")
# What the client sends on every call, in its order (values of the same lengths).
_HEADERS = (
    ("Accept-Encoding", "gzip, deflate"),
    ("User-Agent", "graphql_api/0 bench"),
    ("Authorization", BEARER),
    ("Accept", "application/json"),
    ("MS-RequestId", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("MS-CorrelationId", "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    ("MS-PartnerCenter-Application", "graphql_api"),
)
_TIMEOUTS = Timeouts(connect=5.0, read=None, pool=5.0)
_LIMITS = BodyLimits(success=16 * 2**20, other=64 * 2**10)


def _wire(name: str, url: str, at_once: int) -> Wire:
    if name == "httptools":
        return HttptoolsWire(max_connections=at_once)
    return stock_wire(UpstreamSettings(base_url=url, max_in_flight=at_once))


async def _cpu_per_call(name: str, url: str, paths: list[str], rounds: int) -> float:
    """Microseconds of this process's CPU per call over the wire `name`."""
    wire = _wire(name, url, len(paths))

    async def one(path: str) -> None:
        response = await wire.get(url + path, _HEADERS, timeouts=_TIMEOUTS, limits=_LIMITS)
        if response.status != 200 or not response.body:
            raise SystemExit(f"{name}: GET {path} answered {response.status}")

    try:
        for _ in range(3):  # connections opened, code warm
            await asyncio.gather(*(one(path) for path in paths))
        started = time.process_time()
        for _ in range(rounds):
            await asyncio.gather(*(one(path) for path in paths))
        spent = time.process_time() - started
    finally:
        await wire.aclose()
    return spent / (rounds * len(paths)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--at-once", type=int, default=100, help="calls in flight (100)")
    parser.add_argument("--calls", type=int, default=3000, help="calls per measurement (3000)")
    args = parser.parse_args()
    rounds = max(1, args.calls // args.at_once)
    with emulator_process() as emulator:
        page = httpx.get(
            f"{emulator.url}/v1/customers",
            params={"size": str(args.at_once)},
            headers={"Authorization": BEARER},
        ).json()
        paths = [f"/v1/customers/{item['id']}/profiles/billing" for item in page["items"]]
        figures: dict[str, list[float]] = {name: [] for name in _WIRES}
        for _ in range(2):
            for name in _WIRES:
                cpu = uvloop.run(_cpu_per_call(name, emulator.url, paths, rounds))
                figures[name].append(cpu)
    print(f"{len(paths)} billing-profile GETs at once, {rounds} rounds per measurement")
    print("| wire | CPU µs per call (two turns) |")
    print("| --- | ---: |")
    for name, values in figures.items():
        print(f"| {name} | {', '.join(f'{value:.0f}' for value in values)} |")
    ratio = sum(figures["httptools"]) / sum(figures["httpx"])
    print(f"\nhttptools / httpx: x{ratio:.2f} CPU per call")


if __name__ == "__main__":
    main()
