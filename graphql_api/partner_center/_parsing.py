"""Reading Partner Center JSON bodies into the typed records of `models.py`.

Unknown fields are ignored and missing optional fields become None; a value of the wrong
type raises MalformedBody, so a changed API fails loudly instead of yielding half-records.
`userCredentials` (it carries a password) is never read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
import orjson

from ._paths import normalise_next_uri
from ._validation import (
    MAX_CONTINUATION_TOKEN_LENGTH,
    check_continuation_token,
    is_header_name_safe,
    is_header_value_safe,
)
from .models import (
    Address,
    BillingProfile,
    CompanyProfile,
    Customer,
    CustomerPage,
    NextLink,
    RelationshipToPartner,
)

_CONTINUATION_HEADER = "ms-continuationtoken"
# Headers a next link may not set: credentials, framing, and the ids we own per call.
_UNSAFE_LINK_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
        "expect",
        "accept",
        "accept-encoding",
        "ms-requestid",
        "ms-correlationid",
        "x-locale",
    }
)
_MAX_LINK_HEADERS = 16
_MAX_LINK_HEADER_VALUE = MAX_CONTINUATION_TOKEN_LENGTH

JsonObject = Mapping[str, object]
_BOM = b"\xef\xbb\xbf"


class MalformedBody(ValueError):
    """The body is not the JSON document we expect; the message says what is wrong."""


def decode_json(body: bytes, content_type: str | None) -> object:
    """Decode a success body: JSON content type, UTF-8 with or without a byte-order mark."""
    if not _is_json_media_type(content_type):
        raise MalformedBody("expected a JSON content type")
    try:
        # orjson parses a page several times faster than json; what it refuses (NaN,
        # integers past 64 bits, invalid UTF-8...) gets the standard library's verdict below.
        return orjson.loads(body[len(_BOM) :] if body.startswith(_BOM) else body)
    except orjson.JSONDecodeError:
        pass
    try:
        # utf-8-sig drops a leading BOM, which Partner Center is known to send.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedBody("body is not UTF-8") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedBody("body is not valid JSON") from None


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in {"application/json", "text/json"} or (
        media.startswith("application/") and media.endswith("+json")
    )


def parse_customer_page(document: object, base_url: httpx.URL) -> CustomerPage:
    """A `ResourceCollection<Customer>` list page; its items are summaries."""
    page = _object(document, "page")
    raw_items = page.get("items")
    if not isinstance(raw_items, list):
        raise MalformedBody("page.items must be a list")
    items = tuple(_customer(_object(item, "page item"), summary=True) for item in raw_items)
    total = page.get("totalCount")
    if total is None:
        total = len(items)
    elif isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise MalformedBody("page.totalCount must be a non-negative integer")
    next_link = _next_link(page, base_url)
    token = _optional_str(page, "continuationToken") or None
    if token is None and next_link is not None:
        token = next(
            (v for k, v in next_link.headers if k.lower() == _CONTINUATION_HEADER), None
        )
    if token is not None:
        try:
            check_continuation_token(token)
        except ValueError:
            raise MalformedBody("page.continuationToken cannot be sent back as a header") from None
    return CustomerPage(
        items=items, total_count=total, continuation_token=token, next_link=next_link
    )


def parse_customer(document: object) -> Customer:
    """A full `Customer` record from get-by-id, profiles inline."""
    return _customer(_object(document, "customer"), summary=False)


def parse_company_profile(document: object) -> CompanyProfile:
    """A `CustomerCompanyProfile`."""
    return _company_profile(_object(document, "companyProfile"))


def parse_billing_profile(document: object) -> BillingProfile:
    """A `CustomerBillingProfile`."""
    return _billing_profile(_object(document, "billingProfile"))


def parse_relationship(value: object) -> RelationshipToPartner:
    """Case-insensitive, snake_case or PascalCase; anything unrecognised is UNKNOWN."""
    if not isinstance(value, str):
        return RelationshipToPartner.UNKNOWN
    key = value.replace("_", "").replace("-", "").strip().lower()
    return _RELATIONSHIPS.get(key, RelationshipToPartner.UNKNOWN)


_RELATIONSHIPS = {member.value.replace("_", ""): member for member in RelationshipToPartner}
_RELATIONSHIPS_AS_SENT = {member.value: member for member in RelationshipToPartner}


def _customer(raw: JsonObject, *, summary: bool) -> Customer:
    # A page of 100 parses 100 of these: checks are written out inline (one type test per
    # value) rather than through a helper call per field, which was most of the parse time.
    get = raw.get
    customer_id = get("id")
    if not isinstance(customer_id, str) or not customer_id:
        raise MalformedBody("customer.id must be a non-empty string")
    commerce_id = get("commerceId")
    if commerce_id is not None and not isinstance(commerce_id, str):
        raise MalformedBody("commerceId must be a string")
    associated_partner_id = get("associatedPartnerId")
    if associated_partner_id is not None and not isinstance(associated_partner_id, str):
        raise MalformedBody("associatedPartnerId must be a string")
    allow_delegated_access = get("allowDelegatedAccess")
    if allow_delegated_access is not None and not isinstance(allow_delegated_access, bool):
        raise MalformedBody("allowDelegatedAccess must be a boolean")
    company = get("companyProfile")
    billing = get("billingProfile")
    relationship = get("relationshipToPartner")
    domains = get("customDomains")
    return Customer(
        id=customer_id,
        commerce_id=commerce_id,
        company_profile=(
            None if company is None else _company_profile(_object(company, "companyProfile"))
        ),
        billing_profile=(
            None if billing is None else _billing_profile(_object(billing, "billingProfile"))
        ),
        relationship_to_partner=None if relationship is None else _relationship(relationship),
        allow_delegated_access=allow_delegated_access,
        associated_partner_id=associated_partner_id,
        custom_domains=None if domains is None else _str_tuple(domains, "customDomains"),
        is_summary=summary,
    )


def _relationship(value: object) -> RelationshipToPartner:
    # The documented spelling is looked up as is; anything else is normalised first.
    exact = _RELATIONSHIPS_AS_SENT.get(value) if type(value) is str else None
    return exact if exact is not None else parse_relationship(value)


def _company_profile(raw: JsonObject) -> CompanyProfile:
    get = raw.get
    tenant_id = get("tenantId")
    domain = get("domain")
    company_name = get("companyName")
    email = get("email")
    registration = get("organizationRegistrationNumber")
    if tenant_id is not None and not isinstance(tenant_id, str):
        raise MalformedBody("tenantId must be a string")
    if domain is not None and not isinstance(domain, str):
        raise MalformedBody("domain must be a string")
    if company_name is not None and not isinstance(company_name, str):
        raise MalformedBody("companyName must be a string")
    if email is not None and not isinstance(email, str):
        raise MalformedBody("email must be a string")
    if registration is not None and not isinstance(registration, str):
        raise MalformedBody("organizationRegistrationNumber must be a string")
    address = get("address")
    return CompanyProfile(
        tenant_id=tenant_id,
        domain=domain,
        company_name=company_name,
        address=None if address is None else _address(_object(address, "address")),
        email=email,
        organization_registration_number=registration,
    )


def _billing_profile(raw: JsonObject) -> BillingProfile:
    address = _optional_object(raw, "defaultAddress")
    attributes = _optional_object(raw, "attributes")
    return BillingProfile(
        id=_optional_str(raw, "id"),
        first_name=_optional_str(raw, "firstName"),
        last_name=_optional_str(raw, "lastName"),
        email=_optional_str(raw, "email"),
        culture=_optional_str(raw, "culture"),
        language=_optional_str(raw, "language"),
        company_name=_optional_str(raw, "companyName"),
        default_address=_address(address) if address is not None else None,
        etag=_optional_str(attributes, "etag") if attributes is not None else None,
    )


def _address(raw: JsonObject) -> Address:
    return Address(
        id=_optional_str(raw, "id"),
        country=_optional_str(raw, "country"),
        region=_optional_str(raw, "region"),
        city=_optional_str(raw, "city"),
        state=_optional_str(raw, "state"),
        district=_optional_str(raw, "district"),
        address_line1=_optional_str(raw, "addressLine1"),
        address_line2=_optional_str(raw, "addressLine2"),
        address_line3=_optional_str(raw, "addressLine3"),
        postal_code=_optional_str(raw, "postalCode"),
        first_name=_optional_str(raw, "firstName"),
        middle_name=_optional_str(raw, "middleName"),
        last_name=_optional_str(raw, "lastName"),
        phone_number=_optional_str(raw, "phoneNumber"),
        email_address=_optional_str(raw, "emailAddress"),
    )


def _next_link(page: JsonObject, base_url: httpx.URL) -> NextLink | None:
    links = _optional_object(page, "links")
    if links is None:
        return None
    raw = _optional_object(links, "next")
    if raw is None:
        return None
    try:
        uri = normalise_next_uri(raw.get("uri"), base_url)
    except ValueError:
        # A link we will not follow (another host, another path) is dropped; the body's
        # continuation token, when present, still leads to the next page.
        return None
    return NextLink(uri=uri, headers=safe_link_headers(raw.get("headers")))


def safe_link_headers(raw: object) -> tuple[tuple[str, str], ...]:
    """The `[{key, value}]` pairs of a link that are safe to send; the rest are dropped."""
    if not isinstance(raw, list):
        return ()
    pairs: list[tuple[str, str]] = []
    for entry in raw[:_MAX_LINK_HEADERS]:
        if not isinstance(entry, dict):
            continue
        key, value = entry.get("key"), entry.get("value")
        if isinstance(key, str) and isinstance(value, str) and is_safe_link_header(key, value):
            pairs.append((key, value))
    return tuple(pairs)


def is_safe_link_header(key: object, value: object) -> bool:
    """True when a next link's header may be copied onto our request."""
    return (
        is_header_name_safe(key)
        and isinstance(key, str)
        and key.lower() not in _UNSAFE_LINK_HEADERS
        and not key.lower().startswith(("proxy-", "sec-"))
        and is_header_value_safe(value, max_length=_MAX_LINK_HEADER_VALUE)
    )


def _object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise MalformedBody(f"{what} must be a JSON object")
    return value


def _optional_object(raw: JsonObject, key: str) -> JsonObject | None:
    value = raw.get(key)
    if value is None:
        return None
    return _object(value, key)


def _optional_str(raw: JsonObject, key: str) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MalformedBody(f"{key} must be a string")


def _optional_bool(raw: JsonObject, key: str) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise MalformedBody(f"{key} must be a boolean")


def _str_tuple(value: object, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedBody(f"{key} must be a list of strings")
    return tuple(value)
