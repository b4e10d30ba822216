"""`Wire`: how the client sends one GET and reads the answer's body within a bound.

`HttpxWire` carries the call over any httpx transport: httpx's own (`stock_transport`, the
client's default), `httpx.MockTransport` in tests, `ASGITransport`, a caller's own. The speed
layer has its own HTTP/1.1 wire (`graphql_api/speed/httptools_wire.py`), which the app passes
to the client. Every wire raises the client's own transport errors (`_wire_failures.py`), so
the client's vocabulary is the same whichever carries its calls.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from importlib import metadata
from typing import NamedTuple, Protocol, runtime_checkable
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import httpx

from ._responses import RawResponse, read_within
from ._wire_failures import FailureTable, wire_failure
from .errors import UpstreamMalformedResponse, UpstreamTimeout, UpstreamUnavailable
from .settings import UpstreamSettings

# Idle connections are closed after this many seconds (httpx's default keep-alive expiry):
# reusing a connection the server has already dropped costs a failed attempt.
KEEPALIVE_SECONDS = 5.0

# httpx's failures in the client's words (their names are httpx's own).
HTTPX_FAILURES: FailureTable = (
    (httpx.TimeoutException, UpstreamTimeout, None),
    (httpx.TransportError, UpstreamUnavailable, None),
    (httpx.DecodingError, UpstreamMalformedResponse, None),
)


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
    """Sends one GET and reads its answer; a transport failure raises `UpstreamUnavailable`,
    `UpstreamTimeout` or `UpstreamMalformedResponse` (`_wire_failures.py`)."""

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
        try:
            response = await self._transport.handle_async_request(request)
            try:
                body = await read_within(
                    response.aiter_bytes(),
                    response.headers.get("Content-Length"),
                    limits.for_status(response.status_code),
                )
            finally:
                await response.aclose()
        except Exception as exc:
            failure = wire_failure(exc, HTTPX_FAILURES)
            if failure is None:
                raise
            raise failure from exc
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


def environment_proxy(url: str) -> str | None:
    """The proxy `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` name for `url`, unless `NO_PROXY`
    exempts its host (the variables httpx honours)."""
    parts = urlsplit(url)
    if proxy_bypass(parts.hostname or ""):
        return None
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and "://" not in proxy:
        # A bare `host:port` (a common way to set these) means an http proxy to httpx and
        # curl; said in full, no library reads it otherwise.
        proxy = f"http://{proxy}"
    return proxy


def stock_transport(settings: UpstreamSettings) -> httpx.AsyncHTTPTransport:
    """httpx's own transport under `settings`: certifi's CA store unless a bundle is given,
    the proxy from the environment (read once), one pooled connection per call slot."""
    return httpx.AsyncHTTPTransport(
        verify=ssl.create_default_context(cafile=settings.ca_bundle or certifi.where()),
        limits=httpx.Limits(
            max_connections=settings.max_in_flight,
            max_keepalive_connections=settings.max_in_flight,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
        proxy=environment_proxy(settings.base_url),
    )


def stock_wire(settings: UpstreamSettings) -> HttpxWire:
    """The client's default wire: httpx's own transport under `settings`."""
    return HttpxWire(stock_transport(settings))


def as_wire(transport: Wire | httpx.AsyncBaseTransport) -> Wire:
    """`transport` itself when it is a wire, else an `HttpxWire` over it."""
    if isinstance(transport, Wire):
        return transport
    return HttpxWire(transport)


__all__ = [
    "APPLICATION",
    "HTTPX_FAILURES",
    "KEEPALIVE_SECONDS",
    "BodyLimits",
    "HttpxWire",
    "Timeouts",
    "Wire",
    "as_wire",
    "environment_proxy",
    "stock_transport",
    "stock_wire",
    "user_agent",
]
