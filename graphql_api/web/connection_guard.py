"""Bounds on what one caller's connection may cost before the app sees a request.

uvicorn reads a request's head for as long as it takes and as large as it comes: its
httptools protocol has no header-size limit, no time limit on the head or the body, and no
cap on open connections, so a trickle of bytes holds a connection open forever and one huge
header is read whole. `GuardedHttpProtocol` sits between the socket and uvicorn's protocol,
as an ordinary asyncio protocol, and enforces per connection:

- the request line plus headers at most `max_header_bytes` (431 and close for a connection's
  first request; a later one on a reused connection is closed, since the answer to an earlier
  request may still be on its way); a chunked body's framing (chunk-size lines, extensions,
  and its trailers, which are a second head) within the same bound, from one chunk's end to
  the next (the connection is closed);
- the head complete within `header_timeout` seconds of the connection opening or of its first
  byte (408 and close);
- the body complete within `body_timeout` seconds of the head (the connection is closed; the
  app sees the client go away). Time in which the server itself stopped reading, because the
  app had not yet taken what was read, does not count against the caller;
- at most `max_connections` open per process (503 and close for one more).

Both this guard and uvicorn's protocol must agree on where every request ends, or the bounds
stop applying where they disagree. So the guard frames with the very parser uvicorn uses
(`httptools`, through its public callback API), configured as uvicorn configures it, fed the
same bytes in the same reads, and it keeps framing after anything uvicorn's protocol keeps
reading after. Where that protocol itself would mis-frame, the guard refuses instead:

- a request that asks to switch protocols (`Connection: Upgrade`, or a `CONNECT`) while
  declaring a body: the parser skips such a body, and when the protocol does not switch
  (this service switches to nothing) the body would be read as the next request; 400 and
  close. One without a body is answered as plain HTTP, and its connection stays guarded;
- empty lines between requests are skipped by both parsers, but any byte reaching uvicorn's
  protocol cancels its keep-alive timer and no request (so no head timer) starts: they are
  dropped here, and the keep-alive timer keeps running.

Example:
    limits = ConnectionLimits.of(ServerSettings(max_header_bytes=16384))
    uvicorn.run(app, http=guarded_protocol_class(limits))
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import ServerSettings, Settings

logger = logging.getLogger("graphql_api.connections")


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Per-connection bounds; see the module docstring for what each protects.

    Built from `ServerSettings`, which holds the defaults.
    """

    max_header_bytes: int
    header_timeout: float
    body_timeout: float
    max_connections: int

    @classmethod
    def of(cls, server: ServerSettings) -> ConnectionLimits:
        """The limits the server settings name."""
        return cls(
            max_header_bytes=server.max_header_bytes,
            header_timeout=server.header_timeout,
            body_timeout=server.body_timeout,
            max_connections=server.max_connections,
        )


def _canned(status: str) -> bytes:
    body = f'{{"error": "{status}"}}'.encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


HEADERS_TOO_LARGE = _canned("431 Request Header Fields Too Large")
HEAD_TIMEOUT = _canned("408 Request Timeout")
TOO_MANY_CONNECTIONS = _canned("503 Service Unavailable")
CANNOT_FRAME = _canned("400 Bad Request")

_IDLE, _HEAD, _BODY = 0, 1, 2
_LINE_ENDS = (b"\r", b"\n")


