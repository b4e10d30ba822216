"""uvicorn's HTTP/1.1 protocol, with the bytes written in one event-loop turn sent together.

uvicorn writes a response's status line and headers when the app sends
`http.response.start`, and its body when the app sends `http.response.body`: two `send`
system calls, two TCP segments, and on loopback two wake-ups of the caller, who reads the
head, finds no body yet, and sleeps again. Starlette's responses send both messages in the
same loop turn, so holding what is written during a turn and handing it to the socket at the
turn's end sends a whole response in one call. Nothing waits longer than the current turn: a
streamed body still leaves chunk by chunk, as the app yields between chunks, and at most
`HOLD_LIMIT` bytes are ever held (more is sent at once, under uvicorn's flow control).

Both servers use it: the façade (`graphql-api serve`) and the emulator, whose answers the
façade reads; so does `tests/live_server.py`, so that the tests run what is served.

Example:
    uvicorn.run(app, http=CoalescingHttpToolsProtocol)
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Held bytes are sent at once past this: a response that large leaves in several segments
# anyway, and a streamed body must stay under the socket's flow control.
HOLD_LIMIT = 64 * 1024


class TurnBufferedTransport(asyncio.Transport):
    """A transport that hands the writes of one loop turn to `transport` as one `writelines`.

    Everything else is the wrapped transport's: reading, flow control, extra info. Closing
    sends what is held first; aborting drops it, as an abort drops the socket's buffer.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data or self._transport.is_closing():
            return  # as a closing transport does: nothing more leaves
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= HOLD_LIMIT:
            # A large body gains nothing from waiting, and held bytes escape the socket's
            # flow control (uvicorn pauses the app when the transport's buffer is full).
            self._flush()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        held, self._held = self._held, []
        self._held_bytes = 0
        # Closed under us (the peer went away): the socket's own buffer is dropped too.
        if held and not self._transport.is_closing():
            self._transport.writelines(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._held_bytes = 0
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `TurnBufferedTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(TurnBufferedTransport(transport, self.loop))


__all__ = ["HOLD_LIMIT", "CoalescingHttpToolsProtocol", "TurnBufferedTransport"]
