"""`python -m bench.loaders`: what the DataLoaders save on 100 billing profiles, in calls and time.

The emulator runs as its own process (`python -m graphql_api emulator --latency-ms 50`), so
its work does not share this process's interpreter; the GraphQL side runs here, through the
real schema, request context, loaders and REST client (`schema.execute`), with the garbage
collector tuned as `graphql-api serve` tunes it; that is what is measured. Each figure is
the median (and the best) of `--repeat` runs after a warm-up run.

For each run it prints the upstream calls (counted by the emulator), the wall time, and its
ratio to the critical-path bound: one list call, then ceil(calls / cap) rounds of
concurrent calls, each taking the emulator's latency. The naive baseline is a plain script
that lists the customers and then awaits `client.get_billing_profile` for each, one after
the other: the N+1 pattern without loaders; its bound is one latency per call. The "client
alone" row gathers the same calls straight on the REST client, with no GraphQL: the floor of
this HTTP stack, so what the loaders' row adds to it is the loaders' and GraphQL's own cost.

    python -m bench.loaders                     # latency 50 ms, caps 16 (default), 4, 32
    python -m bench.loaders --caps 16 --repeat 5 --latency-ms 200
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvloop

from graphql_api.config import SchemaSettings, Settings, UpstreamSettings
from graphql_api.partner_center import CallContext, PartnerCenterClient
from graphql_api.schema import create_schema
from graphql_api.schema.context import RequestContext
from graphql_api.web.app import http_extensions
from graphql_api.web.collector import tune_for_serving

TOKEN = "Bearer bench-loaders-token"
CORRELATION_ID = "0b0c0d0e-0f10-4111-8213-141516171819"
CUSTOMERS = 100
BILLING = f"{{ customers(first: {CUSTOMERS}) {{ nodes {{ id billingProfile {{ email }} }} }} }}"
# Billing beside a field only the full record has: one get-by-id per customer serves both.
BILLING_AND_FULL = (
    f"{{ customers(first: {CUSTOMERS}) {{ nodes {{ id allowDelegatedAccess "
    "companyProfile { email } billingProfile { email } } } }"
)
SUMMARY = (
    f"{{ customers(first: {CUSTOMERS}) {{ nodes {{ id companyProfile {{ companyName }} }} }} }}"
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One scenario's outcome: calls per route, wall times, and the bound they are held to."""

    name: str
    cap: int
    calls: dict[str, int]
    # The median run, and the fastest (the least disturbed by other work on the machine).
    seconds: float
    best: float
    bound: float

    @property
    def ratio(self) -> float:
        """Wall time over the critical-path bound."""
        return self.seconds / self.bound if self.bound else math.nan


class Emulator:
    """The emulator process: its URL, and its stats over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url)

    def reset(self) -> None:
        """Zero the emulator's counters."""
        self._http.post("/_emulator/stats/reset").raise_for_status()

    def calls(self) -> dict[str, int]:
        """Calls per route since the last reset (`total` included)."""
        stats: dict[str, Any] = self._http.get("/_emulator/stats").json()
        routes = ("list", "next", "customer", "billing", "company", "total", "max_in_flight")
        return {route: int(stats[route]) for route in routes}

    def close(self) -> None:
        """Close the stats client."""
        self._http.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def emulator_process(latency_ms: float, customers: int) -> Iterator[Emulator]:
    """`python -m graphql_api emulator` on a free loopback port, until the block ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "graphql_api", "emulator", "--host", "127.0.0.1",
        "--port", str(port), "--customers", str(customers), "--latency-ms", str(latency_ms),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    emulator = Emulator(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{emulator.url}/_emulator/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"the emulator did not start: {error}") from None
                time.sleep(0.1)
        yield emulator
    finally:
        emulator.close()
        process.terminate()
        process.wait(timeout=10)


def _settings(url: str, cap: int) -> Settings:
    return Settings(
        upstream=UpstreamSettings(base_url=url, max_in_flight=cap),
        schema=SchemaSettings(cursor_secret=b"bench-loaders-cursor-secret-0123"),
    )


async def _timed(
    emulator: Emulator, repeat: int, run: Callable[[], Awaitable[None]]
) -> tuple[float, float, dict[str, int]]:
    """Median and best wall time of `repeat` runs after a warm-up one; the last run's calls."""
    await run()
    times: list[float] = []
    calls: dict[str, int] = {}
    for _ in range(repeat):
        emulator.reset()
        start = time.perf_counter()
        await run()
        times.append(time.perf_counter() - start)
        calls = emulator.calls()
    return statistics.median(times), min(times), calls


async def graphql_figure(
    emulator: Emulator, *, name: str, query: str, cap: int, latency: float, repeat: int
) -> Figure:
    """`query` through the schema, loaders and client, with an in-flight cap of `cap`."""
    settings = _settings(emulator.url, cap)
    # The schema as the service builds it, parser and validation caches included.
    schema = create_schema(settings, extensions=http_extensions(settings))
    async with PartnerCenterClient(settings.upstream) as client:

        async def run() -> None:
            context = RequestContext(
                client=client,
                settings=settings,
                correlation_id=CORRELATION_ID,
                authorization=TOKEN,
            )
            result = await schema.execute(query, context_value=context)
            if result.errors:
                raise RuntimeError(f"{name}: {result.errors[0].message}")

        seconds, best, calls = await _timed(emulator, repeat, run)
    per_customer = calls["total"] - calls["list"]
    bound = latency * (1 + math.ceil(per_customer / cap))
    return Figure(name, cap, calls, seconds, best, bound)


