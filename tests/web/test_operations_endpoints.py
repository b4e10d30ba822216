"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import math

import httpx
from prometheus_client.parser import text_string_to_metric_families

from graphql_api.config import Settings
from graphql_api.observability.metrics import MAX_OPERATION_NAMES, OTHER, Metrics, upstream_route
from graphql_api.web.app import create_app
from tests.live_server import free_port, live_server
from tests.web.conftest import ServiceFactory, graphql


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_answers_while_the_process_is_alive(service: httpx.Client) -> None:
    response = service.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_the_upstream_answers(service: httpx.Client) -> None:
    response = service.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_is_503_when_the_upstream_cannot_be_reached() -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    app = create_app(Settings.from_env({"PARTNER_CENTER_URL": nothing_listens}))
    with live_server(app) as base:
        response = httpx.get(f"{base}/readyz")
        alive = httpx.get(f"{base}/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "upstream": "Partner Center could not be reached (ConnectError)",
    }
    assert alive.status_code == 200


def test_graphql_ready_is_nan_until_probed_then_what_readyz_found(
    make_service: ServiceFactory,
) -> None:
    with make_service() as client:
        before = _samples(client.get("/metrics").text)[("graphql_ready", ())]
        client.get("/readyz")
        after = _samples(client.get("/metrics").text)[("graphql_ready", ())]
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    app = create_app(Settings.from_env({"PARTNER_CENTER_URL": nothing_listens}))
    with live_server(app) as base:
        httpx.get(f"{base}/readyz")
        unready = _samples(httpx.get(f"{base}/metrics").text)[("graphql_ready", ())]
    assert math.isnan(before)
    assert after == 1.0
    assert unready == 0.0


def test_metrics_count_requests_by_operation_and_outcome(make_service: ServiceFactory) -> None:
    with make_service() as client:
        graphql(client, "query Listing { customers(first: 3) { nodes { id } } }")
        graphql(client, "query Listing { customers(first: 3) { nodes { id } } }")
        graphql(client, "{ nope }")
        client.post("/graphql", json={"query": "{ customers(first: 1) { nodes { id } } }"})
        text = client.get("/metrics").text
    samples = _samples(text)
    assert samples[("graphql_requests_total", (("operation", "Listing"), ("outcome", "ok")))] == 2
    rejected = (("operation", "anonymous"), ("outcome", "rejected"))
    assert samples[("graphql_requests_total", rejected)] == 1
    failed = (("operation", "anonymous"), ("outcome", "failed"))
    assert samples[("graphql_requests_total", failed)] == 1
    count = ("graphql_request_duration_seconds_count", (("operation", "Listing"),))
    assert samples[count] == 2


def test_metrics_count_graphql_errors_by_code(make_service: ServiceFactory) -> None:
    with make_service() as client:
        graphql(client, "{ nope }")
        client.post("/graphql", json={"query": "{ customers(first: 1) { nodes { id } } }"})
        client.post("/graphql", content=b"{", headers={"Content-Type": "application/json"})
        samples = _samples(client.get("/metrics").text)
    for code in ("GRAPHQL_VALIDATION_FAILED", "UNAUTHENTICATED", "BAD_REQUEST"):
        assert samples[("graphql_errors_total", (("code", code),))] == 1, code


def test_metrics_count_upstream_calls_by_route_template_and_status(
    make_service: ServiceFactory,
) -> None:
    with make_service() as client:
        listed = graphql(client, "{ customers(first: 2) { nodes { id } } }").json()
        first_id = listed["data"]["customers"]["nodes"][0]["id"]
        graphql(client, f'{{ customer(id: "{first_id}") {{ billingProfile {{ id }} }} }}')
        graphql(client, '{ customer(id: "00000000-0000-4000-8000-000000000000") { id } }')
        text = client.get("/metrics").text
    samples = _samples(text)
    upstream = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "partner_center_requests_total"
    }
    assert upstream[(("route", "/v1/customers"), ("status", "200"))] == 1
    assert upstream[(("route", "/v1/customers/{id}"), ("status", "404"))] == 1
    assert sum(upstream.values()) >= 3
    assert first_id not in text


