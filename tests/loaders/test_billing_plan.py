"""Billing profiles of a listed page: the plan read from the selections picks the fewest calls."""

from __future__ import annotations

import pytest

from tests.live_emulator import LiveEmulator
from tests.loaders.conftest import Service, calls

BILLING = """
{ customers(first: 100) { edges { node { id billingProfile { email firstName } } } } }
"""


def billing_with(fields: str, fragments: str = "", *, variables: str = "") -> str:
    """The billing query of 100 listed customers, with `fields` asked beside billingProfile."""
    return (
        f"query{variables} {{ customers(first: 100) {{ edges {{ node {{ "
        f"id billingProfile {{ email }} {fields} }} }} }} }} {fragments}"
    )


def test_billing_of_a_hundred_listed_customers_costs_one_list_and_one_billing_call_each(
    emulator: LiveEmulator, service: Service
) -> None:
    answer = service.run(BILLING)

    assert "errors" not in answer
    edges = answer["data"]["customers"]["edges"]
    assert [e["node"]["billingProfile"]["email"] for e in edges] == [
        c.billing.email for c in emulator.customers[:100]
    ]
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 100, 0)
    assert counted["total"] == 101


@pytest.mark.parametrize(
    "fields",
    [
        "allowDelegatedAccess",
        "customDomains",
        "associatedPartnerId",
        # List items carry no commerceId: the full record has it.
        "commerceId",
        "companyProfile { email }",
        "companyProfile { companyName address { city } }",
        "companyProfile { organizationRegistrationNumber }",
    ],
)
def test_billing_beside_a_full_record_field_costs_one_customer_call_each_and_no_billing_call(
    emulator: LiveEmulator, service: Service, fields: str
) -> None:
    answer = service.run(billing_with(fields))

    assert "errors" not in answer
    edges = answer["data"]["customers"]["edges"]
    assert [e["node"]["billingProfile"]["email"] for e in edges] == [
        c.billing.email for c in emulator.customers[:100]
    ]
    counted = calls(emulator)
    assert (counted["list"], counted["customer"], counted["billing"]) == (1, 100, 0)
    assert counted["total"] == 101


@pytest.mark.parametrize(
    ("fields", "fragments"),
    [
        ("companyProfile { ...Contact }", "fragment Contact on CompanyProfile { email }"),
        ("...Delegation", "fragment Delegation on Customer { allowDelegatedAccess }"),
        ("... on Customer { customDomains }", ""),
    ],
)
def test_full_record_fields_inside_fragments_count_in_the_plan(
    emulator: LiveEmulator, service: Service, fields: str, fragments: str
) -> None:
    answer = service.run(billing_with(fields, fragments))

    assert "errors" not in answer
    counted = calls(emulator)
    assert (counted["customer"], counted["billing"]) == (100, 0)


@pytest.mark.parametrize(("full", "customer", "billing"), [(True, 100, 0), (False, 0, 100)])
def test_a_full_record_field_left_out_by_include_does_not_count_in_the_plan(
    emulator: LiveEmulator, service: Service, full: bool, customer: int, billing: int
) -> None:
    query = billing_with(
        "allowDelegatedAccess @include(if: $full)", variables="($full: Boolean!)"
    )

    answer = service.run(query, {"full": full})

    assert "errors" not in answer
    counted = calls(emulator)
    assert (counted["customer"], counted["billing"]) == (customer, billing)


def test_summary_fields_of_a_hundred_listed_customers_cost_no_call_beyond_the_page(
    emulator: LiveEmulator, service: Service
) -> None:
    answer = service.run(
        "{ customers(first: 100) { nodes { id __typename relationshipToPartner "
        "companyProfile { __typename tenantId domain companyName } } } }"
    )

    assert "errors" not in answer
    nodes = answer["data"]["customers"]["nodes"]
    assert [(n["companyProfile"]["domain"], n["companyProfile"]["companyName"]) for n in nodes] == [
        (c.domain, c.company_name) for c in emulator.customers[:100]
    ]
    assert calls(emulator)["total"] == 1


