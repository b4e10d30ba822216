"""`_entities` as a gateway calls it: customers by key, through the per-request loader."""

from __future__ import annotations

from typing import Any

from graphql_api.config import UpstreamSettings
from tests.federation.conftest import Subgraph, post

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Customer { id companyProfile { companyName } billingProfile { email } }
  }
}
"""
# Well-formed, and not among the emulator's customers (checked in the test).
UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"


def _keys(*ids: str) -> dict[str, Any]:
    return {"representations": [{"__typename": "Customer", "id": i} for i in ids]}


def test_an_unknown_id_is_null_with_not_found_and_the_other_entities_resolve(
    fresh_subgraph: Subgraph,
) -> None:
    first, second = fresh_subgraph.customers[3], fresh_subgraph.customers[9]
    assert UNKNOWN_ID not in {c.id for c in fresh_subgraph.customers}

    answer = post(fresh_subgraph.service_url, ENTITIES, _keys(first.id, UNKNOWN_ID, second.id))

    entities = answer["data"]["_entities"]
    assert entities[1] is None
    assert [entities[0]["id"], entities[2]["id"]] == [first.id, second.id]
    assert entities[0]["billingProfile"] == {"email": first.billing.email}
    assert entities[2]["companyProfile"] == {"companyName": second.company_name}
    [error] = answer["errors"]
    assert error["path"] == ["_entities", 1]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["partnerCenter"]["status"] == 404
    assert fresh_subgraph.calls()["customer"] == 3


def test_a_malformed_id_is_bad_user_input_and_costs_no_call(fresh_subgraph: Subgraph) -> None:
    known = fresh_subgraph.customers[5]

    answer = post(fresh_subgraph.service_url, ENTITIES, _keys(known.id, "not-a-guid"))

    assert answer["data"]["_entities"][0]["id"] == known.id
    assert answer["data"]["_entities"][1] is None
    [error] = answer["errors"]
    assert error["path"] == ["_entities", 1]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert fresh_subgraph.calls()["total"] == 1


def test_a_hundred_keys_cost_one_call_per_distinct_id_run_concurrently(
    fresh_subgraph: Subgraph,
) -> None:
    # 100 keys naming 80 customers, as a gateway sends them (repeats included, unsorted).
    distinct = [c.id for c in fresh_subgraph.customers[:80]]
    ids = [distinct[(i * 7) % 80] for i in range(100)]
    # Latency keeps each call open long enough for the batch's calls to overlap.
    fresh_subgraph.emulator.configure(latency_ms=100)

    answer = post(fresh_subgraph.service_url, ENTITIES, _keys(*ids))

    assert "errors" not in answer
    assert [entity["id"] for entity in answer["data"]["_entities"]] == ids
    calls = fresh_subgraph.calls()
    assert calls["customer"] == 80
    assert calls["total"] == 80
    # One batch under the client's in-flight cap: never one call at a time (that would be 1),
    # never past the cap. Reaching the cap exactly depends on how busy the machine is.
    cap = UpstreamSettings().max_in_flight
    assert cap // 2 <= calls["max_in_flight"] <= cap
