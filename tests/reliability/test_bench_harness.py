"""The benchmark harness runs (quick plan) and every scenario costs its minimum upstream calls.

Counts only, never times: the figures themselves are `make bench`'s business.
"""

from __future__ import annotations

from bench.scenarios import QUICK, Rig, run_all
from tests.reliability.conftest import CUSTOMERS, Stack
from tests.reliability.tally import Tally


async def test_every_bench_scenario_runs_at_its_minimum_upstream_calls(
    live: Stack, tally: Tally
) -> None:
    rig = Rig(
        service_url=live.service.url,
        service_pid=live.service.pid,
        emulator_url=live.emulator.url,
        emulator_pid=live.emulator.pid,
        emulator=live.upstream,
        customers=CUSTOMERS,
        max_in_flight=16,
    )
    cells = await run_all(rig, QUICK)
    assert [cell.scenario for cell in cells] == [
        "1 page",
        "2 billing",
        "3 walk",
        "4 search",
        "5 relay",
        "6 apollo",
    ]
    tally.notes.append(
        "bench harness (quick): "
        + ", ".join(f"{c.scenario} {c.figures.requests} requests" for c in cells)
    )
    for cell in cells:
        figures = cell.figures
        assert figures.requests > 0, cell.scenario
        assert figures.errors == 0, cell.scenario
        assert figures.upstream_calls_per_request == cell.min_upstream_calls, cell.scenario
    walk = cells[2]
    assert walk.min_upstream_calls == CUSTOMERS // 100
    assert walk.extra["incomplete_walks"] == 0
