"""Addresses, company profiles and billing profiles as GraphQL types, built from REST records."""

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

    @classmethod
    def from_record(cls, record: pc.Address | None) -> Address | None:
        """The GraphQL address of a REST record (None stays None)."""
        if record is None:
            return None
        return cls(
            id=record.id,
            country=record.country,
            region=record.region,
            city=record.city,
            state=record.state,
            district=record.district,
            address_line1=record.address_line1,
            address_line2=record.address_line2,
            address_line3=record.address_line3,
            postal_code=record.postal_code,
            first_name=record.first_name,
            middle_name=record.middle_name,
            last_name=record.last_name,
            phone_number=record.phone_number,
            email_address=record.email_address,
        )


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

    Plain fields, no resolvers: `Customer.companyProfile` builds it from a record that holds
    every field the operation asks for (the list summary when the request's plan says it
    suffices, else the full record), so a page of profiles costs graphql-core no resolver
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

    @classmethod
    def from_record(cls, record: pc.CompanyProfile) -> CompanyProfile:
        """The GraphQL company profile of a REST record (a list summary's or a full one)."""
        return cls(
            tenant_id=record.tenant_id,
            domain=record.domain,
            company_name=record.company_name,
            # Absent from every list summary: the call is skipped, not made to return None.
            address=None if record.address is None else Address.from_record(record.address),
            email=record.email,
            organization_registration_number=record.organization_registration_number,
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

    @classmethod
    def from_record(cls, record: pc.BillingProfile) -> BillingProfile:
        """The GraphQL billing profile of a REST record."""
        return cls(
            id=record.id,
            first_name=record.first_name,
            last_name=record.last_name,
            email=record.email,
            culture=record.culture,
            language=record.language,
            company_name=record.company_name,
            default_address=Address.from_record(record.default_address),
        )


__all__ = ["Address", "BillingProfile", "CompanyProfile"]
