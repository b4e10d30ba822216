"""`python -m bench.profile`: where the time of scenario 1 goes, by pyinstrument.

The façade runs in this process (its ASGI app driven through httpx's ASGI transport, its
lifespan opened by hand) so the profiler sees every frame of the GraphQL layer; the
emulator runs in its own process, so its work shows only as time waiting on the socket.

    python -m bench.profile                 # 300 sequential requests, text report
    python -m bench.profile --html out.html # the same as an interactive HTML page
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx
from pyinstrument import Profiler

from bench.processes import BEARER, emulator_process, in_process_settings
from bench.scenarios import PAGE_QUERY
from graphql_api.web.app import create_app


async def _profile(emulator_url: str, requests: int) -> Profiler:
    app = create_app(in_process_settings(emulator_url))
    body = {"query": PAGE_QUERY, "variables": {"first": 50}}
    headers = {"Authorization": BEARER}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://facade"
    ) as facade, httpx.AsyncClient(base_url=emulator_url) as rest:

        async def timed(send: object) -> list[float]:
            assert callable(send)
            times = []
            for _ in range(requests):
                begin = time.perf_counter()
                response = await send()
                times.append(time.perf_counter() - begin)
                response.raise_for_status()
            return times

        async def graphql() -> httpx.Response:
            return await facade.post("/graphql", json=body, headers=headers)

        async def floor() -> httpx.Response:
            return await rest.get("/v1/customers", params={"size": "50"}, headers=headers)

        await timed(graphql)  # warm-up: caches, connections
        floor_times = await timed(floor)
        profiler = Profiler(async_mode="enabled", interval=0.0005)
        profiler.start()
        graphql_times = await timed(graphql)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    floor_p50 = statistics.median(floor_times) * 1000
    graphql_p50 = statistics.median(graphql_times) * 1000
    print(
        f"in-process p50 over {requests} sequential requests (profiler on): "
        f"GraphQL {graphql_p50:.2f} ms, REST floor {floor_p50:.2f} ms, "
        f"added {graphql_p50 - floor_p50:.2f} ms"
    )
    return profiler


def main(argv: list[str] | None = None) -> int:
    """Profile scenario 1 and print the call tree."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", type=Path, default=None)
    args = parser.parse_args(argv)
    with emulator_process(customers=2000) as emulator:
        profiler = asyncio.run(_profile(emulator.url, args.requests))
    if args.html is not None:
        args.html.write_text(profiler.output_html())
        print(f"HTML: {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
