"""`PooledTransport`: the client's wire, over aiohttp's connection pool.

Why not httpx's own transport: on this service's hot path (a hundred profile calls per
query, each waiting on the network) the cost that matters is the CPU each call spends in the
HTTP stack, because every response of a batch is read on the same event loop and the next
calls wait for it. aiohttp's HTTP parser is compiled, and spends a fraction of the CPU per
small GET that httpcore with h11 does (docs/performance.md has the figures). The answer is
read straight into the client's `RawResponse` (the `Wire` of `_httpx_wire.py`), without httpx's
request and response models; httpx stays the client's vocabulary for failures (its
exception types) and for tests (`MockTransport`, through `HttpxWire`).

What it keeps from httpx's behaviour: certifi's CA store unless a bundle is given (what httpx
trusts by default), `HTTP(S)_PROXY` / `ALL_PROXY` / `NO_PROXY` honoured (read once, at
start), no cookie jar, no redirects, `Content-Encoding` decoded (by aiohttp, in pieces of
bounded size, so the body's bound counts decoded bytes), and aiohttp's failures raised as
the httpx exceptions the client maps to typed errors.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import certifi
import httpx
from yarl import URL

from ._httpx_wire import BodyLimits, Timeouts
from ._responses import RawResponse, read_within
from .settings import UpstreamSettings

# Idle connections are closed after this many seconds (httpx's default keep-alive expiry):
# reusing a connection the server has already dropped costs a failed attempt.
KEEPALIVE_SECONDS = 5.0
_CHUNK_BYTES = 64 * 1024


def _httpx_error(exc: Exception) -> httpx.RequestError | None:
    """The httpx exception that stands for an aiohttp (or socket) failure, if it is one."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc) or "connect timed out")
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's read timeouts subclass it
        return httpx.ReadTimeout(str(exc) or "read timed out")
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS, proxy
        return httpx.ConnectError(str(exc))
    if isinstance(exc, aiohttp.ClientPayloadError) and isinstance(
        exc.__cause__, aiohttp.http_exceptions.ContentEncodingError
    ):
        return httpx.DecodingError(str(exc))
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(str(exc) or type(exc).__name__)
    if isinstance(exc, aiohttp.ClientResponseError):  # an unparseable status line or header
        return httpx.RemoteProtocolError(str(exc))
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(str(exc))
    if isinstance(exc, aiohttp.ClientError | OSError):
        return httpx.ReadError(str(exc) or type(exc).__name__)
    return None


# A client sends the same few URLs and one set of timeouts over and over; both objects are
# immutable, so each is built once (tens of microseconds per request otherwise).
@functools.lru_cache(maxsize=4096)
def _yarl_url(url: str) -> URL:
    return URL(url, encoded=True)


@functools.lru_cache(maxsize=64)
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)


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
        # curl; aiohttp would refuse it as a URL without a scheme.
        proxy = f"http://{proxy}"
    return proxy


def default_transport(settings: UpstreamSettings) -> PooledTransport:
    """The transport a client under `settings` uses: one pooled connection per call slot."""
    return PooledTransport(
        max_connections=settings.max_in_flight,
        ca_bundle=settings.ca_bundle,
        proxy=environment_proxy(settings.base_url),
    )


def stock_transport(settings: UpstreamSettings) -> httpx.AsyncHTTPTransport:
    """httpx's own transport with the same trust, proxy and pool as `default_transport`: the
    wire when the speed layer's `wire` is off (carried by `HttpxWire`)."""
    return httpx.AsyncHTTPTransport(
        verify=ssl.create_default_context(cafile=settings.ca_bundle or certifi.where()),
        limits=httpx.Limits(
            max_connections=settings.max_in_flight,
            max_keepalive_connections=settings.max_in_flight,
            keepalive_expiry=KEEPALIVE_SECONDS,
        ),
        proxy=environment_proxy(settings.base_url),
    )


class PooledTransport:
    """A `Wire` over one aiohttp session: `max_connections` pooled connections.

    The session is made on first use, inside the running event loop (aiohttp binds to it).
    Timeouts per call: `connect` to open a connection, `read` between reads, `pool` to get a
    pooled connection.
    """

    # What sends, for the User-Agent (`_wire.user_agent`).
    product = f"aiohttp/{aiohttp.__version__}"

    def __init__(
        self, *, max_connections: int, ca_bundle: str | None = None, proxy: str | None = None
    ) -> None:
        self._max_connections = max_connections
        self._proxy = proxy
        self._ssl = ssl.create_default_context(cafile=ca_bundle or certifi.where())
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=0,
                ssl=self._ssl,
                keepalive_timeout=KEEPALIVE_SECONDS,
            )
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                # Not aiohttp's trust_env: it reads the proxy variables and ~/.netrc on every
                # request; the proxy is chosen once, at start.
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                # Every header is the client's choice; aiohttp adds only Host if missing.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return session

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        """GET `url`; the body is read, decoded, within the bound for its status."""
        try:
            response = await self._open_session().request(
                "GET",
                _yarl_url(url),
                headers=headers,
                allow_redirects=False,
                proxy=self._proxy,
                timeout=_client_timeout(timeouts.pool, timeouts.connect, timeouts.read),
            )
            try:
                answered = response.headers
                declared = answered.get("Content-Length")
                limit = limits.for_status(response.status)
                if (
                    declared is not None
                    and declared.isdigit()
                    and int(declared) <= limit
                    and "Content-Encoding" not in answered
                ):
                    # The parser ends the body at its declared length, within the bound:
                    # read at once, without a chunk iterator (the usual small JSON answer).
                    body: bytes | None = await response.content.read()
                else:
                    body = await read_within(
                        response.content.iter_chunked(_CHUNK_BYTES), declared, limit
                    )
            except BaseException:
                response.close()
                raise
            # A body read to its end hands the connection back to the pool; one abandoned
            # past its bound closes it, as the rest is still on the wire.
            if body is None:
                response.close()
            else:
                response.release()
        except Exception as exc:
            mapped = _httpx_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return RawResponse(
            status=response.status,
            reason=response.reason or "",
            headers=response.headers,
            body=body,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None


__all__ = [
    "KEEPALIVE_SECONDS",
    "PooledTransport",
    "default_transport",
    "environment_proxy",
    "stock_transport",
]
