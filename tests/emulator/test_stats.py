"""`/_emulator/stats` and the request log: calls counted per route on arrival, failures included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from graphql_api.emulator import EmulatorConfig
from tests.emulator.conftest import BEARER, Served, body


def _stats(served: Served) -> dict[str, object]:
    stats: dict[str, object] = served.client.get("/_emulator/stats").json()
    return stats


def test_calls_are_counted_per_route(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10))
    customer_id = served.emulator.dataset.customers[0].id
    token = body(served.client.get("/v1/customers?size=3"))["continuationToken"]
    served.client.get("/v1/customers?seekOperation=Next", headers={"MS-ContinuationToken": token})
    served.client.get(f"/v1/customers/{customer_id}")
    served.client.get(f"/v1/customers/{customer_id}/profiles/company")
    served.client.get(f"/v1/customers/{customer_id}/profiles/billing")
    served.client.get(f"/v1/customers/{customer_id}/profiles/billing")
    served.client.get("/v1/unknown")
    stats = _stats(served)
    assert {key: stats[key] for key in ("list", "next", "customer", "company", "billing",
                                         "other", "total")} == {
        "list": 1, "next": 1, "customer": 1, "company": 1, "billing": 2, "other": 1, "total": 7}


def test_failed_and_injected_calls_are_counted(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10))
    httpx.get(served.base + "/v1/customers")  # 401
    served.client.get("/v1/customers?size=999")  # 400
    served.emulator.configure(error_rate=1.0, error_kinds=["server_error"])
    served.client.get("/v1/customers")  # 500
    stats = _stats(served)
    assert stats["list"] == 3
    assert stats["by_status"] == {"400": 1, "401": 1, "500": 1}


def test_operations_routes_are_not_counted(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10))
    served.client.get("/_emulator/health")
    served.client.get("/_emulator/faults")
    served.client.get("/_emulator/nothing-here")
    assert _stats(served)["total"] == 0


def test_reset_zeroes_the_counters(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10))
    served.client.get("/v1/customers")
    reset = served.client.post("/_emulator/stats/reset").json()
    assert (reset["total"], reset["by_status"]) == (0, {})
    assert _stats(served)["list"] == 0


def test_stats_are_readable_in_process(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10))
    served.client.get("/v1/customers")
    assert served.emulator.stats.snapshot()["list"] == 1


def test_request_log_keeps_ids_and_locale_but_not_the_token(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=10))
    served.client.get("/v1/customers", headers={"MS-RequestId": "r-1", "MS-CorrelationId": "c-1",
                                                "X-Locale": "de-DE"})
    log = served.client.get("/_emulator/requests")
    assert log.json() == [{"route": "list", "method": "GET", "path": "/v1/customers",
                           "status": 200, "requestId": "r-1", "correlationId": "c-1",
                           "locale": "de-DE", "traceparent": None, "tracestate": None}]
    assert BEARER["Authorization"].split()[1] not in log.text


def test_request_log_keeps_the_w3c_trace_context_as_received(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=10))
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    served.client.get("/v1/customers", headers={"traceparent": traceparent,
                                                "tracestate": "congo=t61rcWkgMzE"})
    [logged] = served.client.get("/_emulator/requests").json()
    assert (logged["traceparent"], logged["tracestate"]) == (traceparent, "congo=t61rcWkgMzE")


async def test_max_in_flight_counts_concurrent_calls(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10, latency_ms=200))
    async with httpx.AsyncClient(base_url=served.base, headers=BEARER) as client:
        answers = await asyncio.gather(*(client.get("/v1/customers") for _ in range(5)))
    assert [r.status_code for r in answers] == [200] * 5
    stats = _stats(served)
    assert (stats["max_in_flight"], stats["in_flight"]) == (5, 0)


def test_health_reports_the_data(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10, seed=4))
    assert served.client.get("/_emulator/health").json() == {"status": "ok", "customers": 10,
                                                             "seed": 4}
