"""`HttptoolsWire`: the speed layer's wire to Partner Center, HTTP/1.1 on asyncio's transports.

Why not a general HTTP client: on this service's hot path (a hundred profile calls per
query, each waiting on the network) what bounds a batch is the CPU each call spends in the
HTTP stack, because every response of the batch is read on the same event loop and the next
calls wait for it. A client needs one thing here: a GET with a handful of headers to one
host, over kept-alive connections, its answer read within a bound. This wire does that and
nothing else; the parsing of answers, where HTTP's hard cases are, is httptools' (llhttp,
the parser uvicorn serves with). It spends about a third of the CPU per call that aiohttp's
client does, and a twentieth of httpx's (docs/performance.md has the figures).

What it keeps from httpx's behaviour: certifi's CA store unless a bundle is given, HTTP/1.1
(ALPN says so), no cookies, no redirects, `Content-Encoding: gzip` and `deflate` decoded in
pieces of bounded size (so the body's bound counts decoded bytes; other codings are passed
through, as httpx passes them), idle connections closed after `KEEPALIVE_SECONDS`, and its
failures raised as the client's own transport errors, named as httpx names them. A proxy is
httpx's business: with `HTTP(S)_PROXY` set, `upstream_wire` picks httpx's transport.

Bounds of its own: an answer's head (status line and headers) of at most `MAX_HEAD_BYTES`,
and as much again of a chunked body's framing and trailers between two pieces of the body;
at most `max_connections` connections open, callers past it waiting up to the pool timeout.
A connection is reused only when its last answer was read to the end and the server keeps
it alive; one that a server closed while it sat idle is noticed on reuse, and the call goes
once more on a new connection (a GET sent nowhere is safe to send again).

`SPEED_LAYER_OFF=wire` puts httpx's own transport in its place (`upstream_wire`).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import zlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple, cast
from urllib.parse import urlsplit

import certifi
import httptools

from ..partner_center import (
    BodyLimits,
    RawResponse,
    Timeouts,
    UpstreamMalformedResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from ..partner_center._httpx_wire import KEEPALIVE_SECONDS
from ..partner_center._wire_failures import FailureTable, wire_failure

# An answer's status line and headers together; a JSON API's are a few hundred bytes. (h11,
# under httpx, refuses a head over 16 KiB; aiohttp a line over 8 KiB.)
MAX_HEAD_BYTES = 64 * 1024


class _Origin(NamedTuple):
    """Where a connection goes: the pool keeps connections per origin."""

    tls: bool
    host: str
    port: int


class _Target(NamedTuple):
    origin: _Origin
    # The request line and Host header, ready to be followed by the call's headers.
    start: str


class ConnectionClosed(Exception):
    """The server closed the connection before its answer was whole."""

    def __init__(self, *, answered: bool) -> None:
        super().__init__("the server closed the connection before its answer was whole")
        # False: not a byte of an answer came, so the request may never have been read.
        self.answered = answered


class _ClosedHere(Exception):
    """`aclose` ran while the call was under way: its answer awaited, its connection being
    opened, or room in the pool waited for."""


class HeadTooLarge(Exception):
    """An answer's status line and headers went past `MAX_HEAD_BYTES`."""


class ReadTimedOut(Exception):
    """No byte of the answer came for the read timeout."""


class PoolTimedOut(Exception):
    """No connection came free within the pool timeout."""


class _UndecodableBody(Exception):
    """A body that does not decode as the `Content-Encoding` it names."""


# The wire's failures in the client's words, named as httpx names them.
HTTPTOOLS_FAILURES: FailureTable = (
    (PoolTimedOut, UpstreamTimeout, "PoolTimeout"),
    (ReadTimedOut, UpstreamTimeout, "ReadTimeout"),
    (_UndecodableBody, UpstreamMalformedResponse, "DecodingError"),
    (
        (ConnectionClosed, HeadTooLarge, httptools.HttpParserError),
        UpstreamUnavailable,
        "RemoteProtocolError",
    ),
    ((OSError, _ClosedHere), UpstreamUnavailable, "ReadError"),  # reset, broken pipe
)

# While a connection is being opened: what went wrong is the connection's.
_CONNECT_FAILURES: FailureTable = (
    (TimeoutError, UpstreamTimeout, "ConnectTimeout"),
    (OSError, UpstreamUnavailable, "ConnectError"),  # refused, DNS, TLS (ssl.SSLError)
)


