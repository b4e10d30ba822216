"""Typed records for what Partner Center returns; no parsing and no HTTP here.

Names follow Python habits. The records of a response body are msgspec Structs that declare
the REST model's camelCase names (`rename="camel"`), so `_parsing.py` decodes a body straight
into them: fields the façade never reads (`links`, `attributes` of a list item, anything
new) are skipped without being built, and each value's type is checked on the way, in a
fraction of the time that building every value and then reading it by hand takes.
`gc=False`: the records are trees of strings, never cycles, so the collector need not track
the hundreds a page creates.
`userCredentials` has no record on purpose: it carries a password and is never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, ClassVar

import msgspec


class RelationshipToPartner(StrEnum):
    """How the customer relates to the partner (`relationshipToPartner`)."""

    NONE = "none"
    RESELLER = "reseller"
    ADVISOR = "advisor"
    SYNDICATION = "syndication"
    MICROSOFT_SUPPORT = "microsoft_support"
    UNKNOWN = "unknown"

    @classmethod
    def read(cls, value: object) -> RelationshipToPartner:
        """The kind a sent value names: case, `_` and `-` ignored; anything else UNKNOWN."""
        if type(value) is str:
            exact = _RELATIONSHIPS_AS_SENT.get(value)  # the documented spelling, at once
            if exact is not None:
                return exact
            key = value.replace("_", "").replace("-", "").strip().lower()
            return _RELATIONSHIPS.get(key, cls.UNKNOWN)
        return cls.UNKNOWN


_RELATIONSHIPS_AS_SENT = {member.value: member for member in RelationshipToPartner}
_RELATIONSHIPS = {member.value.replace("_", ""): member for member in RelationshipToPartner}


class CustomerSearchField(Enum):
    """The fields Partner Center can filter customers on, valued by their REST spelling."""

    COMPANY_NAME = "CompanyName"
    DOMAIN = "Domain"
    INDIRECT_RESELLER = "IndirectReseller"
    INDIRECT_CLOUD_SOLUTION_PROVIDER = "IndirectCloudSolutionProvider"


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """A prefix search: Partner Center's only operator for customers is `starts_with`."""

    field: CustomerSearchField
    value: str


class Address(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """A postal address (company address or billing default address)."""

    id: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    state: str | None = None
    district: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None
    email_address: str | None = None


class CompanyProfile(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """`CustomerCompanyProfile`; list items carry only tenant id, domain and company name."""

    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    # Absent without delegated (GDAP) access, and absent in list items.
    address: Address | None = None
    email: str | None = None
    organization_registration_number: str | None = None


class ResourceAttributes(msgspec.Struct, frozen=True, gc=False):
    """A resource's `attributes`: its etag (`objectType` is not kept)."""

    etag: str | None = None


class BillingProfile(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """`CustomerBillingProfile`."""

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None
    attributes: ResourceAttributes | None = None

    @property
    def etag(self) -> str | None:
        """The profile's etag (`attributes.etag`), which an update would send back."""
        return None if self.attributes is None else self.attributes.etag


class Customer(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """`Customer` as get-by-id returns it: the full record, profiles inline."""

    id: Annotated[str, msgspec.Meta(min_length=1)]
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    # Kept as sent and read by `relationship_to_partner`: Partner Center's spelling varies
    # (case, underscores) and a kind it adds later must not make the whole record unreadable.
    relationship_as_sent: object = msgspec.field(default=None, name="relationshipToPartner")
    # Only get-by-id returns this; list items leave it None.
    allow_delegated_access: bool | None = None
    associated_partner_id: str | None = None
    custom_domains: tuple[str, ...] | None = None

    # False here; True for list items (CustomerSummary), whose company profile is minimal
    # and which lack several fields. A class attribute, so no body can set it.
    is_summary: ClassVar[bool] = False

    @property
    def relationship_to_partner(self) -> RelationshipToPartner | None:
        """How the customer relates to the partner; None when the API did not say."""
        if self.relationship_as_sent is None:
            return None
        return RelationshipToPartner.read(self.relationship_as_sent)


class CustomerSummary(Customer, frozen=True, gc=False, rename="camel"):
    """A customer as a list page gives it (`Customer.is_summary` is True)."""

    is_summary: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class NextLink:
    """`links.next` as the API gave it: a uri under /v1 (normalised) and headers to copy."""

    uri: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One page of customers.

    `total_count` is the number of items in this page, as Partner Center counts it: it is not
    a grand total. `continuation_token` is None on the last page.
    """

    items: tuple[Customer, ...]
    total_count: int
    continuation_token: str | None = None
    next_link: NextLink | None = None
