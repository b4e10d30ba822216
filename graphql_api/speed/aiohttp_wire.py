"""`AiohttpWire`: the speed layer's wire to Partner Center, over aiohttp's connection pool.

Why not httpx's own transport: on this service's hot path (a hundred profile calls per
query, each waiting on the network) the cost that matters is the CPU each call spends in the
HTTP stack, because every response of a batch is read on the same event loop and the next
calls wait for it. aiohttp's HTTP parser is compiled, and spends a fraction of the CPU per
small GET that httpcore with h11 does (docs/performance.md has the figures). The answer is
read straight into the client's `RawResponse` (a `Wire`, as `partner_center/_httpx_wire.py`
has it), without httpx's request and response models (headers normalised one by one for the
request and again for the response, three async generators per body chunk).

What it keeps from httpx's behaviour: certifi's CA store unless a bundle is given (what httpx
trusts by default), `HTTP(S)_PROXY` / `ALL_PROXY` / `NO_PROXY` honoured (read once, at
start), no cookie jar, no redirects, `Content-Encoding` decoded (by aiohttp, in pieces of
bounded size, so the body's bound counts decoded bytes), and aiohttp's failures raised as
the client's own transport errors, through one table (`AIOHTTP_FAILURES`).

`SPEED_LAYER_OFF=wire` puts httpx's own transport in its place (`upstream_wire`).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Sequence

import aiohttp
import certifi
from aiohttp.http_exceptions import ContentEncodingError
from yarl import URL

from ..partner_center import (
    BodyLimits,
    RawResponse,
    Timeouts,
    UpstreamMalformedResponse,
    UpstreamSettings,
    UpstreamTimeout,
    UpstreamUnavailable,
    environment_proxy,
)
from ..partner_center._httpx_wire import KEEPALIVE_SECONDS
from ..partner_center._responses import read_within
from ..partner_center._wire_failures import FailureTable, wire_failure

_CHUNK_BYTES = 64 * 1024

# aiohttp's (and the socket's) failures in the client's words, named as httpx names them.
AIOHTTP_FAILURES: FailureTable = (
    (aiohttp.ConnectionTimeoutError, UpstreamTimeout, "ConnectTimeout"),
    (asyncio.TimeoutError, UpstreamTimeout, "ReadTimeout"),  # aiohttp's read timeouts
    (aiohttp.ClientConnectorError, UpstreamUnavailable, "ConnectError"),  # refused, DNS, TLS
    (ContentEncodingError, UpstreamMalformedResponse, "DecodingError"),
    (
        (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError),
        UpstreamUnavailable,
        "RemoteProtocolError",
    ),
    # An unparseable status line or header.
    (aiohttp.ClientResponseError, UpstreamUnavailable, "RemoteProtocolError"),
    (aiohttp.InvalidURL, UpstreamUnavailable, "UnsupportedProtocol"),
    ((aiohttp.ClientError, OSError), UpstreamUnavailable, "ReadError"),
)


def _failure_of(exc: Exception) -> Exception:
    """The exception that names what went wrong: a body that would not decode is reported
    by aiohttp as a payload error caused by it."""
    if isinstance(exc, aiohttp.ClientPayloadError) and isinstance(
        exc.__cause__, ContentEncodingError
    ):
        return exc.__cause__
    return exc


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


def aiohttp_wire(settings: UpstreamSettings) -> AiohttpWire:
    """The wire for a client under `settings`: one pooled connection per call slot."""
    return AiohttpWire(
        max_connections=settings.max_in_flight,
        ca_bundle=settings.ca_bundle,
        proxy=environment_proxy(settings.base_url),
    )


class AiohttpWire:
    """A `Wire` over one aiohttp session: `max_connections` pooled connections.

    The session is made on first use, inside the running event loop (aiohttp binds to it).
    Timeouts per call: `connect` to open a connection, `read` between reads, `pool` to get a
    pooled connection.
    """

    # What sends, for the User-Agent (`partner_center.user_agent`).
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
            failure = wire_failure(_failure_of(exc), AIOHTTP_FAILURES)
            if failure is None:
                raise
            raise failure from exc
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


__all__ = ["AIOHTTP_FAILURES", "AiohttpWire", "aiohttp_wire"]