def test_metrics_count_upstream_requests_that_got_no_response() -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    settings = Settings.from_env(
        {"PARTNER_CENTER_URL": nothing_listens, "UPSTREAM_MAX_ATTEMPTS": "1"}
    )
    with live_server(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        graphql(client, "{ customers(first: 1) { nodes { id } } }")
        samples = _samples(client.get("/metrics").text)
    assert samples[
        ("partner_center_requests_total", (("route", "/v1/customers"), ("status", "error")))
    ] == 1


def test_operation_names_beyond_the_bound_count_as_other() -> None:
    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    assert len(labels) == MAX_OPERATION_NAMES + 1
    assert OTHER in labels
    assert metrics.operation_label("Op0") == "Op0"


def test_refused_or_failing_requests_cannot_use_up_operation_labels() -> None:
    metrics = Metrics()
    for i in range(MAX_OPERATION_NAMES + 10):
        metrics.observe_request(f"Junk{i}", "rejected", 0.001, ["GRAPHQL_VALIDATION_FAILED"])
        metrics.observe_request(f"NoToken{i}", "failed", 0.001, ["UNAUTHENTICATED"])
        metrics.observe_request(f"Unproven{i}", "ok", 0.001, [])
    metrics.observe_request("CustomerList", "ok", 0.001, [], caller_proven=True)
    assert metrics.operation_label("CustomerList", may_claim=False) == "CustomerList"
    assert metrics.operation_label("Junk0", may_claim=False) == OTHER
    text = metrics.render()[0].decode()
    assert 'operation="CustomerList"' in text
    assert 'operation="Junk0"' not in text
    assert 'operation="NoToken0"' not in text
    assert 'operation="Unproven0"' not in text


def test_junk_operation_names_over_http_leave_real_ones_their_label(
    make_service: ServiceFactory,
) -> None:
    with make_service() as client:
        for i in range(MAX_OPERATION_NAMES + 5):
            junk = graphql(client, f"query Junk{i} {{ nosuchfield }}")
            assert junk.json()["errors"]
            unauthenticated = client.post(
                "/graphql", json={"query": f"query Anon{i} {{ customers {{ nodes {{ id }} }} }}"}
            )
            assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            # Data, but nobody vouched for the token: no upstream call was answered.
            typename = graphql(client, f"query Typename{i} {{ __typename }}")
            assert typename.json()["data"] == {"__typename": "Query"}
        real = graphql(client, "query RealDashboard { customers(first: 1) { nodes { id } } }")
        assert "errors" not in real.json()
        metrics_text = client.get("/metrics").text
    assert 'operation="RealDashboard"' in metrics_text
    assert 'operation="Junk0"' not in metrics_text
    assert 'operation="Anon0"' not in metrics_text
    assert 'operation="Typename0"' not in metrics_text


def test_operation_names_that_are_not_graphql_names_count_as_other() -> None:
    metrics = Metrics()
    assert metrics.operation_label('x"} evil{') == OTHER
    assert metrics.operation_label("a" * 65) == OTHER
    assert metrics.operation_label(None) == "anonymous"


def test_upstream_paths_become_route_templates() -> None:
    guid = "3b3dc8b6-1c5c-4b17-8a8f-4b4f6e1f0b7e"
    assert upstream_route("/v1/customers") == "/v1/customers"
    assert upstream_route(f"/v1/customers/{guid}") == "/v1/customers/{id}"
    assert upstream_route(f"/v1/customers/{guid}/profiles/billing") == (
        "/v1/customers/{id}/profiles/billing"
    )
    assert upstream_route(f"/v1/customers/{guid}/profiles/company") == (
        "/v1/customers/{id}/profiles/company"
    )
    assert upstream_route("/v1/anything/else") == OTHER