@functools.lru_cache(maxsize=4096)
def _target(url: str) -> _Target:
    """Where `url` goes and its request line; a client sends the same few URLs over and
    over, so each is split once."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("only absolute http and https URLs can be sent")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    host = parts.hostname
    authority = f"[{host}]" if ":" in host else host
    if port != (443 if tls else 80):
        authority = f"{authority}:{port}"
    return _Target(_Origin(tls, host, port), f"GET {path} HTTP/1.1\r\nHost: {authority}\r\n")


def _request_bytes(target: _Target, headers: Sequence[tuple[str, str]]) -> bytes:
    """The request's head; a ValueError when a name or value would break its lines."""
    fields = "".join([f"{name}: {value}\r\n" for name, value in headers])
    # Each field ends in the one CRLF put there; any other CR, LF or NUL came in a name or
    # value (the client checks its values, this is the wire's own guard).
    if fields.count("\n") != len(headers) or fields.count("\r") != len(headers) or (
        "\0" in fields
    ):
        raise ValueError("a header name or value holds a line break")
    return f"{target.start}{fields}\r\n".encode("ascii")


class Headers(Mapping[str, str]):
    """An answer's headers, looked up by name in any case; repeated ones joined by commas
    (as httpx's `Headers` reads them)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values  # by lower-case name

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({list(self._values)!r})"  # names only: values may be secrets


# Decoded bytes asked of zlib at a time (an answer is as many pieces as it takes).
_DECODED_PIECE_BYTES = 256 * 1024


class _Decoder:
    """`Content-Encoding: gzip` or `deflate`, decoded no further than a bound."""

    __slots__ = ("_fed", "_first", "_inflate", "_raw_deflate_tried")

    def __init__(self, coding: str) -> None:
        # gzip's header and trailer checked (wbits 16 + 15); deflate is zlib-wrapped as the
        # RFC says, though some servers send it raw, which is tried when zlib's header fails.
        self._inflate = zlib.decompressobj(31 if coding == "gzip" else 15)
        self._raw_deflate_tried = coding == "gzip"
        # Deflate's first bytes until there are two: zlib only judges its 2-byte header whole,
        # and a body may come a byte at a time (one-byte chunks), which would otherwise pass
        # zlib's check unjudged and fail on the next byte, past the fallback to raw deflate.
        self._first = b""
        self._fed = False

    def decode(self, chunk: bytes, room: int) -> list[bytes] | None:
        """`chunk` decoded, in pieces of at most `_DECODED_PIECE_BYTES`; None as soon as they
        come to more than `room` bytes. In pieces because zlib builds its whole output before
        handing it over, and copies it once more: asked for up to the bound at once, a small
        compressed chunk would cost twice the bound in memory."""
        self._fed = True
        if not self._raw_deflate_tried and len(self._first) + len(chunk) < 2:
            self._first += chunk
            return []
        if self._first:
            chunk, self._first = self._first + chunk, b""
        try:
            out = self._inflate.decompress(chunk, _DECODED_PIECE_BYTES)
        except zlib.error:
            if self._raw_deflate_tried:
                raise _UndecodableBody from None
            self._raw_deflate_tried = True
            self._inflate = zlib.decompressobj(-15)
            return self.decode(chunk, room)
        self._raw_deflate_tried = True
        pieces: list[bytes] = []
        while True:
            room -= len(out)
            if room < 0:
                return None
            if out:
                pieces.append(out)
            rest = self._inflate.unconsumed_tail
            if not rest:
                return pieces
            try:
                out = self._inflate.decompress(rest, _DECODED_PIECE_BYTES)
            except zlib.error:
                raise _UndecodableBody from None

    def finish(self) -> None:
        """The body's end: a truncated stream is not a whole answer (an empty body is no
        stream at all: servers label empty answers gzip too, and httpx reads them as empty)."""
        if self._fed and not self._inflate.eof:
            raise _UndecodableBody


class _Connection(asyncio.Protocol):
    """One kept-alive connection: sends a request and reads its answer, one at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: _Origin) -> None:
        self._loop = loop
        self.origin = origin
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self.lost = False
        self.reusable = False
        self.idle_since = 0.0
        self._answer: asyncio.Future[RawResponse] | None = None
        self._limits: BodyLimits | None = None
        self._read_timer: asyncio.TimerHandle | None = None
        self._read_timeout = 0.0
        self._last_read = 0.0
        self._start_exchange()

    def _start_exchange(self) -> None:
        self._answered = False
        self._head_bytes = 0
        self._field_bytes = 0
        self._head_done = False
        self._tail_bytes = 0
        self._body_came = False
        self._reason = ""
        self._fields: dict[str, str] = {}
        self._status = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._limit = 0
        self._decoder: _Decoder | None = None
        self._until_close = False

    # -- sending ---------------------------------------------------------------------------

    def exchange(
        self, request: bytes, limits: BodyLimits, read_timeout: float | None
    ) -> asyncio.Future[RawResponse]:
        """Send `request`; the future is its answer (or its failure)."""
        assert self._transport is not None
        self.reusable = False
        self._start_exchange()
        self._limits = limits
        answer = self._answer = self._loop.create_future()
        if read_timeout is not None:
            self._read_timeout = read_timeout
            self._last_read = self._loop.time()
            self._read_timer = self._loop.call_at(
                self._last_read + read_timeout, self._check_read_timeout
            )
        self._transport.write(request)
        return answer

    def close(self) -> None:
        """Close the connection; an answer still awaited fails."""
        self.lost = True
        self.reusable = False
        if self._transport is not None:
            self._transport.close()
        # Not a `ConnectionClosed`: that one, unanswered on a kept connection, is sent again
        # on a new one, which after `aclose` (the only close with an answer awaited) would
        # open a connection the closed wire no longer knows of.
        self._fail(_ClosedHere())

    # -- asyncio's protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's are not subclasses of asyncio.Transport).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._answer is None:
            # Bytes nobody asked for: the connection's framing cannot be trusted any more.
            self.close()
            return
        self._answered = True
        if self._read_timer is not None:
            self._last_read = self._loop.time()
        head_was_done = self._head_done
        self._body_came = False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._give_up(exc)
            return
        if self._answer is None:
            return
        # Checked after the feed: the read that ends a head may carry much of the body.
        if not self._head_done:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._give_up(HeadTooLarge())
        elif head_was_done and not self._body_came:
            # Reads after the head with none of the body: chunks' framing, or trailers after
            # the last chunk, which httptools holds in memory until each is whole and the
            # body's bound never sees. Held to the head's bound (as h11 holds them to its).
            self._tail_bytes += len(data)
            if self._tail_bytes > MAX_HEAD_BYTES:
                self._give_up(HeadTooLarge())

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.reusable = False
        if exc is None and self._answer is not None and self._until_close and self._head_done:
            # A body without a length or chunks ends where the connection does (closed, not
            # reset: a reset cuts it short).
            self._complete()
            return
        self._fail(ConnectionClosed(answered=self._answered))

    # -- httptools' callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        # Nothing to reset: `exchange` starts each exchange's state afresh, and
        # `on_message_complete` after an interim answer.
        if self._answer is None:
            # A second answer behind the one asked for: the framing cannot be trusted.
            self.close()

    def on_status(self, reason: bytes) -> None:
        self._field_bytes += len(reason)
        self._reason += reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head_done:
            return  # a trailer, after a chunked body: not one of the headers (httpx drops them)
        self._field_bytes += len(name) + len(value) + 4  # ": " and CRLF
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        fields = self._fields
        fields[key] = f"{fields[key]}, {text}" if key in fields else text

    def on_headers_complete(self) -> None:
        self._head_done = True
        # The whole head as parsed, every read of it: "HTTP/1.1 200 ", reason, fields, CRLFs.
        # `data_received` bounds the raw reads of a head not yet whole (so that one which
        # never ends is cut); the read that ends it may carry a body too, so its raw size says
        # nothing of the head's. A head sent in one piece is only ever counted here.
        if self._field_bytes + 17 > MAX_HEAD_BYTES:
            self._give_up(HeadTooLarge())
            return
        status = self._status = self._parser.get_status_code()
        if status < 200:
            return  # an interim answer (103 Early Hints): the real one follows
        assert self._limits is not None
        limit = self._limit = self._limits.for_status(status)
        fields = self._fields
        framing = fields.get("transfer-encoding")
        if framing is not None and framing.strip().lower() != "chunked":
            # A transfer coding besides chunked (which h11, under httpx, refuses too): the
            # body would be read to the connection's end, undecoded, or not end at all.
            self._give_up(httptools.HttpParserError("a transfer coding other than chunked"))
            return
        declared = fields.get("content-length")
        coding = fields.get("content-encoding", "").strip().lower()
        if coding in ("gzip", "x-gzip", "deflate"):
            self._decoder = _Decoder("deflate" if coding == "deflate" else "gzip")
        elif declared is not None and declared.isdigit() and int(declared) > limit:
            self._over_bound()  # refused before a byte of it is read
            return
        self._until_close = declared is None and "transfer-encoding" not in fields

    def on_body(self, chunk: bytes) -> None:
        if self._answer is None or self._answer.done():
            return
        self._body_came = True
        self._tail_bytes = 0
        room = self._limit - self._size
        if self._decoder is not None:
            try:
                decoded = self._decoder.decode(chunk, room)
            except _UndecodableBody as exc:
                self._give_up(exc)
                return
            if decoded is None:
                self._over_bound()
                return
            for piece in decoded:
                self._size += len(piece)
                self._parts.append(piece)
            return
        if len(chunk) > room:
            self._over_bound()
            return
        self._size += len(chunk)
        self._parts.append(chunk)

    def on_message_complete(self) -> None:
        if self._status < 200:
            self._start_exchange()
            self._answered = True
            return
        if self._answer is None or self._answer.done():
            return
        self.reusable = self._parser.should_keep_alive()
        self._complete()

    # -- outcomes --------------------------------------------------------------------------

    def _complete(self) -> None:
        if self._decoder is not None:
            try:
                self._decoder.finish()
            except _UndecodableBody as exc:
                self._give_up(exc)
                return
        parts = self._parts
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        self._settle(RawResponse(self._status, self._reason, Headers(self._fields), body))

    def _over_bound(self) -> None:
        """The body grew past its bound: answered without it, and the rest never read (the
        connection is closed, not reused)."""
        self._settle(RawResponse(self._status, self._reason, Headers(self._fields), None))
        self.close()

    def _settle(self, response: RawResponse) -> None:
        answer = self._answer
        self._end_exchange()
        if answer is not None and not answer.done():
            answer.set_result(response)

    def _give_up(self, exc: Exception) -> None:
        """Fail the awaited answer with `exc` and close: what is left on the connection can
        no longer be read as the next answer."""
        self._fail(exc)
        self.close()

    def _fail(self, exc: Exception) -> None:
        answer = self._answer
        self._end_exchange()
        if answer is not None and not answer.done():
            answer.set_exception(exc)

    def _end_exchange(self) -> None:
        self._answer = None
        # The body read so far goes now, not with the connection: its parser and it refer to
        # each other, so a closed connection waits for the cycle collector, and a body cut
        # at its bound would be held that long (tens of megabytes, one per connection).
        self._parts = []
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _check_read_timeout(self) -> None:
        # One timer per exchange, moved on lazily: a read only notes its time.
        due = self._last_read + self._read_timeout
        if self._loop.time() < due:
            self._read_timer = self._loop.call_at(due, self._check_read_timeout)
            return
        self._read_timer = None
        self._give_up(ReadTimedOut())


