"""What `@defer` buys a dashboard: time to the first part and to the last, deferred or not.

The page: 100 customers with their billing profiles, 101 Partner Center calls, the emulator
answering each after `--latency-ms` (200 by default, Partner Center's order). Without
`@defer` nothing reaches the caller before the last billing profile; with it, the list comes
as soon as its one call is answered and the profiles follow as their calls complete. Each
query runs `--rounds` times, alternating, against one served façade; the table shows the
median of each, and the upstream calls of a round (the same either way).

The Apollo Server peer (bench/peer/) cannot take part: it runs graphql-js 16, which has no
`@defer` (Apollo Server delivers it only with graphql-js 17 prereleases).

    python -m bench.defer [--rounds 5] [--latency-ms 200] [--customers 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.processes import BEARER, EmulatorControl, emulator_process, service_process

DEFERRED = """
query Dashboard($first: Int!) {
  customers(first: $first) {
    nodes {
      id
      companyProfile { companyName domain }
      ... @defer { billingProfile { firstName lastName email } }
    }
  }
}
"""
PLAIN = DEFERRED.replace("... @defer {", "... {")
MULTIPART = "multipart/mixed;incrementalSpec=v0.2, application/json;q=0.9"
# The end of the first part: the delimiter that opens the second (or closes the body).
_DELIMITER = b"\r\n---"


@dataclass
class Timings:
    """Seconds to the first part and to the last, per round, and the calls of one round."""

    name: str
    first: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    calls: int = 0
    parts: int = 0


def _timed(client: httpx.Client, query: str, accept: str, first: int) -> tuple[float, float, int]:
    """(seconds to the first part, seconds to the end, parts) of one request."""
    started = time.perf_counter()
    first_at: float | None = None
    received = b""
    with client.stream(
        "POST",
        "/graphql",
        json={"query": query, "variables": {"first": first}},
        headers={"Authorization": BEARER, "Accept": accept},
    ) as response:
        response.raise_for_status()
        multipart = response.headers["content-type"].startswith("multipart/")
        for chunk in response.iter_bytes():
            received += chunk
            # A part is whole once the delimiter after it has arrived.
            if first_at is None and (not multipart or received.count(_DELIMITER) >= 2):
                first_at = time.perf_counter()
    ended = time.perf_counter()
    parts = received.count(_DELIMITER) - 1 if multipart else 1
    return (first_at or ended) - started, ended - started, parts


def run(rounds: int, latency_ms: float, customers: int) -> list[Timings]:
    """Both queries `rounds` times each, alternating, against one façade."""
    deferred, plain = Timings("@defer, multipart"), Timings("no @defer")
    with emulator_process(
        customers=max(customers, 200), extra_args=("--latency-ms", str(latency_ms))
    ) as emulator, service_process(emulator.url) as service:
        control = EmulatorControl(emulator.url)
        with httpx.Client(base_url=service.url, timeout=120.0) as client:
            _timed(client, PLAIN, "application/json", customers)  # warm-up
            for _ in range(rounds):
                for timings, query, accept in (
                    (deferred, DEFERRED, MULTIPART),
                    (plain, PLAIN, "application/json"),
                ):
                    control.reset_stats()
                    to_first, to_last, parts = _timed(client, query, accept, customers)
                    timings.first.append(to_first)
                    timings.last.append(to_last)
                    timings.calls = control.calls()
                    timings.parts = parts
        control.close()
    return [deferred, plain]


def table(results: list[Timings]) -> str:
    """The medians, in milliseconds."""
    lines = [f"{'query':<20} {'first part ms':>14} {'last part ms':>13} {'parts':>6} {'calls':>6}"]
    for timings in results:
        lines.append(
            f"{timings.name:<20} {statistics.median(timings.first) * 1000:>14.0f} "
            f"{statistics.median(timings.last) * 1000:>13.0f} {timings.parts:>6} "
            f"{timings.calls:>6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run both queries and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.defer", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--customers", type=int, default=100)
    args = parser.parse_args(argv)
    results = run(args.rounds, args.latency_ms, args.customers)
    print(
        f"a {args.customers}-customer dashboard with billing profiles, emulator at "
        f"{args.latency_ms:g} ms a call, median of {args.rounds} rounds"
    )
    print(table(results))
    print("Apollo Server peer: not run, graphql-js 16 has no @defer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
