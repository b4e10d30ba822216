"""`graphql-api emulator`: build an `EmulatorConfig` from the command's flags and serve it."""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

import uvicorn

from graphql_api.emulator.app import create_emulator_app
from graphql_api.emulator.config import EmulatorConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's flags beyond host, port, customers, seed and latency."""
    parser.add_argument("--throttle-per-minute", type=int, default=0, metavar="N",
                        help="calls per token per minute before 429 (0: unlimited; "
                             "Partner Center allows 500)")
    parser.add_argument("--retry-after", type=int, default=1, metavar="SECONDS",
                        help="Retry-After of injected 429/503 answers")
    parser.add_argument("--error-rate", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of customer calls answered with an injected 5xx")
    parser.add_argument("--throttle-rate", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of customer calls answered with an injected 429")
    parser.add_argument("--misbehave-rate", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of customer calls answered by a misbehaving upstream "
                             "(truncated JSON, HTML pages, wrong shape, dropped connection)")
    parser.add_argument("--misbehave-kind", action="append", default=[], metavar="KIND",
                        help="fault kind --misbehave-rate picks from (repeatable; e.g. "
                             "huge_response)")
    parser.add_argument("--slow-rate", type=float, default=0.0, metavar="FRACTION",
                        help="fraction of customer calls held back --slow-ms more")
    parser.add_argument("--slow-ms", type=float, default=0.0, metavar="MS",
                        help="extra delay of the slow calls")
    parser.add_argument("--hang-path", action="append", default=[], metavar="PREFIX",
                        help="path prefix that never answers (repeatable)")
    parser.add_argument("--customer-fault", action="append", default=[], metavar="ID=STATUS",
                        help="make one customer's routes fail, e.g. <guid>=403 or "
                             "<guid>/profiles/billing=429 (repeatable)")
    parser.add_argument("--token-ttl", type=float, default=900.0, metavar="SECONDS",
                        help="continuation token lifetime (0: never expire)")
    parser.add_argument("--no-bom", action="store_true",
                        help="do not start JSON bodies with a UTF-8 byte-order mark")
    parser.add_argument("--next-link-style", choices=("v1", "legacy"), default="v1",
                        help="links as /v1/customers?... (v1) or /customers?... (legacy)")
    parser.add_argument("--end-with-seek-error", action="store_true",
                        help="a full last page carries a token; the next seek is 400/2000")


def _customer_faults(items: list[str]) -> dict[str, int | str]:
    faults: dict[str, int | str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"--customer-fault wants ID=STATUS or ID=KIND, got {item!r}")
        faults[key] = int(value) if value.isdigit() else value
    return faults


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The configuration the flags describe (validated when the app is built)."""
    optional: dict[str, Any] = {}
    if args.misbehave_kind:
        optional["misbehave_kinds"] = tuple(args.misbehave_kind)
    return EmulatorConfig(
        **optional,
        customers=args.customers,
        seed=args.seed,
        latency_ms=args.latency_ms,
        throttle_per_minute=args.throttle_per_minute,
        retry_after_seconds=args.retry_after,
        error_rate=args.error_rate,
        throttle_rate=args.throttle_rate,
        misbehave_rate=args.misbehave_rate,
        slow_rate=args.slow_rate,
        slow_ms=args.slow_ms,
        hang_paths=tuple(args.hang_path),
        customer_faults=_customer_faults(args.customer_fault),
        token_ttl_seconds=args.token_ttl,
        bom=not args.no_bom,
        next_link_style=args.next_link_style,
        end_with_seek_error=args.end_with_seek_error,
    )


# Seconds an idle client connection stays open.
KEEPALIVE_SECONDS = 75
# Container allocations between two young-generation collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


def tune_collector() -> None:
    """Freeze what start-up built (the dataset) and collect the young generation less often.

    The service does the same for its workers (web/collector.py); the emulator keeps its own
    copy of these few lines because it shares no code with the service it stands in for.
    A page of customers allocates thousands of containers, and the default threshold would
    walk the whole dataset every tenth collection.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def main(args: argparse.Namespace) -> int:
    """Serve the emulator until interrupted; 2 on a bad flag."""
    try:
        app = create_emulator_app(config_from_args(args))
    except ValueError as exc:
        print(f"graphql-api emulator: {exc}", file=sys.stderr)
        return 2
    base = f"http://{args.host}:{args.port}"
    print(f"Partner Center emulator at {base}/v1/customers "
          f"({args.customers} customers, seed {args.seed}); stats at {base}/_emulator/stats",
          flush=True)
    tune_collector()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        http="httptools",
        # Longer than a client's keep-alive (httpx and our client keep idle connections 5 s),
        # so the client closes idle connections first: closing them ourselves at the same
        # moment would race its next request, which would then meet a reset.
        timeout_keep_alive=KEEPALIVE_SECONDS,
    )
    return 0


__all__ = ["add_arguments", "config_from_args", "main", "tune_collector"]
