"""`Wire`: how the client sends one GET and reads the answer's body within a bound.

Two kinds. `PooledTransport` (`_transport.py`) is the client's own: aiohttp's pool, read
straight into a `RawResponse`. `HttpxWire` carries the same call over any httpx transport
(`httpx.MockTransport` in tests, `ASGITransport`, a caller's own), through httpx's request
and response models. Both raise httpx's exceptions for transport failures, which the client
maps to typed errors, so the client's vocabulary is the same whichever carries its calls.

Why two: httpx's models cost every call CPU the default path need not spend (headers
normalised one by one for the request and again for the response, three async generators
per body chunk), and a list of 100 billing profiles makes 100 calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from typing import NamedTuple, Protocol, runtime_checkable

import httpx

from ._responses import RawResponse, read_within


class Timeouts(NamedTuple):
    """Seconds to open a connection, between reads, and to wait for a pooled connection."""

    connect: float | None
    read: float | None
    pool: float | None


class BodyLimits(NamedTuple):
    """Most bytes read of a success body and of any other body (a larger one is not kept)."""

    success: int
    other: int

    def for_status(self, status: int) -> int:
        """The bound for a body that comes with `status`."""
        return self.success if 200 <= status < 300 else self.other


@runtime_checkable
class Wire(Protocol):
    """Sends one GET and reads its answer; failures raise httpx's exceptions."""

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        """The answer to GET `url`; its body None when it went past its bound (decoded)."""
        ...

    async def aclose(self) -> None:
        """Close every connection."""
        ...


class HttpxWire:
    """The client's calls over an httpx transport."""

    # What sends, for the User-Agent (see `user_agent`).
    product = f"httpx/{httpx.__version__}"

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        """GET through the transport; the body is streamed within its bound."""
        request = httpx.Request(
            "GET",
            url,
            headers=list(headers),
            # httpx's names; a write is bounded as a read is (what the client always set).
            extensions={
                "timeout": {
                    "connect": timeouts.connect,
                    "read": timeouts.read,
                    "write": timeouts.read,
                    "pool": timeouts.pool,
                }
            },
        )
        response = await self._transport.handle_async_request(request)
        try:
            body = await read_within(
                response.aiter_bytes(),
                response.headers.get("Content-Length"),
                limits.for_status(response.status_code),
            )
        finally:
            await response.aclose()
        return RawResponse(
            status=response.status_code,
            reason=response.reason_phrase,
            headers=response.headers,
            body=body,
        )

    async def aclose(self) -> None:
        """Close the transport."""
        await self._transport.aclose()


APPLICATION = "graphql_api"


def user_agent(wire: object) -> str:
    """The User-Agent of calls over `wire`: the application, then the HTTP library that
    really sends them (a wire's `product`, when it names one)."""
    try:
        version = metadata.version(APPLICATION)
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        version = "0"
    product = getattr(wire, "product", None)
    return f"{APPLICATION}/{version} {product}" if product else f"{APPLICATION}/{version}"


def as_wire(transport: Wire | httpx.AsyncBaseTransport) -> Wire:
    """`transport` itself when it is a wire, else an `HttpxWire` over it."""
    if isinstance(transport, Wire):
        return transport
    return HttpxWire(transport)


__all__ = ["APPLICATION", "BodyLimits", "HttpxWire", "Timeouts", "Wire", "as_wire", "user_agent"]