class GuardedHttpProtocol(asyncio.Protocol):
    """An asyncio protocol that bounds a connection, then hands its bytes to `inner_protocol`.

    uvicorn builds one per connection with its own keyword arguments, which go unchanged to
    the wrapped protocol. `limits` unset means the process's settings from the environment,
    read once (as `graphql-api serve` workers build their app from the environment too).
    """

    limits: ClassVar[ConnectionLimits | None] = None
    inner_protocol: ClassVar[type[asyncio.Protocol]] = HttpToolsProtocol
    # Connections open through this class: one count per server (each test server has its
    # own class), one per process for `graphql-api serve`.
    open_connections: ClassVar[int] = 0

    def __init__(self, **uvicorn_arguments: Any) -> None:
        self._inner = self.inner_protocol(**uvicorn_arguments)
        self._limits = self._process_limits()
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        # Configured as uvicorn configures its own parser, so that both end every request at
        # the same byte: after `Connection: close`, what follows is ignored by both.
        self._parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self._phase = _IDLE
        self._head_bytes = 0
        self._requests = 0
        self._framing = True  # off once the connection is refused or no longer HTTP/1.1
        self._deadline: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None
        self._counted = False
        self._refused = False
        # The head being read, as fed (read again only for a request to switch protocols).
        self._head_text: bytes | bytearray = b""
        self._chunk_framing = 0  # chunk-size lines, extensions and trailers since the last chunk
        # What the parser reported during the piece being fed.
        self._piece_body = 0
        self._piece_chunks = 0
        self._piece_ends = 0

    @classmethod
    def _process_limits(cls) -> ConnectionLimits:
        if cls.limits is None:
            cls.limits = ConnectionLimits.of(Settings.from_env().server)
        return cls.limits

    # asyncio.Protocol, towards the socket.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport, but they are one.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        cls = type(self)
        if cls.open_connections >= self._limits.max_connections:
            self._refuse(TOO_MANY_CONNECTIONS, "too many open connections")
            return
        cls.open_connections += 1
        self._counted = True
        self._inner.connection_made(transport)
        # A connection that never sends a byte is held no longer than a slow head.
        self._arm(self._limits.header_timeout, self._head_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._counted:
            type(self).open_connections -= 1
            self._counted = False
            self._inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        if self._refused:
            return None
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._framing:
            if self._phase == _IDLE and data[:1] in _LINE_ENDS:
                # Empty lines between requests: both parsers skip them, but any byte that
                # reaches the wrapped protocol cancels its keep-alive timer, and no request
                # (so no head timer) starts. Not passing them on leaves that timer running.
                data = data.lstrip(b"\r\n")
                if not data:
                    return
            upgraded = self._frame(data)
            if upgraded is None:
                return
            self._inner.data_received(data)
            if upgraded:
                self._after_upgrade()
            return
        self._inner.data_received(data)

    # Framing: the same parse uvicorn's protocol makes of the same bytes, to know where heads,
    # bodies and the bytes between requests are.

    def _frame(self, data: bytes) -> bool | None:
        """Follow `data` through the parser.

        None when the connection was refused (`data` must not be passed on), True when a
        request asked to switch protocols (the parser stopped there, as uvicorn's does: both
        ignore the rest of `data`), False otherwise.
        """
        bound = self._limits.max_header_bytes
        offset, size = 0, len(data)
        while offset < size:
            phase = self._phase
            # Never feed the parser more of a head than the bound, so that neither it nor the
            # wrapped protocol ever holds a larger one (bodies: the app's own body limit).
            end = size if phase == _BODY else min(size, offset + bound + 1 - self._head_bytes)
            piece = data[offset:end]
            if phase == _HEAD:
                head = self._head_text
                if type(head) is bytes:
                    head = self._head_text = bytearray(head)
                head += piece
            else:
                self._head_text = piece
            self._piece_body = self._piece_chunks = self._piece_ends = 0
            try:
                self._parser.feed_data(piece)
            except httptools.HttpParserUpgrade as upgrade:
                if self._switch_cannot_be_framed(
                    upgrade.args[0] + len(self._head_text) - len(piece)
                ):
                    self._refuse(
                        CANNOT_FRAME if self._requests == 1 else None,
                        "a request to switch protocols with a body, or a tunnel",
                    )
                    return None
                return True
            except httptools.HttpParserError:
                # Not HTTP: the wrapped protocol answers it (400) and closes.
                self._stop_framing()
                return False
            if not self._within_bounds(phase == _BODY, end - offset):
                return None
            offset = end
        return False

    def _switch_cannot_be_framed(self, head_end: int) -> bool:
        """Whether the request to switch protocols ending at `head_end` is one to refuse.

        The parser skips the body of such a request (and so does uvicorn's): when the
        protocol does not switch, that body would be read as the next request. A tunnel
        (CONNECT) is the same. Such requests are rare, so their head is read again here for
        what it declares rather than every head being followed header by header.
        """
        if self._parser.get_method() == b"CONNECT":
            return True
        reader = _BodyDeclared()
        parser = httptools.HttpRequestParser(reader)
        parser.set_dangerous_leniencies(lenient_data_after_close=True)
        text = bytes(self._head_text[:head_end])
        try:
            parser.feed_data(text)
        except httptools.HttpParserUpgrade as upgrade:
            # Read from where the head began, the same request ends at the same byte.
            return upgrade.args[0] != len(text) or reader.declared
        except httptools.HttpParserError:
            pass
        return True  # the head could not be read alone: refuse rather than guess

    def _within_bounds(self, in_body: bool, length: int) -> bool:
        """Account for a piece just fed; False when that refused the connection.

        `in_body`: the piece began inside a body.
        """
        bound = self._limits.max_header_bytes
        if self._phase != _HEAD:
            self._head_text = b""
        if in_body:
            # What is not data is framing: chunk-size lines, extensions, trailers (a trailer
            # section is a head), and the heads that followed the body's end in the piece.
            framing = length - self._piece_body
            if self._piece_ends:
                self._chunk_framing = framing
            elif self._piece_chunks:
                self._chunk_framing = framing  # counted afresh from the last chunk's end
            else:
                self._chunk_framing += framing
            if self._chunk_framing > bound:
                self._refuse(None, "chunk framing or trailers over HTTP_MAX_HEADER_BYTES")
                return False
            if self._phase == _HEAD:
                self._head_bytes = self._chunk_framing
            return True
        if self._phase == _HEAD:
            if self._piece_ends:
                # This head began inside the piece, after the end of another request: its
                # bytes so far are at most the piece, itself within the bound.
                self._head_bytes = 0
            else:
                self._head_bytes += length
            if self._head_bytes > bound:
                self._refuse(
                    HEADERS_TOO_LARGE if self._requests == 1 else None,
                    "request head over HTTP_MAX_HEADER_BYTES",
                )
                return False
        return True

    def _after_upgrade(self) -> None:
        transport = self._transport
        if transport is not None and transport.get_protocol() is not self:
            # The wrapped protocol switched (a WebSocket): the connection is no longer ours.
            self._framing = False
            self._disarm()
            if self._counted:
                type(self).open_connections -= 1
                self._counted = False

    def _stop_framing(self) -> None:
        self._framing = False
        self._disarm()

    # httptools callbacks.

    def on_message_begin(self) -> None:
        self._phase = _HEAD
        self._head_bytes = 0
        self._requests += 1
        if self._deadline is None:
            self._arm(self._limits.header_timeout, self._head_expired)

    def on_headers_complete(self) -> None:
        self._phase = _BODY
        self._head_bytes = 0
        self._chunk_framing = 0
        self._arm(self._limits.body_timeout, self._body_expired)

    def on_body(self, body: bytes) -> None:
        self._piece_body += len(body)

    def on_chunk_complete(self) -> None:
        self._piece_chunks += 1

    def on_message_complete(self) -> None:
        # Between requests uvicorn's keep-alive timeout governs the idle connection.
        self._phase = _IDLE
        self._piece_ends += 1
        self._disarm()

    # Deadlines.

    def _arm(self, seconds: float, expired: Any) -> None:
        self._disarm()
        self._deadline = self._loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_expired(self) -> None:
        self._deadline = None
        # Only the first request's head may be answered: a later one's connection may still
        # be carrying the answer to an earlier request.
        self._refuse(HEAD_TIMEOUT if self._requests <= 1 else None, "request head too slow")

    def _body_expired(self) -> None:
        self._deadline = None
        transport = self._transport
        if transport is not None and not transport.is_closing() and not transport.is_reading():
            # The server paused reading (the app has not taken what was read): not the
            # caller's delay. Look again a little later.
            self._arm(1.0, self._body_expired)
            return
        self._refuse(None, "request body too slow")

    def _refuse(self, answer: bytes | None, reason: str) -> None:
        """Answer (when it is safe to) and close; the wrapped protocol sees the loss."""
        self._refused = True
        self._framing = False
        self._disarm()
        logger.info("connection closed: %s", reason)
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if answer is not None:
            transport.write(answer)
            transport.close()
        else:
            transport.abort()


class _BodyDeclared:
    """httptools callbacks that note whether the last request's head declares a body."""

    def __init__(self) -> None:
        self.declared = False

    def on_message_begin(self) -> None:
        self.declared = False

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            self.declared = True


def guarded_protocol_class(
    limits: ConnectionLimits,
    inner: type[asyncio.Protocol] = HttpToolsProtocol,
) -> type[GuardedHttpProtocol]:
    """A `GuardedHttpProtocol` with these limits, for a server in this process.

    Not picklable: `graphql-api serve --workers N` passes `GuardedHttpProtocol` itself, whose
    workers read their limits from the environment.
    """
    return type(
        "GuardedHttpProtocol",
        (GuardedHttpProtocol,),
        {"limits": limits, "inner_protocol": inner, "open_connections": 0},
    )


__all__ = [
    "ConnectionLimits",
    "GuardedHttpProtocol",
    "guarded_protocol_class",
]
