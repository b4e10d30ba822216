"""One upstream response, read into memory within a size bound."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Error bodies only feed a code and a description; more than this is not worth reading.
ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers and body of one response; `body` is None when it exceeded the bound."""

    status: int
    reason: str
    # Case-insensitive, as HTTP header names are (httpx's `Headers`, aiohttp's
    # `CIMultiDictProxy`).
    headers: Mapping[str, str]
    body: bytes | None
