"""`python -m bench.instructions`: CPU instructions the served façade spends per request.

Times move by ±20% from run to run on a shared machine; instruction counts barely move
(within 1%), so a change's effect on the façade's own work shows in one run. The façade
runs under valgrind's cachegrind (no cache simulation) against the emulator, answers
`--warm` then `--warm + --count` requests of scenario 1's query, and the difference of the
two totals over `--count` is its instructions per request, start-up and shutdown cancelled
out. It needs valgrind (Debian: `apt-get install valgrind`); about a minute.

    python -m bench.instructions                  # customers(first: 50), the bench's page
    python -m bench.instructions --first 1
    python -m bench.instructions --query relay    # Relay's CustomerListPaginationQuery
    python -m bench.instructions --query relay --by-id  # the same, by `doc_id` from a manifest
    python -m bench.instructions --query every-field  # every field of a customer: 51 calls
    python -m bench.instructions --query relay+enum   # one field more per edge than relay
                                                  # (relay+id: an alias of id; relay+nested:
                                                  # companyProfile.tenantId)
    python -m bench.instructions --query billing  # 100 billing profiles: 101 upstream calls
                                                  # (cache and budget off, as in bench.peers)
    SPEED_LAYER_OFF=all python -m bench.instructions  # any setting reaches the served façade
    python -m bench.instructions --tracing        # tracing on, exporting to a local OTLP receiver
    BENCH_SERVER_PYTHONPATH=<other checkout> python -m bench.instructions   # before/after

Every request sends a sampled `traceparent`, as a router would: with tracing off the façade
ignores it, with `--tracing` it continues the trace and exports its spans over OTLP/HTTP with
the SDK's default batching (the exporter's thread is in the count; the last batch is sent
when the process stops, which both runs do, so it cancels out like start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.otlp_receiver import otlp_receiver
from bench.processes import (
    BEARER,
    CURSOR_SECRET,
    UNSHARED_ENV,
    EmulatorControl,
    emulator_process,
    free_port,
)
from bench.scenarios import (
    APOLLO_QUERY,
    BILLING_LATENCY_MS,
    BILLING_PAGE,
    BILLING_QUERY,
    EVERY_FIELD_QUERY,
    PAGE_QUERY,
    PERSISTED_DOC_ID,
    RELAY_QUERY,
)
from bench.tracing import TRACEPARENT, tracing_env

# Query name -> (text, variables for a page of `first`).
QUERIES: dict[str, tuple[str, Callable[[int], dict[str, Any]]]] = {
    "page": (PAGE_QUERY, lambda first: {"first": first}),
    "relay": (RELAY_QUERY, lambda first: {"count": first, "cursor": None, "search": None}),
    "apollo": (APOLLO_QUERY, lambda first: {"first": first, "after": None}),
    # bench.peers' billing query: a page, then one billing profile call per customer.
    "billing": (BILLING_QUERY, lambda first: {"first": first}),
    # Every field of Customer, CompanyProfile, BillingProfile and Address, Relay-shaped.
    "every-field": (EVERY_FIELD_QUERY, lambda first: {"count": first, "cursor": None}),
    # Relay's page with one field more per edge: what that field costs is the difference
    # from `relay`, over 50 edges. An alias of `id` is the yardstick.
    "relay+id": (
        RELAY_QUERY.replace("        id\n", "        id\n        sameId: id\n", 1),
        lambda first: {"count": first, "cursor": None, "search": None},
    ),
    "relay+enum": (
        RELAY_QUERY.replace("        id\n", "        id\n        relationshipToPartner\n", 1),
        lambda first: {"count": first, "cursor": None, "search": None},
    ),
    "relay+nested": (
        RELAY_QUERY.replace("          domain\n", "          domain\n          tenantId\n", 1),
        lambda first: {"count": first, "cursor": None, "search": None},
    ),
    # Relay's text without the edge cursors: what the cursors cost is the difference.
    "relay-no-cursors": (
        RELAY_QUERY.replace("      cursor\n", ""),
        lambda first: {"count": first, "cursor": None, "search": None},
    ),
}

_TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")
_START_TIMEOUT_S = 300.0
# Under valgrind a request takes ~50 times longer; the first ones longer still.
_REQUEST_TIMEOUT_S = 600.0


def _served_instructions(
    upstream: str,
    query: str,
    first: int,
    requests: int,
    extra_env: dict[str, str] | None = None,
    *,
    by_id: bool = False,
) -> int:
    """Total instructions of one façade process that started, answered, and stopped.

    `by_id`: the query is a persisted document (a Relay manifest the façade reads at start),
    asked for by its `doc_id`.
    """
    port = free_port()
    env = {**os.environ, "CURSOR_SECRET": CURSOR_SECRET, "LOG_LEVEL": "WARNING"}
    env.update(extra_env or {})
    text, variables = QUERIES[query]
    body: dict[str, Any] = {"query": text, "variables": variables(first)}
    manifest = None
    if by_id:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as manifest:
            json.dump({PERSISTED_DOC_ID: text}, manifest)
        env["GRAPHQL_PERSISTED_DOCUMENTS"] = manifest.name
        body = {"doc_id": PERSISTED_DOC_ID, "variables": variables(first)}
    # Same hash seeds in both runs, so that dictionaries grow the same way.
    env["PYTHONHASHSEED"] = "0"
    server_path = os.environ.get("BENCH_SERVER_PYTHONPATH")
    if server_path:
        env["PYTHONPATH"] = server_path
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, "-m", "graphql_api", "serve", "--upstream", upstream,
        "--host", "127.0.0.1", "--port", str(port),
    ]
    process = subprocess.Popen(
        command, env=env, cwd=tempfile.gettempdir() if server_path else None,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=_REQUEST_TIMEOUT_S) as client:
            _wait_healthy(client)
            for _ in range(requests):
                answer = client.post(
                    "/graphql",
                    json=body,
                    headers={"Authorization": BEARER, "traceparent": TRACEPARENT},
                )
                if answer.status_code != 200 or "errors" in answer.json():
                    raise RuntimeError(f"the façade answered {answer.status_code}: {answer.text}")
    finally:
        process.send_signal(signal.SIGINT)
        _, report = process.communicate(timeout=_START_TIMEOUT_S)
        if manifest is not None:
            os.unlink(manifest.name)
    match = _TOTAL.search(report)
    if match is None:
        raise RuntimeError("valgrind printed no instruction total")
    return int(match.group(1).replace(",", ""))


def _wait_healthy(client: httpx.Client) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the façade did not start under valgrind")


def main(argv: list[str] | None = None) -> int:
    """Print the façade's instructions per request; 2 when valgrind is missing."""
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", type=int, default=None,
                        help=f"customers per page (50; {BILLING_PAGE} for billing)")
    parser.add_argument("--query", choices=sorted(QUERIES), default="page",
                        help="which client's query (page: scenario 1's)")
    parser.add_argument("--warm", type=int, default=10, help="requests before counting (10)")
    parser.add_argument("--count", type=int, default=50, help="requests counted (50)")
    parser.add_argument("--by-id", action="store_true",
                        help="send the query by doc_id, from a manifest read at start")
    parser.add_argument("--tracing", action="store_true",
                        help="tracing on (OTLP/HTTP to a receiver in this process)")
    args = parser.parse_args(argv)
    if args.first is None:
        args.first = BILLING_PAGE if args.query == "billing" else 50
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    with emulator_process(customers=2000) as emulator, otlp_receiver() as (endpoint, received):
        env = tracing_env(endpoint) if args.tracing else {}
        if args.query == "billing":
            # As bench.peers runs it: the cache and the call budget off, so that every
            # request makes its 101 calls (with the cache on, repeats are answered from it),
            # and the upstream latency it gives this query, so that the calls of a request
            # overlap and wait as they do there.
            env = {**UNSHARED_ENV, **env}
            control = EmulatorControl(emulator.url)
            control.configure(latency_ms=BILLING_LATENCY_MS)
            control.close()
        base = _served_instructions(
            emulator.url, args.query, args.first, args.warm, env, by_id=args.by_id
        )
        total = _served_instructions(
            emulator.url, args.query, args.first, args.warm + args.count, env, by_id=args.by_id
        )
    tree = os.environ.get("BENCH_SERVER_PYTHONPATH", "this checkout")
    spans = len(received.spans)
    tracing = f"tracing on ({spans} spans exported by both runs)" if args.tracing else "tracing off"
    print(
        f"{args.query} query{' by id' if args.by_id else ''}, customers(first: {args.first}), "
        f"façade from {tree}, {tracing}: "
        f"{(total - base) / args.count:,.0f} instructions per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
