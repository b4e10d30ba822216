"""One upstream response, read into memory within a size bound."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

# Error bodies only feed a code and a description; more than this is not worth reading.
ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers and body of one response; `body` is None when it exceeded the bound."""

    status: int
    reason: str
    headers: httpx.Headers
    body: bytes | None


async def read_bounded(response: httpx.Response, limit: int) -> bytes | None:
    """Read the (decoded) body chunk by chunk; None as soon as it grows past `limit` bytes.

    A huge body is never held in memory: reading stops at the first chunk over the bound,
    and a declared Content-Length over the bound is refused before reading at all.
    """
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