@pytest.mark.parametrize(
    ("status", "code"), [(404, "NOT_FOUND"), (403, "FORBIDDEN"), (429, "THROTTLED")]
)
def test_one_failing_billing_profile_nulls_that_field_only(
    emulator: LiveEmulator, service: Service, status: int, code: str
) -> None:
    failing = 37
    emulator.state.configure(
        customer_faults={f"{emulator.customers[failing].id}/profiles/billing": status}
    )

    answer = service.run(BILLING)

    edges = answer["data"]["customers"]["edges"]
    profiles = [edge["node"]["billingProfile"] for edge in edges]
    assert profiles[failing] is None
    assert edges[failing]["node"]["id"] == emulator.customers[failing].id
    delivered = [p["email"] for i, p in enumerate(profiles) if i != failing]
    expected = [c.billing.email for i, c in enumerate(emulator.customers[:100]) if i != failing]
    assert delivered == expected
    [error] = answer["errors"]
    assert error["path"] == ["customers", "edges", failing, "node", "billingProfile"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["partnerCenter"]["status"] == status
    assert calls(emulator)["billing"] == 100


def test_one_failing_full_record_nulls_that_customers_fields_only(
    emulator: LiveEmulator, service: Service
) -> None:
    failing = 12
    emulator.state.configure(customer_faults={emulator.customers[failing].id: 403})

    answer = service.run(billing_with("allowDelegatedAccess"))

    edges = answer["data"]["customers"]["edges"]
    assert edges[failing]["node"]["billingProfile"] is None
    assert edges[failing]["node"]["allowDelegatedAccess"] is None
    assert sum(edge["node"]["billingProfile"] is not None for edge in edges) == 99
    paths = sorted(tuple(map(str, error["path"])) for error in answer["errors"])
    assert paths == [
        ("customers", "edges", str(failing), "node", "allowDelegatedAccess"),
        ("customers", "edges", str(failing), "node", "billingProfile"),
    ]
    assert {error["extensions"]["code"] for error in answer["errors"]} == {"FORBIDDEN"}
    # The failed record is not asked again for the billing profile, nor by its own route.
    counted = calls(emulator)
    assert (counted["customer"], counted["billing"]) == (100, 0)


def test_one_document_run_with_each_include_value_plans_each_run_anew(
    emulator: LiveEmulator, service: Service
) -> None:
    # The plan of a parsed document is memoized (planning.py); a Boolean variable that
    # includes or leaves out a full-record field must still change it from run to run.
    query = billing_with(
        "allowDelegatedAccess @include(if: $full)", variables="($full: Boolean!)"
    )
    seen = []
    for full in (True, False, True):
        before = calls(emulator)
        assert "errors" not in service.run(query, {"full": full})
        after = calls(emulator)
        seen.append(
            (after["customer"] - before["customer"], after["billing"] - before["billing"])
        )
    assert seen == [(100, 0), (0, 100), (100, 0)]


def test_two_connection_fields_of_one_document_each_have_their_own_plan(
    emulator: LiveEmulator, service: Service
) -> None:
    # The memoized plan is per field position: the plain page must not take the full one's
    # plan (a full record for each customer), nor the other way round.
    query = (
        "{ full: customers(first: 3) { nodes { id allowDelegatedAccess billingProfile { email } } }"
        " plain: customers(first: 5) { nodes { id billingProfile { email } } } }"
    )
    for _ in range(2):  # the second run reads the memoized plans
        before = calls(emulator)
        answer = service.run(query)
        assert "errors" not in answer
        after = calls(emulator)
        spent = {route: after[route] - before[route] for route in ("customer", "billing")}
        # Customers 1-3: full records (they carry billing); 4-5: a billing call each.
        assert spent == {"customer": 3, "billing": 2}
