"""Through a real Apollo gateway: queries that cross from the orders subgraph into this one."""

from __future__ import annotations

from tests.federation.conftest import Stack, post

ORDERS_WITH_CUSTOMERS = """
{
  recentOrders(first: 6) {
    number
    customer {
      id
      companyProfile { companyName domain }
      billingProfile { firstName email }
    }
  }
}
"""


def test_orders_reach_company_and_billing_profiles_with_one_call_per_distinct_customer(
    fresh: Stack,
) -> None:
    answer = post(fresh.gateway_url, ORDERS_WITH_CUSTOMERS)

    assert "errors" not in answer
    first, second, third = fresh.order_customers
    # The orders subgraph's fixed data: slots 0, 1, 0, 2, 1, 0.
    expected_owners = [first, second, first, third, second, first]
    orders = answer["data"]["recentOrders"]
    assert [order["number"] for order in orders] == [f"SO-100{i}" for i in range(1, 7)]
    for order, owner in zip(orders, expected_owners, strict=True):
        assert order["customer"] == {
            "id": owner.id,
            "companyProfile": {"companyName": owner.company_name, "domain": owner.domain},
            "billingProfile": {"firstName": owner.billing.first_name, "email": owner.billing.email},
        }
    # The minimum: the gateway sends six representations naming three customers; each
    # customer's full record (GET /v1/customers/{id}) carries both profiles inline.
    calls = fresh.calls()
    assert calls["customer"] == 3
    assert calls["total"] == 3


def test_customers_listed_here_get_their_orders_from_the_orders_subgraph(fresh: Stack) -> None:
    answer = post(
        fresh.gateway_url,
        """
        query ($id: ID!) {
          customer(id: $id) { id companyProfile { companyName } orders { number totalCents } }
        }
        """,
        {"id": fresh.order_customers[0].id},
    )

    assert "errors" not in answer
    customer = answer["data"]["customer"]
    assert customer["companyProfile"]["companyName"] == fresh.order_customers[0].company_name
    assert customer["orders"] == [
        {"number": "SO-1001", "totalCents": 12900},
        {"number": "SO-1003", "totalCents": 780},
        {"number": "SO-1006", "totalCents": 310},
    ]
    assert fresh.calls()["total"] == 1


def test_a_customers_page_joins_orders_for_one_list_call(fresh: Stack) -> None:
    answer = post(
        fresh.gateway_url,
        """
        {
          customers(first: 60) {
            nodes { id orders { number } }
            pageInfo { hasNextPage }
          }
        }
        """,
    )

    assert "errors" not in answer
    orders_by_customer = {
        node["id"]: [order["number"] for order in node["orders"]]
        for node in answer["data"]["customers"]["nodes"]
    }
    first, second, third = fresh.order_customers
    assert orders_by_customer[first.id] == ["SO-1001", "SO-1003", "SO-1006"]
    assert orders_by_customer[second.id] == ["SO-1002", "SO-1005"]
    assert orders_by_customer[third.id] == ["SO-1004"]
    assert sum(1 for numbers in orders_by_customer.values() if numbers) == 3
    assert fresh.calls()["total"] == 1
