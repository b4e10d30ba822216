"""connection_guard.py over real sockets: heads bounded in size and time, bodies in time,
connections in number; ordinary traffic (keep-alive, pipelining) passes untouched."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from graphql_api.config import ServerSettings, Settings
from graphql_api.web.app import create_app
from graphql_api.web.connection_guard import ConnectionLimits, guarded_protocol_class
from tests.live_server import live_server

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"


@contextmanager
def _serve(
    env: dict[str, str] | None = None, keep_alive: int = 5, **limits: float
) -> Iterator[tuple[str, int]]:
    # /healthz and a body-reading POST need no upstream: nothing listens on port 9.
    app = create_app(Settings.from_env({"PARTNER_CENTER_URL": "http://127.0.0.1:9", **(env or {})}))
    protocol = guarded_protocol_class(ConnectionLimits.of(ServerSettings(**limits)))
    with live_server(app, http=protocol, timeout_keep_alive=keep_alive) as base:
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
            b'Authorization: Bearer t\r\nContent-Length: 100\r\n\r\n{"query":'
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


def _statuses(answers: bytes) -> list[int]:
    """The status of every response in `answers` (interim 1xx ones included)."""
    return [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", answers)]


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes; fails the test if still open after `seconds`."""
    sock.settimeout(seconds)
    try:
        return _read_all(sock)
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s")


def test_a_connection_stays_guarded_after_an_upgrade_the_server_did_not_make() -> None:
    upgrade = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    with _serve(max_header_bytes=2048, header_timeout=0.5) as address:
        with _connect(address) as sock:
            sock.sendall(upgrade)
            assert _status(sock.recv(65536)) == 200  # answered as plain HTTP: no 101
            # A later head over the size bound: closed, not read whole.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * 8192 + b"\r\n\r\n")
            assert _closed_within(sock, 5) == b""
        with _connect(address) as sock:
            sock.sendall(upgrade)
            assert _status(sock.recv(65536)) == 200
            # A later head that never ends: closed at the head timeout.
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert _closed_within(sock, 5) == b""


@pytest.mark.parametrize(
    "head",
    [
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n",
        b"CONNECT test:443 HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n",
    ],
    ids=["upgrade-with-content-length", "connect"],
)
def test_the_body_of_a_request_that_asks_to_switch_protocols_never_runs_as_a_request(
    head: bytes,
) -> None:
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    with _serve() as address, _connect(address) as sock:
        sock.sendall(head % len(smuggled))
        time.sleep(0.3)  # the body in a later TCP segment than the head
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(smuggled)
        answers = _closed_within(sock, 10)
    # One answer, to the request that was sent: the smuggled /healthz never ran.
    assert _statuses(answers) == [400]


def test_a_chunked_upgrade_request_is_refused_too() -> None:
    with _serve() as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        time.sleep(0.3)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert _statuses(_closed_within(sock, 10)) == [400]


def test_a_stray_crlf_after_a_request_does_not_keep_the_connection_open() -> None:
    with _serve(keep_alive=1) as address, _connect(address) as sock:
        sock.sendall(HEALTHZ)
        assert _status(sock.recv(65536)) == 200
        sock.sendall(b"\r\n")
        assert _closed_within(sock, 8) == b""


def test_crlf_between_pipelined_requests_is_still_allowed() -> None:
    with _serve() as address, _connect(address) as sock:
        sock.sendall(b"\r\n" + HEALTHZ + b"\r\n")
        time.sleep(0.1)
        sock.sendall(b"\r\n" + HEALTHZ[:-2] + b"Connection: close\r\n\r\n")
        assert _statuses(_closed_within(sock, 10)) == [200, 200]


def test_an_endless_trailer_counts_toward_the_head_bound(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with _serve(max_header_bytes=4096, body_timeout=20) as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: "
        )
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(64):
                sock.sendall(b"a" * 1024)
                time.sleep(0.005)
        assert _closed_within(sock, 8) == b""
    assert any("HTTP_MAX_HEADER_BYTES" in record.getMessage() for record in caplog.records)


def test_ordinary_chunked_bodies_with_a_trailer_pass() -> None:
    body = b'{"query": "{ __typename }"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (1, body[i : i + 1]) for i in range(len(body)))
    with _serve(max_header_bytes=2048) as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked
            + b"0\r\nX-Checksum: abc\r\n\r\n"
        )
        answer = _closed_within(sock, 10)
    assert _status(answer) == 200
    assert b"__typename" in answer


def test_expect_100_continue_with_a_body_over_the_limit_is_refused_before_100() -> None:
    with _serve(env={"GRAPHQL_MAX_BODY_BYTES": "2048"}) as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer t\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n"
        )
        answers = _closed_within(sock, 10)
    assert _statuses(answers) == [413]


def test_expect_100_continue_within_the_limit_still_gets_100() -> None:
    body = b'{"query": "{ __typename }"}'
    with _serve() as address, _connect(address) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer t\r\nExpect: 100-continue\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        assert _statuses(_closed_within(sock, 10)) == [200]


def test_a_pipelined_burst_longer_than_the_head_bound_is_served_whole() -> None:
    burst = HEALTHZ * 120 + HEALTHZ[:-2] + b"Connection: close\r\n\r\n"
    with _serve(max_header_bytes=2048) as address, _connect(address) as sock:
        assert len(burst) > 2 * 2048
        sock.sendall(burst)
        assert _statuses(_closed_within(sock, 20)) == [200] * 121


_PADDED = b"{}" + b" " * 4000  # longer than the head bound: the head ends inside one read


@pytest.mark.parametrize(
    "body",
    [
        b"Content-Length: %d\r\n\r\n%s" % (len(_PADDED), _PADDED),
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(_PADDED), _PADDED),
    ],
    ids=["content-length", "chunked"],
)
def test_a_head_behind_a_body_in_the_same_segment_is_still_bounded(body: bytes) -> None:
    post = b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
    huge = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Pad: " + b"a" * 65536 + b"\r\n\r\n"
    with _serve(max_header_bytes=2048) as address, _connect(address) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(post + body + huge)
        answers = _closed_within(sock, 10)
    # The POST may be answered (400: no query); the oversized head never is.
    assert 200 not in _statuses(answers)


def test_an_upgrade_request_split_over_reads_is_still_refused_for_its_body() -> None:
    with _serve() as address, _connect(address) as sock:
        for part in (
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nConn",
            b"ection: Upgrade\r\nUp",
            b"grade: x\r\nContent-Length: 2\r\n",
            b"\r\n",
        ):
            sock.sendall(part)
            time.sleep(0.05)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"{}")
        assert _statuses(_closed_within(sock, 10)) == [400]


def test_upgrade_requests_without_a_body_are_answered_as_plain_http() -> None:
    upgrade = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
    with _serve() as address, _connect(address) as sock:
        # After an ordinary request in the same write, and with a zero Content-Length.
        sock.sendall(HEALTHZ + upgrade + b"Content-Length: 0\r\n\r\n")
        time.sleep(0.3)
        sock.sendall(upgrade + b"Connection: close\r\n\r\n")
        assert _statuses(_closed_within(sock, 10)) == [200, 200, 200]
