"""Typed records for what Partner Center returns; no parsing and no HTTP here.

Names follow Python habits; the REST model's camelCase names are mapped by the parser.
`userCredentials` has no record on purpose: it carries a password and is dropped at parse time.

Customers and their profiles are parsed by the hundred per page, so they are NamedTuples:
immutable like the frozen dataclasses used elsewhere, and built about three times faster
(a frozen dataclass sets each field through `object.__setattr__`): 2.4 µs → 0.9 µs per
customer record, measured with timeit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import NamedTuple


class RelationshipToPartner(StrEnum):
    """How the customer relates to the partner (`relationshipToPartner`)."""

    NONE = "none"
    RESELLER = "reseller"
    ADVISOR = "advisor"
    SYNDICATION = "syndication"
    MICROSOFT_SUPPORT = "microsoft_support"
    UNKNOWN = "unknown"


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


class Address(NamedTuple):
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


class CompanyProfile(NamedTuple):
    """`CustomerCompanyProfile`; list items carry only tenant id, domain and company name."""

    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    # Absent without delegated (GDAP) access, and absent in list items.
    address: Address | None = None
    email: str | None = None
    organization_registration_number: str | None = None


class BillingProfile(NamedTuple):
    """`CustomerBillingProfile`."""

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None
    etag: str | None = None


class Customer(NamedTuple):
    """`Customer`, either a list item (`is_summary`) or the full record from get-by-id."""

    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: RelationshipToPartner | None = None
    # Only get-by-id returns this; list items leave it None.
    allow_delegated_access: bool | None = None
    associated_partner_id: str | None = None
    custom_domains: tuple[str, ...] | None = None
    # True for list items: their company profile is minimal and several fields are absent.
    is_summary: bool = False


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
