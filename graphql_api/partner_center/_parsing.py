"""Reading Partner Center JSON bodies into the typed records of `models.py`.

A body is decoded by msgspec straight into the records: unknown fields are skipped (never
built), missing optional fields become None, and a value of the wrong type raises
MalformedBody, so a changed API fails loudly instead of yielding half-records.
`userCredentials` (it carries a password) is not a field of any record, so it is never read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import httpx
import msgspec

from ._paths import normalise_next_uri
from ._validation import (
    MAX_CONTINUATION_TOKEN_LENGTH,
    check_continuation_token,
    is_header_name_safe,
    is_header_value_safe,
)
from .models import (
    BillingProfile,
    CompanyProfile,
    Customer,
    CustomerPage,
    CustomerSummary,
    NextLink,
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
_BOM = b"\xef\xbb\xbf"

T = TypeVar("T")


class MalformedBody(ValueError):
    """The body is not the JSON document we expect; the message says what is wrong."""


class _Link(msgspec.Struct, frozen=True, gc=False):
    # Both checked when the link is read (`_next_link`), where a bad one is dropped rather
    # than failing the page: the continuation token usually still leads on.
    uri: object = None
    headers: object = None


class _Links(msgspec.Struct, frozen=True, gc=False):
    next: _Link | None = None


class _Page(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    """`ResourceCollection<Customer>` as sent; `CustomerPage` is what the client returns."""

    items: tuple[CustomerSummary, ...]
    total_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    continuation_token: str | None = None
    links: _Links | None = None


_PAGE = msgspec.json.Decoder(_Page)
_CUSTOMER = msgspec.json.Decoder(Customer)
_COMPANY_PROFILE = msgspec.json.Decoder(CompanyProfile)
_BILLING_PROFILE = msgspec.json.Decoder(BillingProfile)


def _decode(body: bytes, content_type: str | None, decoder: msgspec.json.Decoder[T]) -> T:
    """A success body as `decoder`'s type: JSON content type, UTF-8, a leading BOM allowed."""
    if not _is_json_media_type(content_type):
        raise MalformedBody("expected a JSON content type")
    # Partner Center is known to lead its bodies with a UTF-8 byte-order mark.
    text = memoryview(body)[len(_BOM) :] if body.startswith(_BOM) else body
    try:
        return decoder.decode(text)
    except msgspec.ValidationError as exc:
        # Says which field and what type was expected (`... - at $.items[3].id`); msgspec
        # does not quote the value, so the message is safe to log.
        raise MalformedBody(str(exc)) from None
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the limit
        raise MalformedBody("body is not valid JSON") from None


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in {"application/json", "text/json"} or (
        media.startswith("application/") and media.endswith("+json")
    )


def page_reader(base_url: httpx.URL) -> Callable[[bytes, str | None], CustomerPage]:
    """A reader of list pages whose next links must lie under `base_url`."""

    def read(body: bytes, content_type: str | None) -> CustomerPage:
        return parse_customer_page(body, content_type, base_url)

    return read


def parse_customer_page(
    body: bytes, content_type: str | None, base_url: httpx.URL
) -> CustomerPage:
    """A `ResourceCollection<Customer>` list page; its items are summaries."""
    page = _decode(body, content_type, _PAGE)
    items = page.items
    next_link = _next_link(page.links, base_url)
    token = page.continuation_token or None
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
        items=items,
        total_count=len(items) if page.total_count is None else page.total_count,
        continuation_token=token,
        next_link=next_link,
    )


def parse_customer(body: bytes, content_type: str | None) -> Customer:
    """A full `Customer` record from get-by-id, profiles inline."""
    return _decode(body, content_type, _CUSTOMER)


def parse_company_profile(body: bytes, content_type: str | None) -> CompanyProfile:
    """A `CustomerCompanyProfile`."""
    return _decode(body, content_type, _COMPANY_PROFILE)


def parse_billing_profile(body: bytes, content_type: str | None) -> BillingProfile:
    """A `CustomerBillingProfile`."""
    return _decode(body, content_type, _BILLING_PROFILE)


def _next_link(links: _Links | None, base_url: httpx.URL) -> NextLink | None:
    if links is None or links.next is None:
        return None
    try:
        uri = normalise_next_uri(links.next.uri, base_url)
    except ValueError:
        # A link we will not follow (another host, another path) is dropped; the body's
        # continuation token, when present, still leads to the next page.
        return None
    return NextLink(uri=uri, headers=safe_link_headers(links.next.headers))


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
