"""Fault injection: 5xx and 429 rates, the per-minute budget, hanging paths, per-customer faults."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig
from tests.clocks import HandClock
from tests.emulator.conftest import Served, body


def _wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_error_rate_one_fails_every_call_with_a_5xx_mix(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, error_rate=1.0))
    statuses = {served.client.get("/v1/customers").status_code for _ in range(40)}
    assert statuses == {500, 502, 503, 504}


def test_server_error_kind_is_a_partner_fd_800003(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, error_rate=1.0, error_kinds=("server_error",)))
    response = served.client.get("/v1/customers")
    assert response.status_code == 500
    assert body(response) == {"code": 800003, "description": "Unexpected service error",
                              "data": [], "source": "PartnerFD"}


def test_bad_gateway_kind_is_an_html_page(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, error_rate=1.0, error_kinds=("bad_gateway",)))
    response = served.client.get("/v1/customers")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_gateway_timeout_kind_has_an_empty_body(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, error_rate=1.0, error_kinds=("gateway_timeout",)))
    response = served.client.get("/v1/customers")
    assert (response.status_code, response.content) == (504, b"")


def test_service_unavailable_kind_is_gateway_json_with_retry_after(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=5, error_rate=1.0, retry_after_seconds=4,
                                  error_kinds=("service_unavailable",)))
    response = served.client.get("/v1/customers")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "4"
    assert set(response.json()) == {"statusCode", "message"}


def test_error_rate_picks_the_same_calls_for_the_same_seed(serve: Callable[..., Served]) -> None:
    runs = []
    for _ in range(2):
        served = serve(EmulatorConfig(customers=5, error_rate=0.5))
        runs.append([served.client.get("/v1/customers").status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert 200 in runs[0]
    assert any(status >= 500 for status in runs[0])


def test_throttle_rate_one_answers_429_with_retry_after(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, throttle_rate=1.0, retry_after_seconds=3))
    response = served.client.get("/v1/customers")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json() == {"statusCode": 429,
                               "message": "Rate limit is exceeded. Try again in 3 seconds."}


def test_budget_answers_429_past_the_per_minute_limit(serve: Callable[..., Served]) -> None:
    clock = HandClock(now=6000.0 + 45.0)  # 45 s into a clock minute
    served = serve(EmulatorConfig(customers=5, throttle_per_minute=3), clock=clock)
    statuses = [served.client.get("/v1/customers").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_budget_429_says_when_the_minute_ends(serve: Callable[..., Served]) -> None:
    clock = HandClock(now=6000.0 + 45.0)
    served = serve(EmulatorConfig(customers=5, throttle_per_minute=1), clock=clock)
    served.client.get("/v1/customers")
    response = served.client.get("/v1/customers")
    assert response.headers["Retry-After"] == "15"
    assert response.json()["message"] == "Rate limit is exceeded. Try again in 15 seconds."


def test_budget_refills_in_the_next_minute(serve: Callable[..., Served]) -> None:
    clock = HandClock(now=6000.0)
    served = serve(EmulatorConfig(customers=5, throttle_per_minute=1), clock=clock)
    served.client.get("/v1/customers")
    clock.now += 60
    assert served.client.get("/v1/customers").status_code == 200


def test_budget_is_kept_per_token(serve: Callable[..., Served]) -> None:
    served = serve(
        EmulatorConfig(customers=5, throttle_per_minute=1), clock=HandClock(1_800_000_000.0)
    )
    served.client.get("/v1/customers")
    other = served.client.get("/v1/customers", headers={"Authorization": "Bearer other"})
    assert other.status_code == 200


def test_budget_counts_every_customer_route(serve: Callable[..., Served]) -> None:
    served = serve(
        EmulatorConfig(customers=5, throttle_per_minute=2), clock=HandClock(1_800_000_000.0)
    )
    customer_id = served.emulator.dataset.customers[0].id
    served.client.get(f"/v1/customers/{customer_id}")
    served.client.get(f"/v1/customers/{customer_id}/profiles/billing")
    assert served.client.get("/v1/customers").status_code == 429


def test_hang_path_never_answers_before_the_client_gives_up(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, hang_paths=("/v1/customers/",)))
    customer_id = served.emulator.dataset.customers[0].id
    with pytest.raises(httpx.ReadTimeout):
        served.client.get(f"/v1/customers/{customer_id}", timeout=0.2)
    assert _wait_for(lambda: served.emulator.stats.snapshot()["hung"] == 1)


def test_hang_path_leaves_other_paths_alone(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, hang_paths=("/v1/customers/",)))
    assert served.client.get("/v1/customers", timeout=2.0).status_code == 200


def test_hang_ends_with_504_after_hang_seconds(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, hang_paths=("/v1/",), hang_seconds=0.05))
    response = served.client.get("/v1/customers")
    assert (response.status_code, response.content) == (504, b"")


def test_latency_delays_every_customer_call(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, latency_ms=600))
    with pytest.raises(httpx.ReadTimeout):
        served.client.get("/v1/customers", timeout=0.05)


@pytest.mark.parametrize("suffix", ["", "/profiles/company", "/profiles/billing"])
def test_customer_fault_by_status_fails_every_route_of_that_customer(
    serve: Callable[..., Served], suffix: str
) -> None:
    served = serve(EmulatorConfig(customers=5))
    victim = served.emulator.dataset.customers[1].id
    served.emulator.configure(customer_faults={victim: 403})
    response = served.client.get(f"/v1/customers/{victim}{suffix}")
    assert response.status_code == 403
    assert body(response)["code"] == 20002


def test_customer_fault_spares_other_customers(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5))
    victim, bystander = (c.id for c in served.emulator.dataset.customers[:2])
    served.emulator.configure(customer_faults={victim: 404})
    assert served.client.get(f"/v1/customers/{bystander}").status_code == 200


def test_customer_fault_on_one_route_spares_the_others(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5))
    victim = served.emulator.dataset.customers[0].id
    served.emulator.configure(customer_faults={f"{victim}/profiles/billing": 429})
    billing = served.client.get(f"/v1/customers/{victim}/profiles/billing")
    record = served.client.get(f"/v1/customers/{victim}")
    assert (billing.status_code, record.status_code) == (429, 200)
    assert billing.headers["Retry-After"] == "1"


def test_customer_fault_by_kind_name(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5))
    victim = served.emulator.dataset.customers[0].id
    served.emulator.configure(customer_faults={victim.upper(): "bad_gateway"})
    response = served.client.get(f"/v1/customers/{victim}")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_customer_fault_with_an_unlisted_status_is_partner_fd(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=5))
    victim = served.emulator.dataset.customers[0].id
    served.emulator.configure(customer_faults={victim: 409})
    response = served.client.get(f"/v1/customers/{victim}")
    assert response.status_code == 409
    assert body(response)["source"] == "PartnerFD"


def test_put_faults_changes_knobs_of_the_running_server(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5))
    put = served.client.put("/_emulator/faults", json={"error_rate": 1.0,
                                                       "error_kinds": ["gateway_timeout"]})
    assert put.status_code == 200
    assert put.json()["error_rate"] == 1.0
    assert served.client.get("/v1/customers").status_code == 504
    served.client.put("/_emulator/faults", json={"error_rate": 0})
    assert served.client.get("/v1/customers").status_code == 200


def test_a_refused_token_is_401_until_the_knob_lets_it_go(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=5))
    served.client.put("/_emulator/faults", json={"refused_tokens": ["revoked"]})
    refused = served.client.get("/v1/customers", headers={"Authorization": "Bearer revoked"})
    other = served.client.get("/v1/customers", headers={"Authorization": "Bearer other"})
    served.client.put("/_emulator/faults", json={"refused_tokens": []})
    again = served.client.get("/v1/customers", headers={"Authorization": "Bearer revoked"})
    assert (refused.status_code, other.status_code, again.status_code) == (401, 200, 200)


def test_get_faults_lists_the_knobs(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, throttle_rate=0.25, hang_paths=("/v1/x",)))
    knobs = served.client.get("/_emulator/faults").json()
    assert (knobs["throttle_rate"], knobs["hang_paths"]) == (0.25, ["/v1/x"])


@pytest.mark.parametrize(
    "change",
    [
        {"error_rate": 1.5},
        {"error_rate": "high"},
        {"throttle_per_minute": -1},
        {"error_kinds": ["meteor_strike"]},
        {"customer_faults": {"x": 200}},
        {"next_link_style": "v2"},
        {"customers": 10},
        {"no_such_knob": 1},
    ],
)
def test_put_faults_refuses_bad_values_and_changes_nothing(
    serve: Callable[..., Served], change: dict[str, object]
) -> None:
    served = serve(EmulatorConfig(customers=5))
    before = served.client.get("/_emulator/faults").json()
    response = served.client.put("/_emulator/faults", json={"latency_ms": 5, **change})
    assert response.status_code == 400
    assert "error" in response.json()
    assert served.client.get("/_emulator/faults").json() == before


def test_bad_config_is_refused_at_build_time() -> None:
    from graphql_api.emulator import create_emulator_app

    with pytest.raises(ValueError, match="error_rate"):
        create_emulator_app(EmulatorConfig(customers=1, error_rate=2.0))


def test_customer_fault_from_config_matches_any_id_case(serve: Callable[..., Served]) -> None:
    probe = serve(EmulatorConfig(customers=5))
    victim = probe.emulator.dataset.customers[0].id
    served = serve(EmulatorConfig(customers=5, customer_faults={victim.upper(): 404}))
    assert served.client.get(f"/v1/customers/{victim}").status_code == 404
