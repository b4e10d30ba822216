"""Upstream misbehaving: answers the façade cannot use become typed errors, in bounded memory.

The emulator's misbehaving fault kinds (`misbehave_rate` / `misbehave_kinds`, or one
customer's route through `customer_faults`) stand in for a broken Partner Center or a proxy
in front of it: truncated JSON, HTML error pages, a 200 of the wrong shape, a 50 MB answer,
a connection dropped mid-body. The façade runs as a subprocess, so its RSS is read from /proc.
"""

from __future__ import annotations

import httpx
import pytest

from bench.processes import RssSampler
from tests.reliability.conftest import Stack, error_codes, graphql
from tests.reliability.tally import Tally

LIST = "{ customers(first: 5) { nodes { id companyProfile { companyName } } } }"
BILLING = "{ customers(first: 10) { nodes { id billingProfile { email } } } }"
BY_ID = "query($id: ID!) { customer(id: $id) { id allowDelegatedAccess } }"
# UPSTREAM_MAX_ATTEMPTS's default: a dropped connection is retried until then.
MAX_ATTEMPTS = 4
# The façade reads at most UPSTREAM_MAX_RESPONSE_BYTES (16 MiB) of an answer; holding a
# whole 50 MB answer would grow it by more than this (16 MiB read costs it about 30 MB).
HUGE_RSS_GROWTH_LIMIT = 45 * 2**20
EMULATOR_RSS_GROWTH_LIMIT = 16 * 2**20


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("truncated_json", "UPSTREAM_ERROR"),
        ("html_error_page", "UPSTREAM_ERROR"),
        ("html_page", "UPSTREAM_ERROR"),
        ("wrong_shape", "UPSTREAM_ERROR"),
        ("connection_reset", "UPSTREAM_UNAVAILABLE"),
    ],
)
async def test_a_misbehaving_list_call_is_a_typed_error(
    client: httpx.AsyncClient, live: Stack, tally: Tally, kind: str, code: str
) -> None:
    live.upstream.configure(misbehave_rate=1.0, misbehave_kinds=[kind])
    status, document = await graphql(client, LIST, tally=tally)
    assert status == 200
    assert document["data"] is None
    assert error_codes(document) == [code]
    assert document["errors"][0]["path"] == ["customers"]


async def test_a_dropped_connection_is_retried_before_it_is_upstream_unavailable(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    live.upstream.configure(misbehave_rate=1.0, misbehave_kinds=["connection_reset"])
    live.upstream.reset_stats()
    _, document = await graphql(client, LIST, tally=tally)
    assert error_codes(document) == ["UPSTREAM_UNAVAILABLE"]
    assert live.upstream.calls() == MAX_ATTEMPTS


async def test_one_truncated_billing_profile_nulls_only_that_field(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    _, listed = await graphql(client, "{ customers(first: 10) { nodes { id } } }")
    ids = [node["id"] for node in listed["data"]["customers"]["nodes"]]
    live.upstream.configure(customer_faults={f"{ids[3]}/profiles/billing": "truncated_json"})
    status, document = await graphql(client, BILLING, tally=tally)
    assert status == 200
    nodes = document["data"]["customers"]["nodes"]
    assert [node["billingProfile"] is None for node in nodes] == [i == 3 for i in range(10)]
    assert error_codes(document) == ["UPSTREAM_ERROR"]
    assert document["errors"][0]["path"] == ["customers", "nodes", 3, "billingProfile"]


async def test_a_full_record_of_the_wrong_shape_is_upstream_error(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    _, listed = await graphql(client, "{ customers(first: 1) { nodes { id } } }")
    customer = listed["data"]["customers"]["nodes"][0]["id"]
    live.upstream.configure(customer_faults={customer: "wrong_shape"})
    status, document = await graphql(client, BY_ID, {"id": customer}, tally=tally)
    assert (status, document["data"]) == (200, {"customer": None})
    assert error_codes(document) == ["UPSTREAM_ERROR"]


async def test_fifty_megabyte_answers_are_upstream_errors_in_bounded_memory(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    live.upstream.configure(
        misbehave_rate=1.0, misbehave_kinds=["huge_response"], huge_response_bytes=50 * 2**20
    )
    service_before = live.service.rss_bytes()
    emulator_before = live.emulator.rss_bytes()
    with RssSampler(live.service.pid, interval=0.02) as service_rss, RssSampler(
        live.emulator.pid, interval=0.02
    ) as emulator_rss:
        for _ in range(3):
            status, document = await graphql(client, LIST, tally=tally)
            assert (status, error_codes(document)) == (200, ["UPSTREAM_ERROR"])
    tally.notes.append(
        f"50 MB answers: service RSS {service_before / 2**20:.0f} -> peak "
        f"{service_rss.peak / 2**20:.0f} MB, emulator {emulator_before / 2**20:.0f} -> peak "
        f"{emulator_rss.peak / 2**20:.0f} MB"
    )
    assert service_rss.peak - service_before < HUGE_RSS_GROWTH_LIMIT
    assert emulator_rss.peak - emulator_before < EMULATOR_RSS_GROWTH_LIMIT


async def test_the_service_answers_normally_once_the_upstream_recovers(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    live.upstream.configure(misbehave_rate=1.0)
    status, document = await graphql(client, LIST, tally=tally)
    assert error_codes(document)
    live.upstream.configure(misbehave_rate=0.0)
    status, document = await graphql(client, LIST, tally=tally)
    assert (status, document.get("errors")) == (200, None)
    assert len(document["data"]["customers"]["nodes"]) == 5