async def naive_figure(emulator: Emulator, *, latency: float, repeat: int) -> Figure:
    """The list, then each billing profile awaited one after the other (no loaders)."""
    settings = _settings(emulator.url, 1)
    call = CallContext(authorization=TOKEN, correlation_id=CORRELATION_ID)
    async with PartnerCenterClient(settings.upstream) as client:

        async def run() -> None:
            page = await client.list_customers(call, size=CUSTOMERS)
            for customer in page.items:
                await client.get_billing_profile(call, customer.id)

        seconds, best, calls = await _timed(emulator, repeat, run)
    bound = latency * calls["total"]
    return Figure("naive: one call at a time", 1, calls, seconds, best, bound)


async def client_figure(emulator: Emulator, *, cap: int, latency: float, repeat: int) -> Figure:
    """The list, then every billing profile at once under the cap, with no GraphQL or loaders.

    The floor of this HTTP stack: what the loaders' figure adds to it is theirs and GraphQL's.
    """
    settings = _settings(emulator.url, cap)
    call = CallContext(authorization=TOKEN, correlation_id=CORRELATION_ID)
    async with PartnerCenterClient(settings.upstream) as client:

        async def run() -> None:
            page = await client.list_customers(call, size=CUSTOMERS)
            await asyncio.gather(
                *(client.get_billing_profile(call, customer.id) for customer in page.items)
            )

        seconds, best, calls = await _timed(emulator, repeat, run)
    bound = latency * (1 + math.ceil((calls["total"] - calls["list"]) / cap))
    return Figure("client alone, gathered (no GraphQL)", cap, calls, seconds, best, bound)


def _table(figures: list[Figure]) -> str:
    head = (
        f"{'scenario':<44} {'cap':>4} {'list':>5} {'cust':>5} {'bill':>5} {'total':>6} "
        f"{'max-in-flight':>13} {'wall ms':>8} {'best ms':>8} {'bound ms':>9} {'ratio':>6}"
    )
    lines = [head, "-" * len(head)]
    for f in figures:
        c = f.calls
        lines.append(
            f"{f.name:<44} {f.cap:>4} {c['list']:>5} {c['customer']:>5} {c['billing']:>5} "
            f"{c['total']:>6} {c['max_in_flight']:>13} {f.seconds * 1000:>8.0f} "
            f"{f.best * 1000:>8.0f} {f.bound * 1000:>9.0f} {f.ratio:>6.2f}"
        )
    return "\n".join(lines)


async def measure(latency_ms: float, caps: list[int], repeat: int) -> list[Figure]:
    """Every scenario against one emulator with `latency_ms` of added latency."""
    latency = latency_ms / 1000
    figures: list[Figure] = []
    # The collector as `graphql-api serve` sets it: this process plays the service.
    tune_for_serving()
    with emulator_process(latency_ms, customers=500) as emulator:
        for cap in caps:
            figures.append(await graphql_figure(
                emulator, name="loaders: billingProfile", query=BILLING, cap=cap,
                latency=latency, repeat=repeat,
            ))
        default_cap = UpstreamSettings().max_in_flight
        figures.append(
            await client_figure(emulator, cap=default_cap, latency=latency, repeat=repeat)
        )
        figures.append(await graphql_figure(
            emulator, name="loaders: billing + full-record fields", query=BILLING_AND_FULL,
            cap=default_cap, latency=latency, repeat=repeat,
        ))
        figures.append(await graphql_figure(
            emulator, name="loaders: summary fields only", query=SUMMARY, cap=default_cap,
            latency=latency, repeat=repeat,
        ))
        figures.append(await graphql_figure(
            emulator, name="loaders, in-flight cap 1: billingProfile", query=BILLING, cap=1,
            latency=latency, repeat=max(1, repeat // 3),
        ))
        figures.append(await naive_figure(emulator, latency=latency, repeat=max(1, repeat // 3)))
    return figures


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loaders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--caps", default="16,4,32", help="in-flight caps, e.g. 16,4,32")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per scenario")
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop",
        help="event loop of the GraphQL side (uvicorn serves on uvloop when installed)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print the table."""
    args = _parser().parse_args(argv)
    caps = [int(cap) for cap in args.caps.split(",") if cap.strip()]
    run = uvloop.run if args.loop == "uvloop" else asyncio.run
    figures = run(measure(args.latency_ms, caps, args.repeat))
    print(
        f"{CUSTOMERS} customers, emulator latency {args.latency_ms:g} ms per call, "
        f"median of {args.repeat} runs (cap-1 rows: {max(1, args.repeat // 3)}), "
        f"{args.loop} loop, {os.cpu_count()} CPUs"
    )
    print("bound = latency x (1 list call + ceil(per-customer calls / cap)); "
          "naive bound = latency x calls; ratio = median wall / bound")
    print(_table(figures))
    loaders = next(f for f in figures if f.cap == caps[0])
    naive = figures[-1]
    print(
        f"loaders (cap {loaders.cap}) vs naive: {naive.seconds / loaders.seconds:.1f}x faster, "
        f"same {loaders.calls['total']} calls"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Figure", "main", "measure"]
