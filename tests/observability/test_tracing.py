"""Traces end to end: a caller's traceparent, through the service, to the emulator, and out over
OTLP/HTTP to a receiver that decodes the export with opentelemetry-proto's protobuf classes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from bench.otlp_receiver import TRACES_PATH, Received, attributes, otlp_receiver
from graphql_api.config import Settings
from graphql_api.observability import DEFAULT_SERVICE_NAME, Tracing
from graphql_api.web.app import create_app
from tests.live_emulator import LiveEmulator, serve_emulator
from tests.live_server import live_server

TOKEN = "Bearer tracing-tests-secret-token"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
CALLER = {"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01", "tracestate": "router=r1"}
LIST_CALL = "GET /v1/customers"
RECORD_CALL = "GET /v1/customers/{id}"
BILLING_CALL = "GET /v1/customers/{id}/profiles/billing"
BILLING = "query Billing { customers(first: 3) { nodes { id billingProfile { email } } } }"


@dataclass
class Traced:
    """A traced service in front of the emulator, and what its exporter sent."""

    client: httpx.Client
    emulator: LiveEmulator
    received: Received
    tracing: Tracing

    def post(self, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
        answer = self.client.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": TOKEN, **(headers or {})},
        )
        assert answer.status_code == 200, answer.text
        return answer

    def graphql(self, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = self.post(query, headers).json()
        return body

    def spans(self, operations: int = 1) -> list[Span]:
        """Every span exported once `operations` operation spans are in.

        The operation's span ends after its response is sent, so the client may read the
        answer a moment before that span is finished: flush until it is there.
        """
        for _ in range(200):
            assert self.tracing.force_flush()
            spans = self.received.spans
            if sum(span.kind == Span.SPAN_KIND_SERVER for span in spans) >= operations:
                return spans
            threading.Event().wait(0.01)
        raise AssertionError(f"fewer than {operations} operation spans were exported")


@pytest.fixture(scope="module")
def emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=12, seed=3)


def _settings(url: str) -> Settings:
    return Settings.from_env(
        {
            "PARTNER_CENTER_URL": url,
            "GRAPHIQL": "false",
            "UPSTREAM_MAX_ATTEMPTS": "2",
            "UPSTREAM_RETRY_BACKOFF_INITIAL": "0.01",
            "UPSTREAM_RETRY_BACKOFF_MAX": "0.02",
        }
    )


@pytest.fixture
def traced(emulator: LiveEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Traced]:
    """The service with tracing configured as an operator would: OTEL_EXPORTER_OTLP_ENDPOINT."""
    emulator.reset()
    with otlp_receiver() as (endpoint, received):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        for name in ("OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER"):
            monkeypatch.delenv(name, raising=False)
        tracing = Tracing.from_env()
        assert tracing is not None
        app = create_app(_settings(emulator.url), tracing=tracing)
        with live_server(app) as base, httpx.Client(base_url=base) as client:
            yield Traced(client, emulator, received, tracing)
    emulator.reset()


def _named(spans: list[Span], name: str) -> list[Span]:
    return [span for span in spans if span.name == name]


def _traceparent(span: Span, flags: str = "01") -> str:
    return f"00-{span.trace_id.hex()}-{span.span_id.hex()}-{flags}"


def test_caller_operation_batch_and_upstream_calls_form_one_trace(traced: Traced) -> None:
    answer = traced.post(BILLING, CALLER)
    assert "errors" not in answer.json()

    spans = traced.spans()
    assert {span.trace_id.hex() for span in spans} == {TRACE_ID}
    [operation] = [span for span in spans if span.kind == Span.SPAN_KIND_SERVER]
    [page] = _named(spans, LIST_CALL)
    [batch] = _named(spans, "batch billing_profile")
    billing = _named(spans, BILLING_CALL)
    assert len(spans) == 1 + 1 + 1 + 3
    # caller -> operation -> (list page, batch -> one call per customer)
    assert operation.parent_span_id.hex() == CALLER_SPAN_ID
    assert page.parent_span_id == batch.parent_span_id == operation.span_id
    assert [call.parent_span_id for call in billing] == [batch.span_id] * 3
    assert operation.name == "query Billing"
    assert attributes(operation) == {
        "http.route": "/graphql",
        "http.request.method": "POST",
        "http.response.status_code": 200,
        "graphql.operation.type": "query",
        "graphql.operation.name": "Billing",
        "graphql_api.outcome": "ok",
        "graphql_api.error_codes": [],
        "graphql_api.correlation_id": answer.headers["MS-CorrelationId"],
    }
    assert attributes(batch)["graphql_api.loader"] == "billing_profile"
    assert attributes(batch)["graphql_api.batch.keys"] == 3
    assert {
        (a["url.template"], a["http.response.status_code"], a["partner_center.attempt"])
        for a in map(attributes, billing)
    } == {("/v1/customers/{id}/profiles/billing", 200, 1)}
    # The caller's tracestate travels with the trace.
    assert {span.trace_state for span in spans} == {"router=r1"}


def test_each_upstream_call_sends_the_traceparent_of_its_own_span(traced: Traced) -> None:
    traced.graphql(BILLING, CALLER)

    spans = traced.spans()
    sent = {_traceparent(span) for span in spans if span.kind == Span.SPAN_KIND_CLIENT}
    recorded = [call["traceparent"] for call in traced.emulator.state.stats.requests()]
    assert len(recorded) == len(sent) == 4
    assert set(recorded) == sent
    assert {call["tracestate"] for call in traced.emulator.state.stats.requests()} == {"router=r1"}


def test_a_retried_call_is_one_span_per_attempt_with_its_number_and_wait(
    traced: Traced,
) -> None:
    failing = traced.emulator.customers[0].id
    traced.emulator.state.configure(customer_faults={f"{failing}/profiles/billing": 502})

    answer = traced.graphql(BILLING, CALLER)

    assert answer["data"]["customers"]["nodes"][0]["billingProfile"] is None
    spans = traced.spans()
    [batch] = _named(spans, "batch billing_profile")
    failed = [
        span
        for span in _named(spans, BILLING_CALL)
        if attributes(span)["http.response.status_code"] == 502
    ]
    assert [attributes(span)["partner_center.attempt"] for span in failed] == [1, 2]
    assert [attributes(span).get("http.request.resend_count") for span in failed] == [None, 1]
    assert all("partner_center.retry_wait_seconds" in attributes(span) for span in failed)
    assert {attributes(span)["error.type"] for span in failed} == {"502"}
    assert {span.status.code for span in failed} == {Status.STATUS_CODE_ERROR}
    assert {span.parent_span_id for span in failed} == {batch.span_id}
    # Both attempts reached the emulator, one request id, each naming its own span.
    attempts = [
        call
        for call in traced.emulator.state.stats.requests()
        if call["path"].endswith(f"{failing}/profiles/billing")
    ]
    assert [call["traceparent"] for call in attempts] == [_traceparent(s) for s in failed]
    assert len({call["requestId"] for call in attempts}) == 1
    [operation] = [span for span in spans if span.kind == Span.SPAN_KIND_SERVER]
    assert attributes(operation)["graphql_api.outcome"] == "partial"
    assert attributes(operation)["graphql_api.error_codes"] == ["UPSTREAM_UNAVAILABLE"]


def test_a_dataloader_batch_parents_the_calls_it_makes(traced: Traced) -> None:
    first, second = (customer.id for customer in traced.emulator.customers[:2])
    query = (
        "query Entities { _entities(representations: ["
        f'{{__typename: "Customer", id: "{first}"}}, {{__typename: "Customer", id: "{second}"}}'
        "]) { ... on Customer { id allowDelegatedAccess } } }"
    )

    assert "errors" not in traced.graphql(query)

    spans = traced.spans()
    [operation] = [span for span in spans if span.kind == Span.SPAN_KIND_SERVER]
    [batch] = _named(spans, "batch customer")
    records = _named(spans, RECORD_CALL)
    # No caller trace context: the operation starts the trace.
    assert operation.parent_span_id == b""
    assert batch.parent_span_id == operation.span_id
    assert attributes(batch)["graphql_api.batch.keys"] == 2
    assert [span.parent_span_id for span in records] == [batch.span_id] * 2
    assert {span.trace_id for span in spans} == {operation.trace_id}


def test_spans_carry_no_token_customer_id_or_customer_data(traced: Traced) -> None:
    answer = traced.graphql(BILLING, CALLER)
    customers = answer["data"]["customers"]["nodes"]

    text = repr([attributes(span) for span in traced.spans()])
    assert "tracing-tests-secret-token" not in text
    for customer in customers:
        assert customer["id"] not in text
        assert customer["billingProfile"]["email"] not in text


def test_an_unsampled_caller_is_followed_and_its_trace_id_still_reaches_partner_center(
    traced: Traced,
) -> None:
    traced.graphql(BILLING, {"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-00"})

    assert traced.spans(operations=0) == []
    recorded = [call["traceparent"] for call in traced.emulator.state.stats.requests()]
    assert len(recorded) == 4
    assert {value.split("-")[1] for value in recorded} == {TRACE_ID}
    assert {value.split("-")[3] for value in recorded} == {"00"}


def test_the_export_goes_to_the_traces_path_as_the_service(traced: Traced) -> None:
    traced.graphql("{ __typename }")

    assert len(traced.spans()) == 1
    assert set(traced.received.paths) == {TRACES_PATH}
    assert {r["service.name"] for r in traced.received.resources} == {DEFAULT_SERVICE_NAME}


def test_with_tracing_off_no_traceparent_goes_upstream(emulator: LiveEmulator) -> None:
    emulator.reset()
    with (
        live_server(create_app(_settings(emulator.url))) as base,
        httpx.Client(base_url=base) as client,
    ):
        answer = client.post(
            "/graphql", json={"query": BILLING}, headers={"Authorization": TOKEN, **CALLER}
        )

    assert answer.status_code == 200
    calls = emulator.state.stats.requests()
    assert len(calls) == 4
    assert {(call["traceparent"], call["tracestate"]) for call in calls} == {(None, None)}
    emulator.reset()


def test_a_refused_operation_is_one_span_with_its_outcome_and_code(traced: Traced) -> None:
    answer = traced.client.post(
        "/graphql",
        json={"query": "query Bad { customers { noSuchField } }"},
        headers={"Authorization": TOKEN, **CALLER},
    )

    assert answer.status_code == 200
    [operation] = traced.spans()
    assert operation.name == "GraphQL request"
    assert operation.parent_span_id.hex() == CALLER_SPAN_ID
    assert attributes(operation)["graphql_api.outcome"] == "rejected"
    assert attributes(operation)["graphql_api.error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert traced.emulator.calls() == 0


def test_a_deferred_operation_is_one_span_that_ends_with_its_last_part(traced: Traced) -> None:
    failing = traced.emulator.customers[1].id
    traced.emulator.state.configure(customer_faults={f"{failing}/profiles/billing": 403})
    answer = traced.client.post(
        "/graphql",
        json={
            "query": "query Deferred { customers(first: 3) { nodes { id "
            "... @defer { billingProfile { email } } } } }"
        },
        headers={
            "Authorization": TOKEN,
            "Accept": "multipart/mixed;incrementalSpec=v0.2",
            **CALLER,
        },
    )

    assert answer.headers["content-type"].startswith("multipart/mixed")
    [operation] = [span for span in traced.spans() if span.kind == Span.SPAN_KIND_SERVER]
    # The error came in a deferred part, after the first was sent: the span still has it.
    assert attributes(operation)["graphql_api.outcome"] == "partial"
    assert attributes(operation)["graphql_api.error_codes"] == ["FORBIDDEN"]
    calls = _named(traced.spans(), BILLING_CALL)
    assert len(calls) == 3
    assert all(call.end_time_unix_nano <= operation.end_time_unix_nano for call in calls)
