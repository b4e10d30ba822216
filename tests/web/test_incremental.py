"""`@defer` over HTTP: the parts a client gets for each `Accept`, and what they mean.

The service and the emulator run over real HTTP; the multipart bodies are read as a client
reads them. The calls each answer cost are the emulator's counts.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from graphql_api.web.incremental import Format, Parts, negotiate
from tests.live_emulator import LiveEmulator, reset_around, serve_emulator
from tests.live_service import live_service

AUTH = {"Authorization": "Bearer defer-tests"}
V0_2 = "multipart/mixed;incrementalSpec=v0.2, application/json;q=0.9"
DEFER_2022 = "multipart/mixed;deferSpec=20220824, application/json;q=0.9"
CUSTOMERS = 12

DASHBOARD = """
query Dashboard {
  customers(first: 12) {
    nodes {
      id
      companyProfile { companyName domain }
      ...Billing @defer(label: "billing")
    }
  }
}
fragment Billing on Customer { billingProfile { firstName lastName email } }
"""
PLAIN_DASHBOARD = DASHBOARD.replace(' @defer(label: "billing")', "")


@pytest.fixture(scope="module")
def emulator_module() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=CUSTOMERS, seed=29)


@pytest.fixture
def emulator(emulator_module: LiveEmulator) -> Iterator[LiveEmulator]:
    yield from reset_around(emulator_module)


@pytest.fixture
def service(emulator: LiveEmulator) -> Iterator[httpx.Client]:
    # No answer cache: every request's calls reach the emulator, to be counted.
    with live_service(
        {"PARTNER_CENTER_URL": emulator.url, "CACHE_TTL_SECONDS": "0", "UPSTREAM_MAX_ATTEMPTS": "1"}
    ) as client:
        yield client


def post(
    client: httpx.Client, query: str, accept: str | None, **variables: object
) -> httpx.Response:
    headers = dict(AUTH)
    if accept is not None:
        headers["Accept"] = accept
    body: dict[str, object] = {"query": query}
    if variables:
        body["variables"] = variables
    return client.post("/graphql", json=body, headers=headers)


def parts_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON parts of a multipart/mixed body, split as Apollo Client splits it."""
    assert response.headers["content-type"].startswith('multipart/mixed; boundary="-"')
    body = response.text
    assert body.endswith("\r\n-----\r\n"), "the closing boundary ends the body"
    chunks = body[: -len("\r\n-----\r\n")].split("\r\n---")[1:]
    parts = []
    for chunk in chunks:
        head, _, payload = chunk.partition("\r\n\r\n")
        assert "content-type: application/json" in head.lower()
        parts.append(json.loads(payload))
    return parts


