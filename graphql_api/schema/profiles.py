"""Addresses, company profiles and billing profiles as GraphQL types, built from REST records."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from .. import partner_center as pc
from ..context import RequestContext
from ._fields import AwaitableOrValue, described, then

T = TypeVar("T")
Info = strawberry.Info[RequestContext, None]


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
    """`CustomerCompanyProfile` of the REST API."""

    customer_id: strawberry.Private[str]
    record: strawberry.Private[pc.CompanyProfile]
    # False when the record came from a list page, where only three fields are present.
    complete: strawberry.Private[bool]

    # Resolvers are sync and return a plain value whenever the record at hand answers (every
    # list-summary field of a listed customer); only a load returns an awaitable. An async
    # resolver would cost graphql-core a coroutine and a task per field, per customer.
    def _get(
        self, info: Info, get: Callable[[pc.CompanyProfile], T | None]
    ) -> AwaitableOrValue[T | None]:
        value = get(self.record)
        if value is None and not self.complete:
            return self._from_full(info, get)
        return value

    async def _from_full(
        self, info: Info, get: Callable[[pc.CompanyProfile], T | None]
    ) -> T | None:
        full = await info.context.loaders.company_profile.load(self.customer_id)
        return None if full is None else get(full)

    @described("The customer's Microsoft Entra tenant id.", graphql_type=str | None)
    def tenant_id(self, info: Info) -> AwaitableOrValue[str | None]:
        return self._get(info, lambda r: r.tenant_id)

    @described(
        "The customer's default domain, e.g. contoso.onmicrosoft.com.", graphql_type=str | None
    )
    def domain(self, info: Info) -> AwaitableOrValue[str | None]:
        return self._get(info, lambda r: r.domain)

    @described("The company's name.", graphql_type=str | None)
    def company_name(self, info: Info) -> AwaitableOrValue[str | None]:
        return self._get(info, lambda r: r.company_name)

    @described("The company's address; null without delegated access.", graphql_type=Address | None)
    def address(self, info: Info) -> AwaitableOrValue[Address | None]:
        return then(self._get(info, lambda r: r.address), Address.from_record)

    @described(
        "The company's email address; null without delegated access.", graphql_type=str | None
    )
    def email(self, info: Info) -> AwaitableOrValue[str | None]:
        return self._get(info, lambda r: r.email)

    @described(
        "The company's registration number, where one is recorded.", graphql_type=str | None
    )
    def organization_registration_number(self, info: Info) -> AwaitableOrValue[str | None]:
        return self._get(info, lambda r: r.organization_registration_number)


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
