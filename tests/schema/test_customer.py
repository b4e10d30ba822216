"""`customer(id)`, `node(id)` and customer fields: the REST record in GraphQL, and its calls."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from graphql_api.partner_center.models import CustomerSummary
from graphql_api.schema.customer import Customer, RelationshipToPartner
from graphql_api.schema.loaders import Loaders
from tests.live_emulator import LiveEmulator

FULL = """
query($id: ID!) {
  customer(id: $id) {
    id commerceId relationshipToPartner allowDelegatedAccess associatedPartnerId customDomains
    companyProfile {
      tenantId domain companyName email organizationRegistrationNumber
      address { country city postalCode addressLine1 }
    }
    billingProfile {
      id firstName lastName email culture language companyName
      defaultAddress { country city postalCode }
    }
  }
}
"""


def delegated(live: LiveEmulator, wanted: bool) -> Any:
    return next(c for c in live.customers if c.delegated_access is wanted)


async def test_customer_by_id_has_the_records_fields(small: LiveEmulator, runner: Any) -> None:
    source = delegated(small, True)
    result = await runner(small.url)(FULL, {"id": source.id})
    assert result.errors is None
    assert result.data is not None
    customer = result.data["customer"]
    assert customer["id"] == source.id
    assert customer["commerceId"] == source.commerce_id
    assert customer["relationshipToPartner"] == source.relationship.upper()
    assert customer["allowDelegatedAccess"] is True
    assert customer["associatedPartnerId"] == source.indirect_reseller_id
    assert customer["customDomains"] == list(source.custom_domains)
    company = customer["companyProfile"]
    assert company["tenantId"] == source.id
    assert (company["domain"], company["companyName"]) == (source.domain, source.company_name)
    assert company["email"] == source.company_email
    assert company["address"]["city"] == source.company_address.city
    billing = customer["billingProfile"]
    assert (billing["firstName"], billing["lastName"]) == (
        source.billing.first_name,
        source.billing.last_name,
    )
    assert billing["defaultAddress"]["postalCode"] == source.billing.default_address.postal_code


async def test_fields_hidden_without_delegated_access_are_null_not_errors(
    small: LiveEmulator, runner: Any
) -> None:
    source = delegated(small, False)
    result = await runner(small.url)(FULL, {"id": source.id})
    assert result.errors is None
    assert result.data is not None
    customer = result.data["customer"]
    assert customer["customDomains"] is None
    assert customer["companyProfile"]["address"] is None
    assert customer["companyProfile"]["email"] is None


async def test_a_customer_with_both_profiles_costs_one_upstream_call(
    small: LiveEmulator, runner: Any
) -> None:
    await runner(small.url)(FULL, {"id": small.customers[0].id})
    assert small.calls() == 1
    assert small.calls("customer") == 1


async def test_node_returns_the_customer_by_its_raw_guid(
    small: LiveEmulator, runner: Any
) -> None:
    source = small.customers[3]
    result = await runner(small.url)(
        "query($id: ID!) { node(id: $id) { __typename id ... on Customer { commerceId } } }",
        {"id": source.id},
    )
    assert result.data == {
        "node": {"__typename": "Customer", "id": source.id, "commerceId": source.commerce_id}
    }


async def test_an_upper_case_id_finds_the_customer(small: LiveEmulator, runner: Any) -> None:
    source = small.customers[4]
    result = await runner(small.url)(
        "query($id: ID!) { customer(id: $id) { commerceId } }", {"id": source.id.upper()}
    )
    assert result.data == {"customer": {"commerceId": source.commerce_id}}


async def test_the_same_customer_asked_three_ways_costs_one_call(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "query($id: ID!) { a: customer(id: $id) { commerceId } b: customer(id: $id) { id } "
        "node(id: $id) { ... on Customer { allowDelegatedAccess } } }",
        {"id": small.customers[5].id},
    )
    assert result.errors is None
    assert small.calls() == 1


@pytest.mark.parametrize("customer_first", [False, True])
async def test_a_listed_customer_asked_by_id_in_the_same_request_costs_no_call(
    small: LiveEmulator, runner: Any, customer_first: bool
) -> None:
    listed = small.customers[2]
    fields = [
        "customers(first: 5) { nodes { id } }",
        "customer(id: $id) { id relationshipToPartner companyProfile { companyName } }",
    ]
    if customer_first:
        fields.reverse()
    result = await runner(small.url)(f"query($id: ID!) {{ {' '.join(fields)} }}",
                                     {"id": listed.id})
    assert result.errors is None
    assert result.data is not None
    assert result.data["customer"]["companyProfile"]["companyName"] == listed.company_name
    assert small.calls() == 1
    assert small.calls("list") == 1


async def test_list_fields_a_summary_carries_cost_no_call_beyond_the_page(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "{ customers(first: 10) { nodes { id relationshipToPartner "
        "companyProfile { tenantId domain companyName } } } }"
    )
    assert result.errors is None
    assert small.calls() == 1


async def test_a_field_beyond_the_summary_loads_each_listed_customer_once(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "{ customers(first: 10) { nodes { commerceId allowDelegatedAccess "
        "companyProfile { email } } } }"
    )
    assert result.errors is None
    assert result.data is not None
    commerce_ids = [node["commerceId"] for node in result.data["customers"]["nodes"]]
    assert commerce_ids == [customer.commerce_id for customer in small.customers[:10]]
    assert small.calls("customer") == 10
    assert small.calls("company") == 0


async def test_billing_profiles_of_a_page_cost_one_billing_call_per_customer(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "{ customers(first: 10) { nodes { billingProfile { email } } } }"
    )
    assert result.errors is None
    assert result.data is not None
    emails = [node["billingProfile"]["email"] for node in result.data["customers"]["nodes"]]
    assert emails == [customer.billing.email for customer in small.customers[:10]]
    assert small.calls() == 1 + 10
    assert small.calls("billing") == 10


async def test_billing_profile_comes_with_a_loaded_customer_record_at_no_extra_call(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "{ customers(first: 10) { nodes { allowDelegatedAccess billingProfile { email } } } }"
    )
    assert result.errors is None
    assert small.calls("customer") == 10
    assert small.calls("billing") == 0


async def test_no_credentials_of_the_customer_reach_the_response(
    small: LiveEmulator, runner: Any
) -> None:
    source = small.customers[0]
    result = await runner(small.url)(FULL, {"id": source.id})
    text = json.dumps(result.data) + json.dumps([e.formatted for e in result.errors or []])
    assert source.password not in text
    assert source.user_name not in text
    assert "password" not in text.lower()
    assert "usercredentials" not in text.lower()


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("reseller", RelationshipToPartner.RESELLER),  # the documented spelling
        ("microsoft_support", RelationshipToPartner.MICROSOFT_SUPPORT),
        ("Reseller", RelationshipToPartner.RESELLER),  # other spellings, read tolerantly
        ("MICROSOFT-SUPPORT", RelationshipToPartner.MICROSOFT_SUPPORT),
        ("a kind added later", RelationshipToPartner.UNKNOWN),
        (7, RelationshipToPartner.UNKNOWN),
        (["reseller"], RelationshipToPartner.UNKNOWN),  # unhashable: no lookup may raise
    ],
)
def test_a_listed_customers_relationship_in_any_spelling_is_a_member(
    sent: object, expected: RelationshipToPartner
) -> None:
    record = CustomerSummary(id="c-1", relationship_as_sent=sent)
    # A summary that carries the relationship needs no loader to answer it.
    customer = Customer.from_record(record, cast(Loaders, None))
    assert customer.relationship_to_partner() is expected
