"""`python -m bench.idle`: what a request costs right after the process has been idle.

The façade's app is called in this process as plain ASGI (no client library, no socket on
the way in; the emulator, in its own process, over loopback on the way out), one request at
a time, and the CPU time of each request is taken from `time.process_time`. Run back to
back, requests find the machine's caches warm; with a pause between them (`--gap`, what a
served façade does at concurrency 1 while it waits for the next request and for the
upstream), each starts cold. The difference is the price of idling on this machine, and it
is paid by every request of the bench's concurrency-1 cells.

    python -m bench.idle                     # scenario 1's query, first 1 and 50, gap 0 and 5 ms
    python -m bench.idle --gap-ms 2 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import orjson
import uvloop

from bench.processes import BEARER, emulator_process, in_process_settings
from bench.scenarios import PAGE_QUERY
from graphql_api.web.app import create_app
from graphql_api.web.collector import tune_for_serving

_WARM_UP = 100


async def _call(app: Any, body: bytes) -> int:
    """One POST /graphql through the ASGI app; its HTTP status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"authorization", BEARER.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    delivered = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is written
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return int(status)


async def _cpu_per_request(app: Any, first: int, gap_s: float, requests: int) -> float:
    """Median CPU seconds of one request, each after `gap_s` of sleep."""
    body = orjson.dumps({"query": PAGE_QUERY, "variables": {"first": first}})
    for _ in range(_WARM_UP):
        await _call(app, body)
    costs: list[float] = []
    for _ in range(requests):
        if gap_s:
            await asyncio.sleep(gap_s)  # nothing else to run: the process idles in the loop
        began = time.process_time()
        status = await _call(app, body)
        costs.append(time.process_time() - began)
        if status != 200:
            raise RuntimeError(f"the façade answered {status}")
    costs.sort()
    return costs[len(costs) // 2]


async def _measure(upstream: str, firsts: list[int], gaps_ms: list[float], requests: int) -> None:
    app = create_app(in_process_settings(upstream))
    tune_for_serving()  # as each `serve` worker does (app_from_env)
    async with app.router.lifespan_context(app):
        print(f"{'first':>5} {'gap ms':>7} {'CPU ms per request (median)':>28}")
        for first in firsts:
            for gap_ms in gaps_ms:
                cpu = await _cpu_per_request(app, first, gap_ms / 1000, requests)
                print(f"{first:>5} {gap_ms:>7g} {cpu * 1000:>28.3f}")


def main(argv: list[str] | None = None) -> int:
    """Measure and print CPU per request with and without idle gaps."""
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    parser.add_argument("--first", default="1,50", help="page sizes, comma-separated")
    parser.add_argument("--gap-ms", default="0,5", help="idle gaps, comma-separated")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    firsts = [int(part) for part in args.first.split(",")]
    gaps = [float(part) for part in args.gap_ms.split(",")]
    with emulator_process(customers=2000) as emulator:
        # The event loop `graphql-api serve` runs on (uvicorn picks uvloop up).
        uvloop.run(_measure(emulator.url, firsts, gaps, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
