"""One upstream response, read into memory within a size bound."""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass

# Error bodies only feed a code and a description; more than this is not worth reading.
ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers and body of one response; `body` is None when it exceeded the bound."""

    status: int
    reason: str
    # Case-insensitive, as HTTP header names are (httpx's `Headers`, the speed layer's
    # wire's own).
    headers: Mapping[str, str]
    body: bytes | None


async def read_within(
    chunks: AsyncIterable[bytes], declared_length: str | None, limit: int
) -> bytes | None:
    """The body `chunks` make up, or None as soon as it grows past `limit` bytes.

    A huge body is never held in memory: reading stops at the first chunk over the bound,
    and a declared Content-Length over the bound is refused before reading at all. The
    caller closes the connection when None leaves the rest of the body unread.
    """
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)
