"""http_protocol.py: the bytes of one loop turn leave in one write; nothing is lost or reordered."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.server import ServerState

from graphql_api.web.http_protocol import (
    HOLD_LIMIT,
    CoalescingHttpToolsProtocol,
    TurnBufferedTransport,
)
from tests.live_server import live_server


class RecordingTransport(asyncio.Transport):
    """A socket stand-in: records each call that would send, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def writelines(self, list_of_data: Any) -> None:
        self.calls.append(("writelines", b"".join(list_of_data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        self.calls.append(("pause_reading", b""))

    def resume_reading(self) -> None:
        self.calls.append(("resume_reading", b""))


async def _turn() -> None:
    """Let the loop finish the current turn (and run what it scheduled)."""
    await asyncio.sleep(0)


async def test_writes_of_one_turn_leave_together_at_its_end() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.write(b"HTTP/1.1 200 OK\r\n\r\n")
    buffered.write(b"body")
    assert real.calls == []
    assert buffered.get_write_buffer_size() == 7 + len(b"HTTP/1.1 200 OK\r\n\r\nbody")
    await _turn()

    assert real.calls == [("writelines", b"HTTP/1.1 200 OK\r\n\r\nbody")]


async def test_writes_of_different_turns_leave_in_order_one_per_turn() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.writelines([b"a", b"b"])
    await _turn()
    buffered.write(b"c")
    await _turn()

    assert real.calls == [("writelines", b"ab"), ("writelines", b"c")]


async def test_a_large_write_is_sent_at_once_and_nothing_past_the_limit_is_held() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())
    chunk = b"x" * (HOLD_LIMIT // 4)

    for _ in range(9):  # a streamed body written within one turn
        buffered.write(chunk)
        assert buffered.get_write_buffer_size() - 7 < HOLD_LIMIT
    sent_in_turn = sum(len(data) for _, data in real.calls)
    await _turn()

    assert sent_in_turn == 8 * len(chunk)
    assert sum(len(data) for _, data in real.calls) == 9 * len(chunk)


async def test_close_sends_what_is_held_first_and_later_writes_are_dropped() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.write(b"last words")
    buffered.close()
    buffered.write(b"after close")
    await _turn()

    assert real.calls == [("writelines", b"last words"), ("close", b"")]
    assert buffered.is_closing()


async def test_abort_drops_what_is_held() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.write(b"never sent")
    buffered.abort()
    await _turn()

    assert real.calls == [("abort", b"")]


async def test_held_bytes_are_dropped_without_error_when_the_peer_went_away() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.write(b"too late")
    real.closing = True  # connection lost before the turn ended
    await _turn()

    assert real.calls == []


async def test_reading_and_extra_info_are_the_wrapped_transports() -> None:
    real = RecordingTransport()
    buffered = TurnBufferedTransport(real, asyncio.get_running_loop())

    buffered.pause_reading()
    buffered.resume_reading()

    assert real.calls == [("pause_reading", b""), ("resume_reading", b"")]
    assert buffered.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert buffered.get_extra_info("sslcontext") is None


def _app() -> Starlette:
    async def page(_: Request) -> Response:
        return JSONResponse({"customers": ["x" * 40] * 50})

    async def chunks(_: Request) -> Response:
        async def parts() -> Any:
            for number in range(3):
                await asyncio.sleep(0.01)  # the app yields between chunks
                yield f"chunk {number};".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    return Starlette(routes=[Route("/page", page), Route("/chunks", chunks)])


async def test_uvicorn_sends_a_whole_response_in_one_write() -> None:
    config = uvicorn.Config(_app(), http=CoalescingHttpToolsProtocol, log_level="warning")
    protocol = CoalescingHttpToolsProtocol(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )
    real = RecordingTransport()
    protocol.connection_made(real)

    protocol.data_received(b"GET /page HTTP/1.1\r\nHost: test\r\n\r\n")
    for _ in range(20):
        await _turn()

    sends = [data for call, data in real.calls if call in ("write", "writelines")]
    assert len(sends) == 1, real.calls
    head, _, body = sends[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"content-length: %d" % len(body) in head
    assert body.startswith(b'{"customers":["xxxx')
    protocol.connection_lost(None)


def test_a_served_page_and_a_streamed_body_arrive_whole() -> None:
    with live_server(_app()) as url, httpx.Client(base_url=url) as client:
        page = client.get("/page")
        streamed = client.get("/chunks")
        again = client.get("/page")  # the same keep-alive connection

    assert page.json() == {"customers": ["x" * 40] * 50}
    assert streamed.text == "chunk 0;chunk 1;chunk 2;"
    assert again.json() == page.json()


@pytest.mark.parametrize("request_line", [b"GET /page HTTP/1.0", b"GET /page HTTP/1.1"])
def test_a_response_before_close_is_sent_whole(request_line: bytes) -> None:
    with live_server(_app()) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request_line + b"\r\nHost: test\r\nConnection: close\r\n\r\n")
            received = b""
            while chunk := sock.recv(65536):  # until the server closes
                received += chunk

    head, _, body = received.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].endswith(b"200 OK")
    assert body == b'{"customers":[' + b",".join([b'"' + b"x" * 40 + b'"'] * 50) + b"]}"
