"""Addresses, company profiles and billing profiles as GraphQL types, served by REST records.

Each type names its fields as the Partner Center record (`partner_center.models`) names its
attributes, and has no resolvers: a field returning one of these types returns the REST
record itself (`pc.Address`, `pc.CompanyProfile`, `pc.BillingProfile`), and each field reads
the attribute of its name. No copy is made per customer, and nothing the records hold that a
type does not declare (an etag) reaches a caller. `REST_RECORDS` pairs each type with its
record, for the test that keeps the names in step.
"""

from __future__ import annotations

import strawberry

from .. import partner_center as pc
from .demand import costs_an_upstream_call


@strawberry.type(description="A postal address, as Partner Center records it.")
class Address:
    """`Address` of the REST API."""

    id: str | None = strawberry.field(description="Partner Center's id of this address.")
    country: str | None = strawberry.field(description="Country, as an ISO 3166-1 alpha-2 code.")
    region: str | None = strawberry.field(description="Region.")
    city: str | None = strawberry.field(description="City.")
    state: str | None = strawberry.field(description="State or province.")
    district: str | None = strawberry.field(description="District.")
    address_line1: str | None = strawberry.field(description="First line of the street address.")
    address_line2: str | None = strawberry.field(description="Second line of the street address.")
    address_line3: str | None = strawberry.field(description="Third line of the street address.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    first_name: str | None = strawberry.field(description="First name of the contact.")
    middle_name: str | None = strawberry.field(description="Middle name of the contact.")
    last_name: str | None = strawberry.field(description="Last name of the contact.")
    phone_number: str | None = strawberry.field(description="Phone number of the contact.")
    email_address: str | None = strawberry.field(description="Email address of the contact.")



@strawberry.type(
    description=(
        "The customer's company profile. List results carry only tenantId, domain and "
        "companyName; asking for another field loads the customer's full record (one call "
        "per customer, shared with every other field that needs it). Without delegated "
        "(GDAP) access Partner Center omits address and email: null, not an error."
    )
)
class CompanyProfile:
    """`CustomerCompanyProfile` of the REST API.

    Plain fields, no resolvers: `Customer.companyProfile` returns the record that holds every
    field the operation asks for (the list summary's profile when the request's plan says it
    suffices, else the full record's), so a page of profiles costs graphql-core no resolver
    call, coroutine or task per field.
    """

    tenant_id: str | None = strawberry.field(
        description="The customer's Microsoft Entra tenant id."
    )
    domain: str | None = strawberry.field(
        description="The customer's default domain, e.g. contoso.onmicrosoft.com."
    )
    company_name: str | None = strawberry.field(description="The company's name.")
    # These three are not in list summaries: asked of a listed customer, they take its full
    # record (demand.py).
    address: Address | None = strawberry.field(
        description="The company's address; null without delegated access.",
        directives=costs_an_upstream_call(),
    )
    email: str | None = strawberry.field(
        description="The company's email address; null without delegated access.",
        directives=costs_an_upstream_call(),
    )
    organization_registration_number: str | None = strawberry.field(
        description="The company's registration number, where one is recorded.",
        directives=costs_an_upstream_call(),
    )



@strawberry.type(description="The customer's billing profile: who receives invoices, and where.")
class BillingProfile:
    """`CustomerBillingProfile` of the REST API."""

    id: str | None = strawberry.field(description="Partner Center's id of the billing profile.")
    first_name: str | None = strawberry.field(description="First name of the billing contact.")
    last_name: str | None = strawberry.field(description="Last name of the billing contact.")
    email: str | None = strawberry.field(description="Email address of the billing contact.")
    culture: str | None = strawberry.field(description="Culture for billing, e.g. en-US.")
    language: str | None = strawberry.field(description="Language for billing, e.g. en.")
    company_name: str | None = strawberry.field(description="Company name used for billing.")
    default_address: Address | None = strawberry.field(description="The billing address.")



# Each type and the REST record that serves it.
REST_RECORDS: dict[type, type] = {
    Address: pc.Address,
    CompanyProfile: pc.CompanyProfile,
    BillingProfile: pc.BillingProfile,
}


__all__ = ["REST_RECORDS", "Address", "BillingProfile", "CompanyProfile"]
