"""Checks on caller input, run before any request is sent."""

from __future__ import annotations

import re
from typing import TypeGuard

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 500
# Partner Center's tokens are a few hundred characters; a bound keeps headers (and cursors) small.
MAX_CONTINUATION_TOKEN_LENGTH = 4096

_GUID = re.compile(
    r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
# A header value that cannot split a header or a request: printable ASCII, and no edge spaces
# (which HTTP strips, so the value sent would not be the value given).
_HEADER_VALUE = re.compile(r"\A[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?\Z")
# RFC 9110 `token`: the characters a header name may use.
_HEADER_NAME = re.compile(r"\A[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def is_header_value_safe(value: object, *, max_length: int) -> TypeGuard[str]:
    """True when `value` can be sent as a header value exactly as given."""
    return (
        isinstance(value, str)
        and len(value) <= max_length
        and _HEADER_VALUE.match(value) is not None
    )


def is_header_name_safe(name: object) -> TypeGuard[str]:
    """True when `name` is a syntactically valid header name."""
    return isinstance(name, str) and len(name) <= 128 and _HEADER_NAME.match(name) is not None


def check_page_size(size: object) -> int:
    """Return `size` if it is a page size Partner Center accepts (1..500), else raise ValueError."""
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError("page size must be an integer")
    if not MIN_PAGE_SIZE <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE}")
    return size


def is_guid(text: object) -> TypeGuard[str]:
    """True when `text` is a GUID in its canonical 8-4-4-4-12 form (any case)."""
    return isinstance(text, str) and _GUID.match(text) is not None


def check_customer_id(customer_id: object) -> str:
    """Return `customer_id` if it is a tenant GUID, else raise ValueError (without echoing it)."""
    if not is_guid(customer_id):
        raise ValueError("customer id must be a GUID")
    return customer_id


def check_continuation_token(token: object) -> str:
    """Return `token` if it can travel in the MS-ContinuationToken header, else raise ValueError."""
    if not is_header_value_safe(token, max_length=MAX_CONTINUATION_TOKEN_LENGTH):
        raise ValueError(
            "continuation token must be printable ASCII of at most "
            f"{MAX_CONTINUATION_TOKEN_LENGTH} characters"
        )
    return token
