"""Encoding a customer search as Partner Center's `filter` query parameter."""

from __future__ import annotations

import json

from .models import CustomerFilter, CustomerSearchField

# Partner Center documents no bound; this one keeps the percent-encoded URL far below the
# request-line limits of servers and proxies (256 four-byte characters are about 3 KB encoded).
MAX_FILTER_VALUE_LENGTH = 256

# The only operator Partner Center supports for customers, in the documented spelling.
_OPERATOR = "starts_with"


def encode_filter(search: CustomerFilter) -> str:
    """Serialise `search` to the filter JSON; httpx URL-encodes it as a query parameter.

    Raises ValueError for an unknown field, or an empty, over-long or unencodable value.
    """
    if not isinstance(search, CustomerFilter) or not isinstance(
        search.field, CustomerSearchField
    ):
        raise ValueError("search must be a CustomerFilter with a CustomerSearchField")
    value = search.value
    if not isinstance(value, str) or value == "":
        raise ValueError("search value must be a non-empty string")
    if len(value) > MAX_FILTER_VALUE_LENGTH:
        raise ValueError(f"search value must be at most {MAX_FILTER_VALUE_LENGTH} characters")
    try:
        # Lone surrogates cannot become UTF-8 in the URL; refuse them here, not inside httpx.
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("search value must be valid Unicode text") from None
    # A serializer, never string concatenation: quotes and backslashes in the value stay data.
    return json.dumps(
        {"Field": search.field.value, "Value": value, "Operator": _OPERATOR},
        ensure_ascii=False,
        separators=(",", ":"),
    )
