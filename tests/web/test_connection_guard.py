"""connection_guard.py over real sockets: heads bounded in size and time, bodies in time,
connections in number; ordinary traffic (keep-alive, pipelining) passes untouched."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from graphql_api.config import ServerSettings, Settings
from graphql_api.web.app import create_app
from graphql_api.web.connection_guard import ConnectionLimits, guarded_protocol_class
from tests.live_server import live_server

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"


@contextmanager
def _serve(**limits: float) -> Iterator[tuple[str, int]]:
    # /healthz and a body-reading POST need no upstream: nothing listens on port 9.
    app = create_app(Settings.from_env({"PARTNER_CENTER_URL": "http://127.0.0.1:9"}))
    protocol = guarded_protocol_class(ConnectionLimits.of(ServerSettings(**limits)))
    with live_server(app, http=protocol) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def _connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_a_head_within_the_bound_is_served_and_keep_alive_and_pipelining_pass() -> None:
    with _serve(max_header_bytes=4096) as address, _connect(address) as sock:
        padded = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 3900 + b"\r\n\r\n"
        sock.sendall(padded)
        first = sock.recv(65536)
        # Two more on the same connection, sent in one write (pipelined).
        sock.sendall(HEALTHZ + HEALTHZ[:-2] + b"Connection: close\r\n\r\n")
        rest = _read_all(sock)
    assert _status(first) == 200
    assert rest.count(b"HTTP/1.1 200 OK") == 2


def test_a_head_over_the_bound_is_refused_with_431_while_it_is_still_arriving() -> None:
    with _serve(max_header_bytes=4096) as address, _connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pad: ")
        try:
            # A megabyte of one header value, in small pieces: refused long before the end.
            for _ in range(1024):
                sock.sendall(b"a" * 1024)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_all(sock)
    assert _status(answer) == 431
    assert b"connection: close" in answer


def test_an_oversized_head_on_a_reused_connection_closes_it_without_an_answer() -> None:
    with _serve(max_header_bytes=2048) as address, _connect(address) as sock:
        sock.sendall(HEALTHZ)
        assert _status(sock.recv(65536)) == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 4096 + b"\r\n\r\n")
        assert _read_all(sock) == b""


def test_a_connection_that_sends_nothing_is_closed_with_408() -> None:
    with _serve(header_timeout=0.3) as address, _connect(address) as sock:
        answer = _read_all(sock)
    assert _status(answer) == 408


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_the_head_timeout() -> None:
    with _serve(header_timeout=0.5) as address, _connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        sock.settimeout(0.1)
        answer = b""
        # Keep trickling: each byte would have reset an idle timer, not this one.
        for _ in range(100):
            try:
                sock.sendall(b"X")
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if answer:
                break
    assert _status(answer) == 408


def test_a_body_that_stalls_is_cut_off_and_logged_as_a_disconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with _serve(body_timeout=0.3) as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer t\r\nContent-Length: 100\r\n\r\n{\"query\":"
        )
        answer = _read_all(sock)
    # Closed with no answer: the app saw its caller go away mid-body.
    assert answer == b""
    assert any("request body too slow" in record.getMessage() for record in caplog.records)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_past_the_connection_cap_a_connection_gets_503_and_a_freed_place_is_reused() -> None:
    with _serve(max_connections=3) as address, ExitStack() as stack:
        held = [stack.enter_context(_connect(address)) for _ in range(3)]
        held[0].sendall(HEALTHZ)
        assert _status(held[0].recv(65536)) == 200  # the three are open and served
        with _connect(address) as extra:
            assert _status(_read_all(extra)) == 503
        held.pop().close()
        for _ in range(50):  # the server notices the close on its next loop turn
            with _connect(address) as again:
                again.sendall(HEALTHZ)
                answer = _read_all_or_first(again)
            if _status(answer) == 200:
                break
        assert _status(answer) == 200


def _read_all_or_first(sock: socket.socket) -> bytes:
    """The first answer on a connection (the server keeps it open after a 200)."""
    return sock.recv(65536)
