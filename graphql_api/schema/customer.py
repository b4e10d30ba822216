"""The `Customer` type: a Partner Center customer, resolved from a list summary or full record.

A customer reached through `customers` holds the list item (a summary). Fields the summary
lacks load the full record through the request's customer loader: one call per customer,
whatever the number of fields asked.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import strawberry

from .. import partner_center as pc
from ..context import RequestContext
from ._fields import described
from .errors import upstream_error
from .inputs import customer_id
from .node import Node
from .planning import customer_needs
from .profiles import BillingProfile, CompanyProfile

T = TypeVar("T")
Info = strawberry.Info[RequestContext, None]


@strawberry.enum(description="How the customer relates to the partner.")
class RelationshipToPartner(Enum):
    """`relationshipToPartner` of the REST API."""

    NONE = strawberry.enum_value("none", description="No relationship.")
    RESELLER = strawberry.enum_value("reseller", description="The partner resells to them.")
    ADVISOR = strawberry.enum_value("advisor", description="The partner is their advisor.")
    SYNDICATION = strawberry.enum_value("syndication", description="A syndication partner.")
    MICROSOFT_SUPPORT = strawberry.enum_value(
        "microsoft_support", description="Served through Microsoft support."
    )
    UNKNOWN = strawberry.enum_value("unknown", description="Partner Center does not say.")


@strawberry.federation.type(
    # The federation key is the raw Partner Center id: other subgraphs know customers by it.
    keys=["id"],
    description=(
        "A customer of the partner: a Microsoft Entra tenant. Fields Partner Center leaves out "
        "without delegated (GDAP) access are null, not errors."
    ),
)
class Customer(Node):
    """`Customer` of the REST API; `userCredentials` (a password) is never exposed."""

    id: strawberry.ID = strawberry.field(
        description="The Partner Center customer id: the customer's Microsoft Entra tenant GUID."
    )
    record: strawberry.Private[pc.Customer]

    @classmethod
    def from_record(cls, record: pc.Customer) -> Customer:
        """The GraphQL customer for a summary or full REST record."""
        return cls(id=strawberry.ID(record.id), record=record)

    @classmethod
    async def by_id(cls, info: Info, id: str) -> Customer:
        """The customer with this Partner Center id, through the request's loaders.

        A malformed id is BAD_USER_INPUT without an upstream call; an unknown one NOT_FOUND.
        A customer listed in the same request is its summary, unless the field asks for more
        than the summary holds: then its full record, which also carries the billing profile.
        """
        checked = customer_id(id)
        needs = customer_needs(info)
        try:
            record = await info.context.loaders.known_customer(
                checked, needs_full=needs.needs_full
            )
        except pc.NotFound as exc:
            raise upstream_error(exc, message=f"No customer has id {checked}.") from None
        return cls.from_record(record)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Customer:
        """The customer a gateway names by key in `_entities` (federation).

        Strawberry hands graphql-core one awaitable per representation and graphql-core
        gathers them, so the keys of one `_entities` call meet in one loader batch:
        de-duplicated, loaded concurrently under the client's in-flight cap. An unknown id
        fails its own entity (null with NOT_FOUND); the others still resolve.
        """
        return await cls.by_id(info, id)

    async def _full(self, info: Info) -> pc.Customer:
        if not self.record.is_summary:
            return self.record
        return await info.context.loaders.customer.load(self.record.id)

    async def _get(self, info: Info, get: Callable[[pc.Customer], T | None]) -> T | None:
        # A summary's missing field may exist in the full record; a full record's is absent.
        value = get(self.record)
        if value is None and self.record.is_summary:
            value = get(await self._full(info))
        return value

    @described("The customer's commerce id.")
    async def commerce_id(self, info: Info) -> str | None:
        return await self._get(info, lambda r: r.commerce_id)

    @described("How the customer relates to the partner.")
    async def relationship_to_partner(self, info: Info) -> RelationshipToPartner | None:
        value = await self._get(info, lambda r: r.relationship_to_partner)
        return None if value is None else RelationshipToPartner[value.name]

    @described(
        "Whether the partner has delegated admin access to the customer's tenant."
    )
    async def allow_delegated_access(self, info: Info) -> bool | None:
        return (await self._full(info)).allow_delegated_access

    @described(
        "The indirect reseller associated with the customer, when an indirect "
        "provider set one."
    )
    async def associated_partner_id(self, info: Info) -> str | None:
        return (await self._full(info)).associated_partner_id

    @described("The customer's domains; null without delegated access.")
    async def custom_domains(self, info: Info) -> list[str] | None:
        domains = (await self._full(info)).custom_domains
        return None if domains is None else list(domains)

    @described(
        "The company profile: from the list result when it suffices, else from "
        "the customer's full record."
    )
    async def company_profile(self, info: Info) -> CompanyProfile | None:
        record = await self._full(info) if self.record.company_profile is None else self.record
        if record.company_profile is None:
            return None
        return CompanyProfile(
            customer_id=self.record.id,
            record=record.company_profile,
            complete=not record.is_summary,
        )

    @described(
        "The billing profile: one upstream call per customer, batched per "
        "request, and none when the full customer record is loaded already."
    )
    async def billing_profile(self, info: Info) -> BillingProfile | None:
        if not self.record.is_summary and self.record.billing_profile is not None:
            return BillingProfile.from_record(self.record.billing_profile)
        return BillingProfile.from_record(
            await info.context.loaders.billing_profile.load(self.record.id)
        )


__all__ = ["Customer", "RelationshipToPartner"]
