"""`python -m bench`: start the emulator and the façade on loopback, run the scenarios, report.

    python -m bench                      # all scenarios at concurrency 1, 16, 64
    python -m bench --quick              # one short round at concurrency 1 (a smoke run)
    python -m bench --scenarios 1,4 --concurrency 1,16 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from pathlib import Path

from bench.processes import EmulatorControl, emulator_process, service_process
from bench.report import table, write_chart, write_json
from bench.scenarios import QUICK, SCENARIOS, Plan, Rig, run_all

RESULTS = Path(__file__).resolve().parent / "results"
CUSTOMERS = 2000
MAX_IN_FLIGHT = 16


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one short round, concurrency 1")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated scenario numbers (default: all)")
    parser.add_argument("--concurrency", default=None, help="e.g. 1,16,64")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--round-seconds", type=float, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG")
    return parser


def plan_from(args: argparse.Namespace) -> Plan:
    """The plan the flags describe."""
    plan = QUICK if args.quick else Plan()
    return Plan(
        concurrencies=_numbers(args.concurrency) if args.concurrency else plan.concurrencies,
        rounds=args.rounds or plan.rounds,
        round_seconds=args.round_seconds or plan.round_seconds,
        warmup_seconds=plan.warmup_seconds,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every request succeeded at the minimum upstream calls."""
    args = _parser().parse_args(argv)
    plan = plan_from(args)
    names = tuple(part.strip() for part in args.scenarios.split(",") if part.strip())
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    service_env = {
        "LOG_LEVEL": "WARNING",
        "UPSTREAM_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
    }
    with emulator_process(customers=CUSTOMERS) as emulator, service_process(
        emulator.url, env=service_env
    ) as service:
        control = EmulatorControl(emulator.url)
        rig = Rig(
            service_url=service.url,
            service_pid=service.pid,
            emulator_url=emulator.url,
            emulator_pid=emulator.pid,
            emulator=control,
            customers=CUSTOMERS,
            max_in_flight=MAX_IN_FLIGHT,
        )
        try:
            cells = asyncio.run(run_all(rig, plan, names))
        finally:
            control.close()
    print(table(cells))
    settings = {"plan": asdict(plan), "customers": CUSTOMERS, "service_env": service_env}
    path = write_json(cells, args.out, settings)
    print(f"\nJSON: {path}")
    if not args.no_chart:
        print(f"chart: {write_chart(cells, args.out / 'bench.png')}")
    clean = all(
        cell.figures.errors == 0
        and cell.figures.upstream_calls_per_request == cell.min_upstream_calls
        for cell in cells
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
