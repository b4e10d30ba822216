"""The same customer (or page) reached twice in one operation costs one call."""

from __future__ import annotations

from tests.live_emulator import LiveEmulator
from tests.loaders.conftest import Service, calls

LISTED_BILLING = "customers(first: 100) { nodes { id billingProfile { email } } }"


def test_one_customer_under_two_aliases_costs_one_call(
    emulator: LiveEmulator, service: Service
) -> None:
    source = emulator.customers[120]

    answer = service.run(
        "query($id: ID!) { a: customer(id: $id) { billingProfile { email } } "
        "b: customer(id: $id) { allowDelegatedAccess billingProfile { firstName } } }",
        {"id": source.id},
    )

    assert "errors" not in answer
    assert answer["data"]["a"]["billingProfile"]["email"] == source.billing.email
    assert answer["data"]["b"]["billingProfile"]["firstName"] == source.billing.first_name
    assert calls(emulator)["total"] == 1


def test_a_listed_customer_asked_by_id_beside_the_list_costs_no_call_of_its_own(
    emulator: LiveEmulator, service: Service
) -> None:
    source = emulator.customers[42]

    answer = service.run(
        f"query($id: ID!) {{ {LISTED_BILLING} one: customer(id: $id) {{ "
        "relationshipToPartner billingProfile { email } } }",
        {"id": source.id},
    )

    assert "errors" not in answer
    assert answer["data"]["one"]["billingProfile"]["email"] == source.billing.email
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 100, 0)


def test_a_listed_customer_whose_full_record_is_asked_by_id_costs_one_call_for_both(
    emulator: LiveEmulator, service: Service
) -> None:
    # customer(id) needs that customer's full record; the list's billing profile of that
    # customer is read from it rather than costing a billing call.
    source = emulator.customers[42]

    answer = service.run(
        f"query($id: ID!) {{ one: customer(id: $id) {{ allowDelegatedAccess }} {LISTED_BILLING} }}",
        {"id": source.id},
    )

    assert "errors" not in answer
    nodes = answer["data"]["customers"]["nodes"]
    assert nodes[42]["billingProfile"]["email"] == source.billing.email
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 99, 1)


def test_an_unlisted_customer_beside_the_list_costs_its_own_call_once(
    emulator: LiveEmulator, service: Service
) -> None:
    source = emulator.customers[130]

    answer = service.run(
        f"query($id: ID!) {{ {LISTED_BILLING} "
        "one: customer(id: $id) { billingProfile { email } } }",
        {"id": source.id},
    )

    assert "errors" not in answer
    assert answer["data"]["one"]["billingProfile"]["email"] == source.billing.email
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 100, 1)


def test_two_aliases_of_one_list_cost_one_page_and_one_billing_call_per_customer(
    emulator: LiveEmulator, service: Service
) -> None:
    answer = service.run(
        f"{{ a: {LISTED_BILLING} "
        "b: customers(first: 100) { edges { node { billingProfile { firstName } } } } }"
    )

    assert "errors" not in answer
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 100, 0)


def test_two_aliases_of_one_list_share_the_plan_of_the_one_that_needs_full_records(
    emulator: LiveEmulator, service: Service
) -> None:
    answer = service.run(
        f"{{ a: {LISTED_BILLING} b: customers(first: 100) {{ nodes {{ allowDelegatedAccess }} }} }}"
    )

    assert "errors" not in answer
    counted = calls(emulator)
    assert (counted["list"], counted["billing"], counted["customer"]) == (1, 0, 100)