def merge_v0_2(parts: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The data and errors a client of the v0.2 format builds from its parts."""
    data = parts[0]["data"]
    errors = list(parts[0].get("errors", []))
    paths = {p["id"]: p["path"] for p in parts[0]["pending"]}
    for part in parts[1:]:
        paths.update({p["id"]: p["path"] for p in part.get("pending", [])})
        for entry in part.get("incremental", []):
            target = data
            for key in [*paths[entry["id"]], *entry.get("subPath", [])]:
                target = target[key]
            target.update(entry["data"])
            errors.extend(entry.get("errors", []))
        for done in part.get("completed", []):
            errors.extend(done.get("errors", []))
    return data, errors


def test_negotiation_names_the_format_or_none() -> None:
    assert negotiate("multipart/mixed;incrementalSpec=v0.2,application/json") is Format.V0_2
    assert negotiate('multipart/mixed; deferSpec="20220824"') is Format.DEFER_2022
    assert negotiate("multipart/mixed") is Format.V0_2
    assert negotiate("application/json") is None
    assert negotiate("*/*") is None
    assert negotiate(None) is None
    assert negotiate("multipart/mixed;deferSpec=19990101") is None
    assert negotiate("multipart/mixed;subscriptionSpec=1.0") is None
    assert negotiate("multipart/mixed;incrementalSpec=v0.2;q=0") is None
    both = "multipart/mixed;incrementalSpec=v0.2;q=0.5, multipart/mixed;deferSpec=20220824"
    assert negotiate(both) is Format.DEFER_2022


def test_v0_2_sends_the_list_first_then_the_billing_profiles(
    service: httpx.Client, emulator: LiveEmulator
) -> None:
    response = post(service, DASHBOARD, V0_2)
    assert response.status_code == 200
    assert response.headers["content-type"].endswith("incrementalSpec=v0.2")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["ms-correlationid"]
    parts = parts_of(response)
    first = parts[0]
    nodes = first["data"]["customers"]["nodes"]
    assert len(nodes) == CUSTOMERS
    assert all("billingProfile" not in node and node["companyProfile"] for node in nodes)
    assert first["hasNext"] is True
    assert [p["path"] for p in first["pending"]] == [
        ["customers", "nodes", i] for i in range(CUSTOMERS)
    ]
    assert {p["label"] for p in first["pending"]} == {"billing"}
    assert parts[-1]["hasNext"] is False
    data, errors = merge_v0_2(parts)
    assert errors == []
    plain = post(service, PLAIN_DASHBOARD, "application/json").json()
    assert data == plain["data"]
    # Deferring costs no call more: the list, then one billing call per customer, twice.
    assert emulator.calls("list") == 2
    assert emulator.calls("billing") == 2 * CUSTOMERS


def test_deferspec_2022_locates_each_part_by_path_and_label(service: httpx.Client) -> None:
    response = post(service, DASHBOARD, DEFER_2022)
    assert response.headers["content-type"].endswith("deferSpec=20220824")
    parts = parts_of(response)
    assert set(parts[0]) == {"data", "hasNext"}
    data = parts[0]["data"]
    for part in parts[1:]:
        assert "pending" not in part
        assert "completed" not in part
        for entry in part.get("incremental", []):
            assert entry["label"] == "billing"
            assert entry["path"][:2] == ["customers", "nodes"]
            target = data
            for key in entry["path"]:
                target = target[key]
            target.update(entry["data"])
    assert parts[-1]["hasNext"] is False
    assert data == post(service, PLAIN_DASHBOARD, None).json()["data"]


@pytest.mark.parametrize(
    "accept", [None, "application/json", "application/graphql-response+json", "*/*"]
)
def test_a_client_without_multipart_gets_one_merged_answer(
    service: httpx.Client, accept: str | None
) -> None:
    merged = post(service, DASHBOARD, accept)
    assert merged.status_code == 200
    assert merged.headers["content-type"].startswith(("application/json", "application/graph"))
    assert merged.json() == post(service, PLAIN_DASHBOARD, accept).json()
    assert merged.headers["cache-control"].startswith("private, max-age=")


def test_defer_under_customer_and_node(service: httpx.Client, emulator: LiveEmulator) -> None:
    ids = [customer.id for customer in emulator.customers[:2]]
    query = """
    query One($a: ID!, $b: ID!) {
      customer(id: $a) {
        id ... @defer(label: "full") { allowDelegatedAccess billingProfile { email } }
      }
      node(id: $b) { id ... on Customer @defer(label: "node") { companyProfile { companyName } } }
    }"""
    parts = parts_of(post(service, query, V0_2, a=ids[0], b=ids[1]))
    assert parts[0]["data"] == {"customer": {"id": ids[0]}, "node": {"id": ids[1]}}
    assert {p["label"] for p in parts[0]["pending"]} == {"full", "node"}
    data, errors = merge_v0_2(parts)
    assert errors == []
    plain = post(service, query.replace('@defer(label: "full")', "").replace(
        '@defer(label: "node")', ""), None, a=ids[0], b=ids[1]).json()
    assert data == plain["data"]


def test_deferred_failures_are_typed_at_their_paths(
    service: httpx.Client, emulator: LiveEmulator
) -> None:
    customers = emulator.customers
    emulator.state.configure(
        customer_faults={
            f"{customers[1].id}/profiles/billing": 403,
            f"{customers[4].id}/profiles/billing": 404,
            f"{customers[7].id}/profiles/billing": 429,
        }
    )
    for accept in (V0_2, DEFER_2022):
        parts = parts_of(post(service, DASHBOARD, accept))
        assert "errors" not in parts[0]
        located = {}
        for part in parts[1:]:
            for entry in part.get("incremental", []):
                for error in entry.get("errors", []):
                    located[tuple(error["path"])] = error["extensions"]["code"]
                    assert "partnerCenter" in error["extensions"]
        assert located == {
            ("customers", "nodes", 1, "billingProfile"): "FORBIDDEN",
            ("customers", "nodes", 4, "billingProfile"): "NOT_FOUND",
            ("customers", "nodes", 7, "billingProfile"): "THROTTLED",
        }
    merged = post(service, DASHBOARD, "application/json").json()
    assert sorted(e["extensions"]["code"] for e in merged["errors"]) == [
        "FORBIDDEN", "NOT_FOUND", "THROTTLED"
    ]
    assert merged["data"]["customers"]["nodes"][1]["billingProfile"] is None


def test_the_estimate_counts_deferred_fields(emulator: LiveEmulator) -> None:
    env = {"PARTNER_CENTER_URL": emulator.url, "GRAPHQL_MAX_UPSTREAM_CALLS": "10"}
    with live_service(env) as client:
        deferred = post(client, DASHBOARD, V0_2).json()
        plain = post(client, PLAIN_DASHBOARD, None).json()
    code = deferred["errors"][0]["extensions"]
    assert code["code"] == "UPSTREAM_BUDGET_EXCEEDED"
    assert code["estimatedCalls"] == plain["errors"][0]["extensions"]["estimatedCalls"] == 13
    assert emulator.calls() == 0



def _request_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line.get("message") == "graphql request"]


def test_the_outcome_describes_the_whole_stream(
    service: httpx.Client, emulator: LiveEmulator, log_stream: io.StringIO
) -> None:
    emulator.state.configure(
        customer_faults={f"{emulator.customers[2].id}/profiles/billing": 403}
    )
    parts_of(post(service, DASHBOARD, V0_2))
    # Logged once the last part is sent, which the client may read first.
    _wait_for(lambda: _request_lines(log_stream))
    (line,) = _request_lines(log_stream)
    assert line["outcome"] == "partial"
    assert line["status"] == 200
    assert line["error_codes"] == ["FORBIDDEN"]
    metrics = service.get("/metrics").text
    assert 'graphql_requests_total{operation="Dashboard",outcome="partial"} 1.0' in metrics
    assert 'graphql_errors_total{code="FORBIDDEN"} 1.0' in metrics


def _wait_for(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_list_is_sent_before_any_billing_call_ends_and_leaving_cancels_the_rest(
    emulator: LiveEmulator, log_stream: io.StringIO
) -> None:
    # Billing calls are held by the emulator until their client goes away; the list is not.
    emulator.state.configure(hang_paths=("/v1/customers/",), hang_seconds=60)
    env = {
        "PARTNER_CENTER_URL": emulator.url,
        "CACHE_TTL_SECONDS": "0",
        "UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION": "3",
    }
    with live_service(env) as client:
        headers = {**AUTH, "Accept": V0_2}
        with client.stream(
            "POST", "/graphql", json={"query": DASHBOARD}, headers=headers
        ) as response:
            # Read by hand: leaving a `for` over `iter_bytes` would close the connection.
            chunks = response.iter_bytes()
            received = b""
            # The first part is whole once the delimiter after it is here, as for a client.
            while received.count(b"\r\n---") < 2:
                received += next(chunks)
            first = json.loads(received.split(b"\r\n\r\n", 1)[1].split(b"\r\n---")[0])
            assert len(first["data"]["customers"]["nodes"]) == CUSTOMERS
            # The first part is here; the billing calls it did not wait for are held.
            _wait_for(lambda: emulator.calls("billing") == 3)
            stats = emulator.state.stats.snapshot()
            assert stats["by_status"] == {"200": 1}, "only the list call has ended"
            assert stats["in_flight"] == 3
        # The client left mid-stream: the held calls are cancelled, the queued never sent.
        _wait_for(lambda: emulator.state.stats.snapshot()["in_flight"] == 0)
        _wait_for(lambda: bool(_request_lines(log_stream)))
        time.sleep(0.3)
        assert emulator.calls("billing") == 3
        assert emulator.state.stats.snapshot()["hung"] == 3
    (line,) = _request_lines(log_stream)
    assert line["outcome"] == "disconnected"
    assert line["status"] == 499


def _billing_misses(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("partner_center_cache_lookups_total") and "billing" in line and (
            'outcome="miss"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_call_another_operation_awaits_goes_on_when_its_starter_leaves(
    emulator: LiveEmulator,
) -> None:
    emulator.state.configure(latency_ms=300)
    env = {"PARTNER_CENTER_URL": emulator.url, "UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION": "3"}
    with live_service(env) as client, client.stream(
        "POST", "/graphql", json={"query": DASHBOARD}, headers={**AUTH, "Accept": V0_2}
    ) as leaving:
        chunks = leaving.iter_bytes()
        received = b""
        while b'"hasNext":true' not in received:
            received += next(chunks)
        # A second operation with the same credentials: its list is a cached answer, and
        # its billing calls join the first one's, all of them in flight or queued.
        with ThreadPoolExecutor(1) as pool:
            staying = pool.submit(post, client, PLAIN_DASHBOARD, None)
            _wait_for(lambda: _billing_misses(client) == 2 * CUSTOMERS)
            leaving.close()
            answer = staying.result(timeout=30).json()
    assert "errors" not in answer
    profiles = [node["billingProfile"] for node in answer["data"]["customers"]["nodes"]]
    assert len(profiles) == CUSTOMERS
    assert all(profiles)
    # Each profile was fetched once: the calls the first operation started went on for the
    # second, which sent none of its own.
    assert emulator.calls("billing") == CUSTOMERS
    assert emulator.calls("list") == 1


def test_a_bug_after_the_first_part_ends_the_body_and_is_logged_without_its_message(
    service: httpx.Client, monkeypatch: pytest.MonkeyPatch, log_stream: io.StringIO
) -> None:
    def broken(self: Parts, part: object) -> dict[str, Any]:
        raise ValueError("a secret the log must not show")

    monkeypatch.setattr(Parts, "_subsequent", broken)
    response = post(service, DASHBOARD, V0_2)
    assert response.status_code == 200
    parts = parts_of(response)
    assert len(parts) == 1
    assert parts[0]["hasNext"] is True
    _wait_for(lambda: bool(_request_lines(log_stream)))
    (line,) = _request_lines(log_stream)
    assert line["outcome"] == "failed"
    assert line["error_codes"] == ["INTERNAL_SERVER_ERROR"]
    assert "unexpected ValueError" in log_stream.getvalue()
    assert "secret" not in log_stream.getvalue()


STREAMED = """
query Streamed {
  customers(first: 6) { nodes @stream(initialCount: 2) { id companyProfile { companyName } } }
}
"""


def test_stream_is_accepted_in_every_format(service: httpx.Client) -> None:
    plain = post(service, STREAMED.replace(" @stream(initialCount: 2)", ""), None).json()
    nodes = plain["data"]["customers"]["nodes"]
    assert post(service, STREAMED, None).json() == plain
    v0_2 = parts_of(post(service, STREAMED, V0_2))
    assert v0_2[0]["data"]["customers"]["nodes"] == nodes[:2]
    entries = [entry for part in v0_2[1:] for entry in part.get("incremental", [])]
    streamed = [item for entry in entries for item in entry["items"]]
    assert streamed == nodes[2:]
    legacy = parts_of(post(service, STREAMED, DEFER_2022))
    assert legacy[0]["data"]["customers"]["nodes"] == nodes[:2]
    at = 2
    for part in legacy[1:]:
        for entry in part.get("incremental", []):
            assert entry["path"] == ["customers", "nodes", at]
            assert entry["items"] == nodes[at : at + len(entry["items"])]
            at += len(entry["items"])
    assert at == len(nodes)