class HttptoolsWire:
    """A `Wire` over at most `max_connections` kept-alive connections.

    Timeouts per call: `connect` to open a connection, `read` between reads of an answer,
    `pool` to wait for a connection when all are busy. Connections belong to the event loop
    that opened them; a wire used from a new loop starts a new pool (an app run again).
    """

    # What sends, for the User-Agent (`partner_center.user_agent`): the parser that reads.
    product = f"httptools/{httptools.__version__}"

    def __init__(self, *, max_connections: int, ca_bundle: str | None = None) -> None:
        self._max_connections = max_connections
        self._ca_bundle = ca_bundle
        self._ssl: ssl.SSLContext | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()  # idle, busy or being opened
        self._opening = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._expiry: asyncio.TimerHandle | None = None

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        """GET `url`; the body is read, decoded, within the bound for its status."""
        target = _target(url)
        request = _request_bytes(target, headers)
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._start_pool(loop)
        try:
            connection, reused = await self._connection_for(target.origin, timeouts)
            try:
                return await self._exchange(connection, request, limits, timeouts.read)
            except ConnectionClosed as closed:
                if not reused or closed.answered:
                    raise
            # The server dropped it while it sat idle, before reading the request: sent once
            # more, on a new connection. Waiting only while there is no room: the dropped
            # one made room as it went, and a wait with room has nothing to wake it.
            while not self._make_room():
                await self._wait_for_room(timeouts.pool)
            connection = await self._open_connection(target.origin, timeouts.connect)
            return await self._exchange(connection, request, limits, timeouts.read)
        except Exception as exc:
            failure = wire_failure(exc, HTTPTOOLS_FAILURES)
            if failure is None:
                raise
            raise failure from exc

    async def _exchange(
        self,
        connection: _Connection,
        request: bytes,
        limits: BodyLimits,
        read_timeout: float | None,
    ) -> RawResponse:
        try:
            response = await connection.exchange(request, limits, read_timeout)
        except BaseException:
            # Failed, or abandoned part way (a deadline): whatever is left on it is unread.
            self._discard(connection)
            raise
        if connection.reusable and not connection.lost:
            self._keep(connection)
        else:
            self._discard(connection)
        return response

    # -- the pool --------------------------------------------------------------------------

    def _start_pool(self, loop: asyncio.AbstractEventLoop) -> None:
        # On a new loop: another loop's connections cannot be used, nor closed, from this
        # one, so they are let go. After `aclose`: its connections are closed already.
        self._loop = loop
        self._idle = {}
        self._open = set()
        self._opening = 0
        self._waiters = deque()
        self._expiry = None

    async def _connection_for(
        self, origin: _Origin, timeouts: Timeouts
    ) -> tuple[_Connection, bool]:
        """A kept-alive connection to `origin` (True), else a new one (False), waiting up to
        the pool timeout while every connection is busy."""
        while True:
            connection = self._idle_connection(origin)
            if connection is not None:
                return connection, True
            if self._make_room():
                return await self._open_connection(origin, timeouts.connect), False
            await self._wait_for_room(timeouts.pool)

    def _idle_connection(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest_kept = self._now() - KEEPALIVE_SECONDS
        while idle:
            connection = idle.pop()  # the most recently used: the least likely dropped
            if not connection.lost and connection.idle_since > oldest_kept:
                return connection
            self._discard(connection)
        return None

    def _make_room(self) -> bool:
        """True when one more connection may be opened, after closing an idle one if that is
        what it takes (to another origin when the caller found none to its own; any, for the
        retry after an idle drop, which wants a new connection)."""
        if len(self._open) + self._opening < self._max_connections:
            return True
        for idle in self._idle.values():
            if idle:
                self._discard(idle.pop(0))
                return True
        return False

    async def _wait_for_room(self, pool_timeout: float | None) -> None:
        """Wait until a connection is handed back or closed."""
        waiter: asyncio.Future[None] = self._pool_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(pool_timeout):
                await waiter
        except _ClosedHere:
            raise  # failed by `aclose`: no turn to pass on, and the queue is another pool's
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._wake_one()  # woken, then cancelled: the turn goes to the next
            if isinstance(exc, TimeoutError):
                raise PoolTimedOut from None
            raise

    async def _open_connection(self, origin: _Origin, connect_timeout: float | None) -> _Connection:
        loop = self._pool_loop()
        # The pool this connection is counted in: `aclose` (or a new loop) starts another
        # while it is being opened, and the new one must neither count nor keep it.
        pool = self._open
        self._opening += 1
        try:
            async with asyncio.timeout(connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop, origin),
                    origin.host,
                    origin.port,
                    ssl=self._ssl_context() if origin.tls else None,
                    server_hostname=origin.host if origin.tls else None,
                )
        except BaseException as exc:
            if self._open is pool:
                self._opening -= 1
                self._wake_one()
            failure = wire_failure(exc, _CONNECT_FAILURES) if isinstance(exc, Exception) else None
            if failure is None:
                raise
            raise failure from exc
        if self._open is not pool:
            connection.close()  # nothing would ever close it
            raise _ClosedHere
        self._opening -= 1
        self._open.add(connection)
        return connection

    def _keep(self, connection: _Connection) -> None:
        connection.idle_since = self._now()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._wake_one()
        if self._expiry is None:
            self._expiry = self._pool_loop().call_later(KEEPALIVE_SECONDS, self._expire_idle)

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        if connection in self._open:
            self._open.discard(connection)
            self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _expire_idle(self) -> None:
        """Close connections idle past `KEEPALIVE_SECONDS`; look again while any are kept."""
        self._expiry = None
        oldest_kept = self._now() - KEEPALIVE_SECONDS
        for origin, idle in self._idle.items():
            kept = [c for c in idle if not c.lost and c.idle_since > oldest_kept]
            for connection in idle:
                if connection not in kept:
                    self._discard(connection)
            self._idle[origin] = kept
        if any(self._idle.values()):
            self._expiry = self._pool_loop().call_later(KEEPALIVE_SECONDS, self._expire_idle)

    def _pool_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None  # set by the first get
        return self._loop

    def _now(self) -> float:
        return self._pool_loop().time()

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            context = ssl.create_default_context(cafile=self._ca_bundle or certifi.where())
            context.set_alpn_protocols(["http/1.1"])
            self._ssl = context
        return self._ssl

    async def aclose(self) -> None:
        """Close every connection. Calls under way fail as a `ReadError`, those waiting for
        room or for a connection being opened too; a call made after starts a new pool."""
        if self._loop is None:
            return  # never used
        if self._expiry is not None:
            self._expiry.cancel()
        for connection in self._open:
            connection.close()
        # Waiters woken would find the room of a pool that no longer counts anything.
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(_ClosedHere())
        self._start_pool(self._loop)
