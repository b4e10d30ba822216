"""`python -m bench.tracing`: CPU per request of the served façade with tracing off and on.

The emulator and the façade run as processes on loopback (as in `python -m bench`); with
tracing on, the façade exports over OTLP/HTTP to a receiver in this process
(`bench.otlp_receiver`), which decodes each export; its spans are counted (a check that
tracing was really on, and how much it made). The façade's CPU time (user + system, from
/proc, so the exporter's thread is included) over `--count` sequential requests, after
`--warm` ones, gives CPU per request; the modes alternate for `--rounds` rounds and the
medians are printed. Every request sends a sampled `traceparent`, as a router would: off, it
is ignored; on, it is continued.

CPU times move by ±10-20% between runs on a shared machine; for a steadier figure count
instructions instead: `python -m bench.instructions --tracing` (needs valgrind).

    python -m bench.tracing                      # scenario 1's page and a 20-customer billing page
    python -m bench.tracing --rounds 5 --count 400
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from typing import Any

import httpx

from .otlp_receiver import otlp_receiver
from .processes import BEARER, cpu_seconds, emulator_process, service_process
from .scenarios import BILLING_QUERY, PAGE_QUERY

# A sampled caller, as Apollo Router sends it to a subgraph.
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
_EXPORT_DELAY_MS = 1000
QUERIES = {
    "page (first: 50)": (PAGE_QUERY, {"first": 50}),
    "billing (first: 20)": (BILLING_QUERY, {"first": 20}),
}


def tracing_env(endpoint: str, *, export_delay_ms: int | None = None) -> dict[str, str]:
    """The façade's settings for tracing on, exporting to `endpoint`.

    `export_delay_ms` shortens the batch processor's delay (the SDK's default is 5 s, which
    a service in production would keep): a round measured before the process stops must
    see its spans exported, and their CPU spent, within the round.
    """
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
    if export_delay_ms is not None:
        env["OTEL_BSP_SCHEDULE_DELAY"] = str(export_delay_ms)
    return env


def _cpu_ms_per_request(
    upstream: str, env: dict[str, str], query: str, variables: dict[str, Any], warm: int, count: int
) -> float:
    with service_process(upstream, env={"LOG_LEVEL": "WARNING", **env}) as server:
        body = {"query": query, "variables": variables}
        headers = {"Authorization": BEARER, "traceparent": TRACEPARENT}
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            for _ in range(warm):
                _post(client, body, headers)
            before = cpu_seconds(server.pid)
            for _ in range(count):
                _post(client, body, headers)
            # The batch processor exports in its own thread: let it finish this round's spans.
            threading.Event().wait(_EXPORT_DELAY_MS * 2 / 1000)
            return (cpu_seconds(server.pid) - before) * 1000 / count


def _post(client: httpx.Client, body: dict[str, Any], headers: dict[str, str]) -> None:
    answer = client.post("/graphql", json=body, headers=headers)
    if answer.status_code != 200 or "errors" in answer.json():
        raise RuntimeError(f"the façade answered {answer.status_code}: {answer.text[:500]}")


def main(argv: list[str] | None = None) -> int:
    """Print CPU ms per request, tracing off and on, for each query."""
    parser = argparse.ArgumentParser(prog="python -m bench.tracing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", type=int, default=50, help="requests before counting (50)")
    parser.add_argument("--count", type=int, default=300, help="requests counted (300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode (3)")
    args = parser.parse_args(argv)
    with emulator_process(customers=2000) as emulator, otlp_receiver() as (endpoint, received):
        print(f"{'query':<22}{'tracing off':>14}{'tracing on':>14}{'on/off':>9}{'spans/req':>11}")
        for label, (query, variables) in QUERIES.items():
            off: list[float] = []
            on: list[float] = []
            spans = 0
            for _ in range(args.rounds):
                off.append(_cpu_ms_per_request(
                    emulator.url, {}, query, variables, args.warm, args.count))
                before = len(received.spans)
                env = tracing_env(endpoint, export_delay_ms=_EXPORT_DELAY_MS)
                on.append(_cpu_ms_per_request(
                    emulator.url, env, query, variables, args.warm, args.count))
                spans = len(received.spans) - before
            off_ms, on_ms = statistics.median(off), statistics.median(on)
            print(
                f"{label:<22}{off_ms:>11.2f} ms{on_ms:>11.2f} ms{on_ms / off_ms:>8.2f}x"
                f"{spans / (args.warm + args.count):>11.1f}"
            )
    print("CPU per request: the façade process's user + system time, median of the rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
