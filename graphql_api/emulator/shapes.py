"""Render emulator records as Partner Center JSON (camelCase, `links`, `attributes`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from graphql_api.emulator.config import NextLinkStyle
from graphql_api.emulator.data import Address, BillingProfile, Customer

JSON = dict[str, Any]


def path(style: NextLinkStyle, rest: str) -> str:
    """A link uri: `/v1/...` now, `/...` in the pre-2021 (legacy) form."""
    return f"/v1{rest}" if style == "v1" else rest


def link(uri: str, headers: list[JSON] | None = None) -> JSON:
    """A Partner Center Link resource."""
    return {"uri": uri, "method": "GET", "headers": headers or []}


def address(value: Address) -> JSON:
    """An Address resource; empty optional lines are left out, as the real API does."""
    out: JSON = {
        "country": value.country,
        "region": value.region,
        "city": value.city,
        "state": value.state,
        "addressLine1": value.address_line1,
        "addressLine2": value.address_line2,
        "postalCode": value.postal_code,
        "firstName": value.first_name,
        "lastName": value.last_name,
        "phoneNumber": value.phone_number,
    }
    return {key: item for key, item in out.items() if item}


def company_profile(customer: Customer, style: NextLinkStyle, *, full: bool) -> JSON:
    """CustomerCompanyProfile: minimal in list items, fuller from the customer routes.

    Without delegated access the address and email are omitted, as documented for GDAP.
    """
    out: JSON = {
        "tenantId": customer.id,
        "domain": customer.domain,
        "companyName": customer.company_name,
    }
    if full and customer.delegated_access:
        out["address"] = address(customer.company_address)
        out["email"] = customer.company_email
    if full and customer.organization_registration_number:
        out["organizationRegistrationNumber"] = customer.organization_registration_number
    out["links"] = {"self": link(path(style, f"/customers/{customer.id}/profiles/company"))}
    out["attributes"] = {"objectType": "CustomerCompanyProfile"}
    return out


def billing_profile(customer: Customer, style: NextLinkStyle) -> JSON:
    """CustomerBillingProfile, with its etag in `attributes`."""
    billing: BillingProfile = customer.billing
    return {
        "id": billing.id,
        "firstName": billing.first_name,
        "lastName": billing.last_name,
        "email": billing.email,
        "culture": billing.culture,
        "language": billing.language,
        "companyName": billing.company_name,
        "defaultAddress": address(billing.default_address),
        "links": {"self": link(path(style, f"/customers/{customer.id}/profiles/billing"))},
        "attributes": {"etag": billing.etag, "objectType": "CustomerBillingProfile"},
    }


def list_item(customer: Customer, style: NextLinkStyle) -> JSON:
    """A customer as list pages show it: no billing profile, no allowDelegatedAccess."""
    return {
        "id": customer.id,
        "companyProfile": company_profile(customer, style, full=False),
        "relationshipToPartner": customer.relationship,
        "links": {"self": link(path(style, f"/customers/{customer.id}"))},
        "attributes": {"objectType": "Customer"},
    }


def full_customer(customer: Customer, style: NextLinkStyle) -> JSON:
    """A customer as `GET /customers/{id}` shows it, both profiles inline.

    `userCredentials` is included on purpose: a client must drop it, and tests prove it does.
    """
    out: JSON = {
        "id": customer.id,
        "commerceId": customer.commerce_id,
        "companyProfile": company_profile(customer, style, full=True),
        "billingProfile": billing_profile(customer, style),
        "relationshipToPartner": customer.relationship,
        "allowDelegatedAccess": customer.delegated_access,
        "userCredentials": {"userName": customer.user_name, "password": customer.password},
    }
    if customer.delegated_access:
        out["customDomains"] = list(customer.custom_domains)
    if customer.indirect_reseller_id:
        out["associatedPartnerId"] = customer.indirect_reseller_id
    out["links"] = {"self": link(path(style, f"/customers/{customer.id}"))}
    out["attributes"] = {"objectType": "Customer"}
    return out


def collection(
    items: list[JSON],
    *,
    self_uri: str,
    next_uri: str | None,
    token: str | None,
) -> JSON:
    """A ResourceCollection page; `totalCount` counts this page's items, as upstream does."""
    links: JSON = {"self": link(self_uri)}
    out: JSON = {"totalCount": len(items), "items": items, "links": links}
    if token is not None and next_uri is not None:
        links["next"] = link(next_uri, [{"key": "MS-ContinuationToken", "value": token}])
    out["attributes"] = {"objectType": "Collection"}
    if token is not None:
        out["continuationToken"] = token
    return out


def list_uri(style: NextLinkStyle, size: int, filter_json: str | None, *, seek: bool) -> str:
    """`/v1/customers?size=N[&filter=...][&seekOperation=Next]` in the chosen style."""
    query = f"size={size}"
    if filter_json is not None and not seek:
        query += "&filter=" + quote(filter_json, safe="")
    if seek:
        query += "&seekOperation=Next"
    return path(style, f"/customers?{query}")


__all__ = [
    "JSON",
    "address",
    "billing_profile",
    "collection",
    "company_profile",
    "full_customer",
    "link",
    "list_item",
    "list_uri",
    "path",
]
