"""How far the partner's Partner Center budget stretches: a dashboard refreshed by many people.

`callers` people each refresh a page of `customers` customers with billing profiles every
`interval` seconds (their first refreshes spread over the first interval) for `seconds`,
through 1 or 3 replicas of the service, against the emulator enforcing 500 calls a minute,
with the cache on and off. Every caller signs in as the same partner identity (one bearer
token: a shared dashboard back-end, or `client_credentials`), which is what lets them share
answers; the replicas share the cache and the budget through Redis, one redis-server.

For each run it prints the upstream calls the emulator counted (and per minute), the 429s
it sent, how many answers had all their data, were partial, failed or were stale, and
latency percentiles. Target with the cache on: no 429 from upstream, at least 99% of
answers with data, and calls within the budget.

Run:
    make bench-budget                            # 60 s per run, 4 runs
    python -m bench.budget --seconds 15          # shorter, while developing
    python -m bench.budget --replicas 3 --cache on
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.load import percentile
from bench.processes import BEARER, Server, emulator_process, service_process
from bench.redis_process import redis_process

QUERY = """
query Dashboard($count: Int!) {
  customers(first: $count) {
    nodes { id companyProfile { companyName domain } billingProfile { email } }
  }
}
"""
EMULATOR_BUDGET = 500


@dataclass
class Run:
    """What one configuration came to."""

    replicas: int
    cache: bool
    seconds: float
    latencies: list[float] = field(default_factory=list)
    complete: int = 0
    partial: int = 0
    failed: int = 0
    stale: int = 0
    upstream_calls: int = 0
    upstream_429: int = 0
    redis_errors: int = 0
    budget_refused: int = 0

    @property
    def answers(self) -> int:
        """Answers received."""
        return self.complete + self.partial + self.failed

    @property
    def with_data(self) -> float:
        """Share of answers that carried every field asked for (stale ones included)."""
        return self.complete / self.answers if self.answers else 0.0

    @property
    def calls_per_minute(self) -> float:
        """Upstream calls per minute over the run."""
        return self.upstream_calls / (self.seconds / 60) if self.seconds else 0.0


async def _caller(
    client: httpx.AsyncClient,
    url: str,
    *,
    start: float,
    offset: float,
    interval: float,
    end: float,
    customers: int,
    run: Run,
) -> None:
    next_at = start + offset
    loop = asyncio.get_running_loop()
    while next_at < end:
        await asyncio.sleep(max(0.0, next_at - loop.time()))
        sent = time.perf_counter()
        try:
            response = await client.post(
                f"{url}/graphql",
                json={"query": QUERY, "variables": {"count": customers}},
                headers={"Authorization": BEARER},
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError):
            run.failed += 1
        else:
            run.latencies.append(time.perf_counter() - sent)
            data = (body.get("data") or {}).get("customers")
            if data is None:
                run.failed += 1
            elif body.get("errors"):
                run.partial += 1
            else:
                run.complete += 1
            if (body.get("extensions") or {}).get("cache", {}).get("stale"):
                run.stale += 1
        next_at += interval


async def _drive(urls: list[str], args: argparse.Namespace, run: Run) -> None:
    limits = httpx.Limits(max_connections=args.callers, max_keepalive_connections=args.callers)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + args.seconds
        await asyncio.gather(
            *(
                _caller(
                    client,
                    urls[i % len(urls)],
                    start=start,
                    offset=args.interval * i / args.callers,
                    interval=args.interval,
                    end=end,
                    customers=args.customers,
                    run=run,
                )
                for i in range(args.callers)
            )
        )


@contextmanager
def _services(emulator: Server, replicas: int, cache: bool) -> Iterator[list[Server]]:
    with ExitStack() as stack:
        # The service's defaults for the cache and the budget (service_process turns them off).
        env = {
            "LOG_LEVEL": "WARNING",
            "CACHE_TTL_SECONDS": "30" if cache else "0",
            "UPSTREAM_RATE_PER_MINUTE": "400",
            "UPSTREAM_RATE_BURST": "100",
        }
        if replicas > 1:
            redis = stack.enter_context(redis_process())
            env["REDIS_URL"] = redis.url
        yield [
            stack.enter_context(service_process(emulator.url, env=env)) for _ in range(replicas)
        ]


def run_one(args: argparse.Namespace, replicas: int, cache: bool) -> Run:
    """One configuration against a fresh emulator."""
    run = Run(replicas=replicas, cache=cache, seconds=args.seconds)
    throttle = ("--throttle-per-minute", str(EMULATOR_BUDGET), "--latency-ms", str(args.latency_ms))
    with (
        emulator_process(customers=max(args.customers * 2, 200), extra_args=throttle) as emulator,
        _services(emulator, replicas, cache) as services,
    ):
        before = httpx.get(f"{emulator.url}/_emulator/stats", timeout=5).json()
        asyncio.run(_drive([svc.url for svc in services], args, run))
        after = httpx.get(f"{emulator.url}/_emulator/stats", timeout=5).json()
        for svc in services:
            metrics = httpx.get(f"{svc.url}/metrics", timeout=5).text
            run.redis_errors += int(_metric_sum(metrics, "partner_center_redis_errors_total"))
            run.budget_refused += int(_metric_sum(metrics, "partner_center_budget_refused_total"))
    run.upstream_calls = after["total"] - before["total"]
    run.upstream_429 = after["by_status"].get("429", 0) - before["by_status"].get("429", 0)
    return run


def _metric_sum(text: str, name: str) -> float:
    """The sum of a metric's samples in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith(f"{name[:-6]}_created"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def table(runs: list[Run]) -> str:
    """The runs as a text table."""
    head = (
        f"{'replicas':>8} {'cache':>5} {'upstream':>8} {'/min':>6} {'429s':>5} "
        f"{'answers':>7} {'data':>7} {'partial':>7} {'failed':>6} {'stale':>5} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'refused':>7} {'redis err':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        p50 = percentile(r.latencies, 50) * 1000 if r.latencies else 0.0
        p99 = percentile(r.latencies, 99) * 1000 if r.latencies else 0.0
        lines.append(
            f"{r.replicas:>8} {'on' if r.cache else 'off':>5} {r.upstream_calls:>8} "
            f"{r.calls_per_minute:>6.0f} {r.upstream_429:>5} {r.answers:>7} "
            f"{r.with_data:>7.1%} {r.partial:>7} {r.failed:>6} {r.stale:>5} "
            f"{p50:>7.0f} {p99:>7.0f} {r.budget_refused:>7} {r.redis_errors:>9}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the configurations asked for and print the table; 1 when a cache-on run misses."""
    parser = argparse.ArgumentParser(prog="python -m bench.budget", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between refreshes")
    parser.add_argument("--customers", type=int, default=100, help="customers on the page")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="emulator latency")
    parser.add_argument("--replicas", type=int, action="append", choices=(1, 3))
    parser.add_argument("--cache", action="append", choices=("on", "off"))
    args = parser.parse_args(argv)
    runs: list[Run] = []
    for replicas in args.replicas or [1, 3]:
        for cache in args.cache or ["on", "off"]:
            print(f"running: {replicas} replica(s), cache {cache}, {args.seconds:g} s ...",
                  flush=True)
            runs.append(run_one(args, replicas, cache == "on"))
    print()
    print(f"{args.callers} callers, a {args.customers}-customer page with billing every "
          f"{args.interval:g} s, {args.seconds:g} s per run; emulator allows "
          f"{EMULATOR_BUDGET} calls a minute")
    print(table(runs))
    missed = [
        r for r in runs
        if r.cache and (r.upstream_429 > 0 or r.with_data < 0.99)
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
