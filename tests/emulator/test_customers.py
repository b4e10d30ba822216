"""The per-customer routes: full record, company and billing profiles, ids, GDAP visibility."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graphql_api.emulator import EmulatorConfig, Principal
from graphql_api.emulator.data import Customer
from tests.emulator.conftest import Served, body


def _customer(served: Served, *, delegated: bool = True) -> Customer:
    return next(c for c in served.emulator.dataset.customers if c.delegated_access is delegated)


def test_get_by_id_returns_both_profiles_inline(default_emulator: Served) -> None:
    customer = _customer(default_emulator)
    record = body(default_emulator.client.get(f"/v1/customers/{customer.id}"))
    assert record["id"] == customer.id
    assert record["companyProfile"]["companyName"] == customer.company_name
    assert record["billingProfile"]["attributes"]["objectType"] == "CustomerBillingProfile"
    assert record["attributes"] == {"objectType": "Customer"}
    assert record["links"]["self"]["uri"] == f"/v1/customers/{customer.id}"


def test_get_by_id_carries_user_credentials(default_emulator: Served) -> None:
    customer = _customer(default_emulator)
    record = body(default_emulator.client.get(f"/v1/customers/{customer.id}"))
    assert record["userCredentials"] == {"userName": customer.user_name,
                                         "password": customer.password}


def test_get_by_id_with_delegated_access_shows_address_email_domains(
    default_emulator: Served,
) -> None:
    customer = _customer(default_emulator, delegated=True)
    record = body(default_emulator.client.get(f"/v1/customers/{customer.id}"))
    assert record["allowDelegatedAccess"] is True
    assert record["customDomains"] == list(customer.custom_domains)
    assert record["companyProfile"]["email"] == customer.company_email
    assert record["companyProfile"]["address"]["city"] == customer.company_address.city


def test_get_by_id_without_delegated_access_omits_address_email_domains(
    default_emulator: Served,
) -> None:
    customer = _customer(default_emulator, delegated=False)
    record = body(default_emulator.client.get(f"/v1/customers/{customer.id}"))
    assert record["allowDelegatedAccess"] is False
    assert "customDomains" not in record
    assert "email" not in record["companyProfile"]
    assert "address" not in record["companyProfile"]


def test_company_profile_route_matches_the_inline_profile(default_emulator: Served) -> None:
    customer = _customer(default_emulator)
    client = default_emulator.client
    inline = body(client.get(f"/v1/customers/{customer.id}"))["companyProfile"]
    assert body(client.get(f"/v1/customers/{customer.id}/profiles/company")) == inline


def test_billing_profile_route_has_an_etag(default_emulator: Served) -> None:
    customer = _customer(default_emulator)
    profile = body(default_emulator.client.get(f"/v1/customers/{customer.id}/profiles/billing"))
    assert profile["id"] == customer.billing.id
    assert profile["attributes"] == {"etag": customer.billing.etag,
                                     "objectType": "CustomerBillingProfile"}
    assert profile["defaultAddress"]["country"] == customer.billing.default_address.country


def test_upper_case_id_finds_the_customer(default_emulator: Served) -> None:
    customer = _customer(default_emulator)
    response = default_emulator.client.get(f"/v1/customers/{customer.id.upper()}")
    assert body(response)["id"] == customer.id


@pytest.mark.parametrize("suffix", ["", "/profiles/company", "/profiles/billing"])
def test_unknown_customer_is_404_tenant_not_found(default_emulator: Served, suffix: str) -> None:
    response = default_emulator.client.get(
        f"/v1/customers/00000000-0000-4000-8000-000000000000{suffix}"
    )
    assert response.status_code == 404
    assert body(response) == {"code": 60003, "description": "Tenant not found", "data": [],
                              "source": "PartnerFD"}


@pytest.mark.parametrize("bad_id", ["not-a-guid", "12345", "0000000000004000800000000000000z"])
def test_malformed_id_is_400_invalid_customer_id(default_emulator: Served, bad_id: str) -> None:
    response = default_emulator.client.get(f"/v1/customers/{bad_id}/profiles/billing")
    assert response.status_code == 400
    assert body(response)["code"] == 900118
    assert body(response)["description"] == "Invalid Customer Id"


def test_company_profile_refuses_app_only_tokens(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, require_issued_tokens=True,
                                  token_checker=lambda token: Principal(token, app_only=True)))
    customer_id = served.emulator.dataset.customers[0].id
    response = served.client.get(f"/v1/customers/{customer_id}/profiles/company")
    assert response.status_code == 403
    assert body(response)["code"] == 900329


def test_billing_profile_allows_app_only_tokens(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, require_issued_tokens=True,
                                  token_checker=lambda token: Principal(token, app_only=True)))
    customer_id = served.emulator.dataset.customers[0].id
    assert served.client.get(f"/v1/customers/{customer_id}/profiles/billing").status_code == 200
