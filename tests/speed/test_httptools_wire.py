"""`HttptoolsWire` against peers that misbehave on purpose, over real loopback sockets.

Each peer is a small asyncio server on 127.0.0.1 (port 0) that reads request heads and
answers as the test scripts it: heads and bodies past their bounds, codings, framings split
at awkward places, closes and resets, interim answers, garbage, stalls. The tests drive
`HttptoolsWire.get` directly (and `PartnerCenterClient` where its typed errors matter) and
count what the peer saw: connections accepted, requests read, connections the wire closed.
Many misbehave on the first request only, and the test checks that the wire recovers: the
call's outcome, the connection closed by the wire, the next call answered on a new one
(`assert_refused`, `assert_cut_at_the_bound`, `then_a_new_connection_answers`).
Nothing is timed; where a timer is the subject (read, pool, keep-alive) it is set short and
the outcome is asserted, and every wait is for an event, under a generous safety net.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from bench.faulty_peers import LoopbackPeer, read_head
from graphql_api.partner_center import (
    BodyLimits,
    CallContext,
    PartnerCenterClient,
    RawResponse,
    Timeouts,
    UpstreamMalformedResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from graphql_api.speed import httptools_wire
from graphql_api.speed.httptools_wire import MAX_HEAD_BYTES, HttptoolsWire
from tests.auth import conftest as auth_fixtures
from tests.partner_center.conftest import CORRELATION_ID, TOKEN, fast_settings

# The throwaway CA of the auth tests, shared rather than made again.
tls_files = auth_fixtures.tls_files

T = TypeVar("T")

# A net under every wait: far longer than any step takes even on a loaded machine, so that
# a wire that hangs fails the test instead of hanging the suite.
SAFETY = 30.0
BOUND = 1000  # the body bound of most tests (bytes, decoded)
LIMITS = BodyLimits(success=BOUND, other=BOUND)


async def soon(awaitable: Awaitable[T]) -> T:
    """`awaitable`'s outcome, or a TimeoutError past the safety net."""
    async with asyncio.timeout(SAFETY):
        return await awaitable


# --- the peer -------------------------------------------------------------------------------


@dataclass(eq=False)
class Link:
    """One connection the peer accepted, and what happened on it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    requests: list[bytes] = field(default_factory=list)
    # Set when the connection ended: the wire closed it, unless the peer did (`by_peer`).
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    by_peer: bool = False

    @property
    def closed_by_wire(self) -> bool:
        return self.ended.is_set() and not self.by_peer

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def trickle(self, data: bytes, piece: int = 1) -> None:
        """`data` in writes of `piece` bytes, yielding between them so the wire reads them
        apart (mostly: the kernel may still join some; every split must read the same)."""
        for start in range(0, len(data), piece):
            if self.writer.is_closing():
                return
            self.writer.write(data[start : start + piece])
            with suppress(ConnectionError):
                await self.writer.drain()
            await asyncio.sleep(0)

    def close(self) -> None:
        """Close from the peer's side (a FIN)."""
        self.by_peer = True
        self.writer.close()

    def reset(self) -> None:
        """Close from the peer's side with a TCP reset (SO_LINGER 0) rather than a FIN."""
        self.by_peer = True
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def until_closed(self) -> None:
        """Hold the connection, dropping whatever comes, until the wire closes it."""
        with suppress(ConnectionError):
            while await self.reader.read(65536):
                pass


# The peer's answer to one request: the connection, and the request's number (from 0) among
# all the peer has read.
Script = Callable[[Link, int], Awaitable[None]]


class Peer:
    """A loopback server that answers as `script` says; counts connections and requests."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.links: list[Link] = []
        self.requests: list[bytes] = []
        self.open_now = 0
        self.most_open = 0
        self.url = ""
        self.base_url = ""
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.url = f"{self.base_url}/v1/customers?size=1"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait (for changes, not for time) until `predicate` holds."""
        async with asyncio.timeout(SAFETY):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def until_closed_by_wire(self, link: int) -> None:
        """Wait until the wire has closed the peer's `link`th connection."""
        await self.until(lambda: len(self.links) > link and self.links[link].ended.is_set())
        assert self.links[link].closed_by_wire

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        link = Link(reader, writer)
        self.links.append(link)
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        self._changed.set()
        try:
            while not writer.is_closing():
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                link.requests.append(head)
                self.requests.append(head)
                self._changed.set()
                await self.script(link, len(self.requests) - 1)
        except asyncio.CancelledError:
            pass  # stopped by `stop` (a cancelled handler task would be logged as an error)
        finally:
            self.open_now -= 1
            link.ended.set()
            self._changed.set()
            writer.close()


Peers = Callable[..., Awaitable[Peer]]
Wires = Callable[..., HttptoolsWire]


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    """Start peers; each is stopped when the test ends."""
    made: list[Peer] = []

    async def start(script: Script, *, tls: ssl.SSLContext | None = None) -> Peer:
        peer = Peer(script)
        await peer.start(tls)
        made.append(peer)
        return peer

    yield start
    for peer in made:
        await peer.stop()


@pytest.fixture
async def wires() -> AsyncIterator[Wires]:
    """Make wires; each is closed when the test ends (before its peers stop)."""
    made: list[HttptoolsWire] = []

    def make(*, max_connections: int = 4, ca_bundle: str | None = None) -> HttptoolsWire:
        wire = HttptoolsWire(max_connections=max_connections, ca_bundle=ca_bundle)
        made.append(wire)
        return wire

    yield make
    for wire in made:
        await wire.aclose()


async def get(
    wire: HttptoolsWire,
    peer: Peer,
    *,
    read: float | None = None,
    pool: float | None = SAFETY,
    limits: BodyLimits = LIMITS,
    headers: Sequence[tuple[str, str]] = (),
) -> RawResponse:
    """One GET of the peer's URL through `wire`."""
    return await soon(
        wire.get(
            peer.url,
            [("Accept", "application/json"), *headers],
            timeouts=Timeouts(connect=SAFETY, read=read, pool=pool),
            limits=limits,
        )
    )


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[..., PartnerCenterClient]]:
    """Clients on an `HttptoolsWire`, one attempt per call so failures show as they come."""
    made: list[PartnerCenterClient] = []

    def make(peer: Peer, **overrides: Any) -> PartnerCenterClient:
        settings = fast_settings(base_url=peer.base_url, **{"max_attempts": 1, **overrides})
        wire = HttptoolsWire(max_connections=settings.max_in_flight)
        client = PartnerCenterClient(settings, transport=wire)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


def call() -> CallContext:
    return CallContext(authorization=TOKEN, correlation_id=CORRELATION_ID)


# --- answers --------------------------------------------------------------------------------


def answer(
    body: bytes = b"{}",
    *,
    status: str = "200 OK",
    headers: Sequence[str] = (),
    version: str = "HTTP/1.1",
    length: bool = True,
) -> bytes:
    """An answer's bytes; with a Content-Length unless `length` is off or `headers` frame it."""
    lines = [f"{version} {status}", *headers]
    if length and not any(
        line.lower().startswith(("content-length:", "transfer-encoding:")) for line in headers
    ):
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


def chunked(*pieces: bytes, trailers: bytes = b"") -> bytes:
    """`pieces` as a chunked body, its last chunk and `trailers` (header lines) after them."""
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece)
    return chunks + b"0\r\n" + trailers + b"\r\n"


CHUNKED = ("Transfer-Encoding: chunked",)
JSON = b'{"totalCount": 0, "items": [], "attributes": {"objectType": "Collection"}}'


def head_of(size: int, body: bytes = b"{}") -> bytes:
    """A 200 whose status line and headers (the blank line included) are `size` bytes."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(body)
    # Many lines, as a real head has them, each exactly 100 bytes; the last fills the rest.
    while size - len(head) - 2 > 300:
        head += b"X-Pad-%05d: %s\r\n" % (len(head), b"p" * 85)
    last = b"X-Last: "
    head += last + b"l" * (size - len(head) - len(last) - 4) + b"\r\n\r\n"
    assert len(head) == size
    return head + body


async def ok(link: Link, number: int) -> None:
    """Every request answered 200 with a JSON body that names it."""
    link.send(answer(b'{"n": %d}' % number))


# How the peer misbehaves on one connection, for one request.
Misbehaviour = Callable[[Link], Awaitable[None]]


def first_then_ok(first: Misbehaviour) -> Script:
    """The first request gets `first`; every later one `ok`'s answer."""

    async def script(link: Link, number: int) -> None:
        if number == 0:
            await first(link)
        else:
            await ok(link, number)

    return script


def ok_then(later: Misbehaviour) -> Script:
    """The first request gets `ok`'s answer (and its connection is kept); every later one
    gets `later`."""

    async def script(link: Link, number: int) -> None:
        if number == 0:
            await ok(link, number)
        else:
            await later(link)

    return script


async def closes(link: Link) -> None:
    """The connection closed (a FIN) without a byte of an answer."""
    link.close()


def sends(data: bytes) -> Misbehaviour:
    """`data`, then the connection held (whatever comes dropped) until the wire closes it."""

    async def misbehave(link: Link) -> None:
        link.send(data)
        await link.until_closed()

    return misbehave


async def then_a_new_connection_answers(wire: HttptoolsWire, peer: Peer) -> None:
    """The first connection was not reused: the wire closed it, and the next call (the
    peer's second request) is answered on a second connection."""
    await peer.until_closed_by_wire(0)
    response = await get(wire, peer)
    assert (response.status, response.body) == (200, b'{"n": 1}')
    assert len(peer.links) == 2


async def assert_refused(
    peers: Peers,
    wires: Wires,
    first: Misbehaviour,
    failure: type[Exception] = UpstreamUnavailable,
    match: str = "RemoteProtocolError",
    **options: Any,
) -> None:
    """The first call, met with `first`, fails as `failure` (its message matching `match`);
    then a new connection answers. `options` go to the first call's `get`."""
    peer = await peers(first_then_ok(first))
    wire = wires()
    with pytest.raises(failure, match=match):
        await get(wire, peer, **options)
    await then_a_new_connection_answers(wire, peer)


async def assert_cut_at_the_bound(
    peers: Peers, wires: Wires, first: Misbehaviour, limits: BodyLimits = LIMITS
) -> None:
    """The first call, met with `first`, is answered 200 without its body, which went past
    `limits`; then a new connection answers."""
    peer = await peers(first_then_ok(first))
    wire = wires()
    response = await get(wire, peer, limits=limits)
    assert (response.status, response.body) == (200, None)
    await then_a_new_connection_answers(wire, peer)


# --- the head's bound -----------------------------------------------------------------------


@pytest.mark.parametrize("piece", [MAX_HEAD_BYTES + 2, 997])
async def test_a_head_of_exactly_the_bound_is_read(peers: Peers, wires: Wires, piece: int) -> None:
    async def script(link: Link, number: int) -> None:
        await link.trickle(head_of(MAX_HEAD_BYTES), piece)

    peer = await peers(script)
    response = await get(wires(), peer)
    assert (response.status, response.body) == (200, b"{}")
    assert len(response.headers["x-last"]) > 100


async def test_a_head_past_the_bound_in_one_piece_is_refused(peers: Peers, wires: Wires) -> None:
    await assert_refused(peers, wires, sends(head_of(MAX_HEAD_BYTES + 1)))


async def test_a_head_that_ends_far_past_the_bound_is_refused(peers: Peers, wires: Wires) -> None:
    # The first write stays under the bound; the head ends in the second, far past it, with
    # a body after it (however the reads split them, the one that ends the head is counted).
    whole = head_of(2 * MAX_HEAD_BYTES, b"{}")

    async def in_two_writes(link: Link) -> None:
        link.send(whole[: MAX_HEAD_BYTES - 100])
        await link.writer.drain()
        await asyncio.sleep(0)
        link.send(whole[MAX_HEAD_BYTES - 100 :])
        await link.until_closed()

    await assert_refused(peers, wires, in_two_writes)


async def test_a_head_trickled_a_byte_at_a_time_past_the_bound_is_refused(
    peers: Peers, wires: Wires, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A smaller bound, so that the test sends a few thousand one-byte writes, not 64 K.
    monkeypatch.setattr(httptools_wire, "MAX_HEAD_BYTES", 2048)

    async def trickled(link: Link) -> None:
        await link.trickle(b"HTTP/1.1 200 OK\r\nX-Endless: " + b"e" * 4 * 2048)
        await link.until_closed()

    await assert_refused(peers, wires, trickled)


async def test_through_the_client_a_head_past_the_bound_is_unavailable(
    peers: Peers, client_for: Callable[..., PartnerCenterClient]
) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(head_of(MAX_HEAD_BYTES + 1, JSON))

    peer = await peers(script)
    with pytest.raises(UpstreamUnavailable, match="RemoteProtocolError"):
        await soon(client_for(peer).list_customers(call()))
    assert len(peer.requests) == 1


# --- the body's bound -----------------------------------------------------------------------


async def test_a_declared_length_past_the_bound_is_refused_before_the_body(
    peers: Peers, wires: Wires
) -> None:
    # The head alone: the body never comes, so only a refusal answers the call.
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (BOUND + 1)
    await assert_cut_at_the_bound(peers, wires, sends(head))


async def test_a_chunked_body_past_the_bound_is_cut_and_not_reused(
    peers: Peers, wires: Wires
) -> None:
    async def endless_chunks(link: Link) -> None:
        # No last chunk: the wire must stop at the bound, not wait for the end.
        link.send(answer(chunked(b"x" * 400, b"y" * 400)[:-5], headers=CHUNKED))
        link.send(b"%x\r\n%s" % (300, b"z" * 300))
        await link.until_closed()

    await assert_cut_at_the_bound(peers, wires, endless_chunks)


async def test_a_body_without_a_length_past_the_bound_is_cut_and_not_reused(
    peers: Peers, wires: Wires
) -> None:
    # The peer never ends it (`sends` holds the connection): only the bound does.
    await assert_cut_at_the_bound(peers, wires, sends(answer(b"w" * (BOUND + 1), length=False)))


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_a_body_of_exactly_the_bound_is_read_and_the_connection_kept(
    peers: Peers, wires: Wires, framing: str
) -> None:
    body = b"b" * BOUND

    async def script(link: Link, number: int) -> None:
        if framing == "length":
            link.send(answer(body))
        else:
            link.send(answer(chunked(body[:333], body[333:]), headers=CHUNKED))

    peer = await peers(script)
    wire = wires()
    assert (await get(wire, peer)).body == body
    assert (await get(wire, peer)).body == body
    assert (len(peer.links), len(peer.requests)) == (1, 2)


async def test_an_error_body_has_its_own_bound(peers: Peers, wires: Wires) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(answer(b"e" * 200, status="404 Not Found"))

    peer = await peers(script)
    response = await get(wires(), peer, limits=BodyLimits(success=10_000, other=100))
    assert (response.status, response.body) == (404, None)


async def test_through_the_client_a_body_past_the_bound_is_malformed(
    peers: Peers, client_for: Callable[..., PartnerCenterClient]
) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(answer(chunked(JSON, b" " * 2048), headers=CHUNKED))

    peer = await peers(script)
    client = client_for(peer, max_response_bytes=1024)
    with pytest.raises(UpstreamMalformedResponse, match="exceeded"):
        await soon(client.list_customers(call()))
    await peer.until_closed_by_wire(0)


# --- content codings ------------------------------------------------------------------------


def raw_deflate(data: bytes) -> bytes:
    """Deflate without zlib's wrapper, as some servers send `Content-Encoding: deflate`."""
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


CODINGS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": ("gzip", gzip.compress),
    "x-gzip": ("x-gzip", gzip.compress),
    "zlib-deflate": ("deflate", zlib.compress),
    "raw-deflate": ("deflate", raw_deflate),
}
PLAIN = b'{"items": [%s]}' % b", ".join(b'{"id": %d}' % n for n in range(50))


@pytest.mark.parametrize("coding", list(CODINGS))
@pytest.mark.parametrize("framing", ["length", "chunks of one byte", "trickled"])
async def test_a_compressed_body_is_decoded(
    peers: Peers, wires: Wires, coding: str, framing: str
) -> None:
    name, encode = CODINGS[coding]
    encoded = encode(PLAIN)
    headers = (f"Content-Encoding: {name}",)

    async def script(link: Link, number: int) -> None:
        if framing == "length":
            link.send(answer(encoded, headers=headers))
        elif framing == "chunks of one byte":
            # The decoder sees one byte at a time (a zlib header split in two, too).
            pieces = [encoded[i : i + 1] for i in range(len(encoded))]
            link.send(answer(chunked(*pieces), headers=(*headers, *CHUNKED)))
        else:
            await link.trickle(answer(encoded, headers=headers))

    peer = await peers(script)
    wire = wires()
    response = await get(wire, peer, limits=BodyLimits(len(PLAIN), len(PLAIN)))
    assert response.body == PLAIN
    assert response.headers["Content-Encoding"] == name
    # Read to its end: the connection is kept.
    assert (await get(wire, peer, limits=BodyLimits(len(PLAIN), len(PLAIN)))).body == PLAIN
    assert len(peer.links) == 1


@pytest.mark.parametrize("coding", ["gzip", "zlib-deflate", "raw-deflate"])
async def test_a_compression_bomb_is_bounded_by_its_decoded_size(
    peers: Peers, wires: Wires, coding: str
) -> None:
    name, encode = CODINGS[coding]
    bomb = encode(b"0" * (16 * 2**20))  # 16 MiB of zeros in a few kilobytes

    assert len(bomb) < BOUND * 20
    await assert_cut_at_the_bound(
        peers,
        wires,
        sends(answer(bomb, headers=(f"Content-Encoding: {name}",))),
        limits=BodyLimits(64 * 1024, 64 * 1024),
    )


@pytest.mark.parametrize("cut", ["trailer", "stream"])
async def test_a_truncated_gzip_body_is_malformed(peers: Peers, wires: Wires, cut: str) -> None:
    encoded = gzip.compress(PLAIN)
    # Without its 8-byte trailer (CRC and size), or cut in the middle of the deflate stream.
    truncated = encoded[:-8] if cut == "trailer" else encoded[: len(encoded) // 2]

    await assert_refused(
        peers,
        wires,
        sends(answer(truncated, headers=("Content-Encoding: gzip",))),
        UpstreamMalformedResponse,
        "could not be decoded",
    )


async def test_a_body_that_is_not_the_gzip_it_claims_is_malformed(
    peers: Peers, wires: Wires
) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(answer(JSON, headers=("Content-Encoding: gzip",)))

    peer = await peers(script)
    with pytest.raises(UpstreamMalformedResponse, match="could not be decoded"):
        await get(wires(), peer)


async def test_through_the_client_a_truncated_gzip_body_is_malformed(
    peers: Peers, client_for: Callable[..., PartnerCenterClient]
) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(answer(gzip.compress(JSON)[:-4], headers=("Content-Encoding: gzip",)))

    peer = await peers(script)
    with pytest.raises(UpstreamMalformedResponse, match="could not be decoded"):
        await soon(client_for(peer).list_customers(call()))


async def test_an_empty_body_labelled_gzip_is_empty(peers: Peers, wires: Wires) -> None:
    # What servers send with a 404 or a 204 they compress by habit: there is nothing to
    # decode, and httpx reads it as empty too.
    async def script(link: Link, number: int) -> None:
        link.send(answer(b"", status="404 Not Found", headers=("Content-Encoding: gzip",)))

    peer = await peers(script)
    wire = wires()
    response = await get(wire, peer)
    assert (response.status, response.body) == (404, b"")
    assert (await get(wire, peer)).body == b""
    assert len(peer.links) == 1


async def test_an_unknown_coding_is_passed_through(peers: Peers, wires: Wires) -> None:
    opaque = b"\x1b\x00\x8b\xffnot-decoded"

    async def script(link: Link, number: int) -> None:
        link.send(answer(opaque, headers=("Content-Encoding: br",)))

    peer = await peers(script)
    response = await get(wires(), peer)
    assert response.body == opaque
    assert response.headers["content-encoding"] == "br"


# --- framing --------------------------------------------------------------------------------


async def test_a_chunked_answer_split_at_awkward_places_is_read_whole(
    peers: Peers, wires: Wires
) -> None:
    # Upper-case hex, a chunk extension, a one-byte chunk, a trailer, all sent a byte at a
    # time: a size line, a CRLF, the last chunk split anywhere must read the same.
    body = (
        b"1A;name=value\r\n" + b"a" * 26 + b"\r\n"
        b"1\r\n{\r\n"
        b"00000003\r\nxyz\r\n"
        b"0\r\nX-Trailer: after\r\n\r\n"
    )

    async def script(link: Link, number: int) -> None:
        await link.trickle(answer(body, headers=CHUNKED))

    peer = await peers(script)
    wire = wires()
    first = await get(wire, peer)
    assert first.body == b"a" * 26 + b"{xyz"
    # A trailer is not one of the answer's headers (httpx drops trailers too).
    assert "x-trailer" not in first.headers
    assert (await get(wire, peer)).body == first.body
    assert len(peer.links) == 1


async def test_an_endless_trailer_is_held_to_the_heads_bound(peers: Peers, wires: Wires) -> None:
    # Trailers come after the body's bound has done its work; httptools keeps each in memory
    # until it is whole, so one that never ends must meet a bound of its own.
    async def endless_trailer(link: Link) -> None:
        link.send(answer(chunked(b"{}")[:-2], headers=CHUNKED) + b"X-Endless: ")
        for _ in range(4 * MAX_HEAD_BYTES // 4096):
            await link.trickle(b"t" * 4096, piece=4096)
        await link.until_closed()

    await assert_refused(peers, wires, endless_trailer)


async def test_a_body_delimited_by_the_close_is_read_to_the_end(peers: Peers, wires: Wires) -> None:
    body = b"closed-by-the-end" * 100

    async def closed_at_the_end(link: Link) -> None:
        link.send(answer(body, version="HTTP/1.0", length=False))
        await link.writer.drain()
        link.close()

    peer = await peers(first_then_ok(closed_at_the_end))
    wire = wires()
    response = await get(wire, peer, limits=BodyLimits(len(body), len(body)))
    assert (response.status, response.body) == (200, body)
    assert (await get(wire, peer)).body == b'{"n": 1}'
    assert len(peer.links) == 2


async def test_a_body_delimited_by_the_close_but_cut_by_a_reset_is_unavailable(
    peers: Peers, wires: Wires
) -> None:
    async def script(link: Link, number: int) -> None:
        link.send(answer(b"partial", length=False))
        await link.writer.drain()
        link.reset()

    peer = await peers(script)
    with pytest.raises(UpstreamUnavailable):
        await get(wires(), peer)
    assert len(peer.requests) == 1


async def test_connection_close_is_honoured(peers: Peers, wires: Wires) -> None:
    async def script(link: Link, number: int) -> None:
        # The peer says it will close but leaves the closing to the wire.
        link.send(answer(b'{"n": %d}' % number, headers=("Connection: close",)))
        await link.until_closed()

    peer = await peers(script)
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    await then_a_new_connection_answers(wire, peer)


async def test_a_connection_read_to_the_end_is_reused(peers: Peers, wires: Wires) -> None:
    peer = await peers(ok)
    wire = wires()
    bodies = [(await get(wire, peer)).body for _ in range(3)]
    assert bodies == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert len(peer.links) == 1


async def test_a_kept_connection_reads_each_answer_afresh(peers: Peers, wires: Wires) -> None:
    # Every answer on the one connection has a head of over half the bound, in two writes,
    # and a body gzipped or not in turn: what one answer counted or set (its head's bytes,
    # its decoder) must not carry over to the next.
    size = MAX_HEAD_BYTES * 6 // 10

    async def script(link: Link, number: int) -> None:
        body = b'{"n": %d}' % number
        if number % 2 == 0:
            coded = head_of(size, gzip.compress(body))
            whole = coded.replace(b"\r\n", b"\r\nContent-Encoding: gzip\r\n", 1)
        else:
            whole = head_of(size, body)
        await link.trickle(whole, piece=size // 2)

    peer = await peers(script)
    wire = wires()
    for number in range(3):
        assert (await get(wire, peer)).body == b'{"n": %d}' % number
    assert (len(peer.links), len(peer.requests)) == (1, 3)


# --- closes and resets ----------------------------------------------------------------------


async def test_an_idle_connection_the_peer_closed_is_replaced_without_an_error(
    peers: Peers, wires: Wires
) -> None:
    async def script(link: Link, number: int) -> None:
        await ok(link, number)
        if number == 0:
            await link.writer.drain()
            link.close()

    peer = await peers(script)
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    await peer.until(lambda: peer.links[0].ended.is_set())
    assert (await get(wire, peer)).body == b'{"n": 1}'
    assert (len(peer.links), len(peer.requests)) == (2, 2)


async def test_a_kept_connection_closed_as_the_request_arrives_is_retried_once(
    peers: Peers, wires: Wires
) -> None:
    # The race the retry is for: the peer dropped the idle connection as the request went.
    async def script(link: Link, number: int) -> None:
        await (closes(link) if number == 1 else ok(link, number))

    peer = await peers(script)
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    assert (await get(wire, peer)).body == b'{"n": 2}'
    assert (len(peer.links), len(peer.requests)) == (2, 3)


async def test_a_fresh_connection_closed_without_an_answer_is_unavailable_at_once(
    peers: Peers, wires: Wires
) -> None:
    peer = await peers(first_then_ok(closes))
    with pytest.raises(UpstreamUnavailable, match="RemoteProtocolError"):
        await get(wires(), peer)
    assert (len(peer.links), len(peer.requests)) == (1, 1)


async def test_the_retry_on_a_new_connection_is_the_only_one(peers: Peers, wires: Wires) -> None:
    peer = await peers(ok_then(closes))
    wire = wires()
    await get(wire, peer)
    with pytest.raises(UpstreamUnavailable, match="RemoteProtocolError"):
        await get(wire, peer)
    assert (len(peer.links), len(peer.requests)) == (2, 3)


async def test_a_reset_part_way_through_a_body_is_unavailable(peers: Peers, wires: Wires) -> None:
    async def reset_mid_body(link: Link) -> None:
        link.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await link.writer.drain()
        link.reset()

    peer = await peers(first_then_ok(reset_mid_body))
    wire = wires()
    with pytest.raises(UpstreamUnavailable):
        await get(wire, peer)
    assert (await get(wire, peer)).body == b'{"n": 1}'
    assert len(peer.requests) == 2


# --- interim answers, upgrades, garbage -----------------------------------------------------


async def test_interim_answers_before_the_real_one_are_skipped(peers: Peers, wires: Wires) -> None:
    async def script(link: Link, number: int) -> None:
        await link.trickle(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + answer(b'{"n": %d}' % number, headers=("Content-Type: application/json",)),
            piece=7,
        )

    peer = await peers(script)
    wire = wires()
    response = await get(wire, peer)
    assert (response.status, response.reason, response.body) == (200, "OK", b'{"n": 0}')
    assert "link" not in response.headers
    assert response.headers["content-type"] == "application/json"
    assert (await get(wire, peer)).body == b'{"n": 1}'
    assert len(peer.links) == 1


async def test_an_upgrade_is_refused(peers: Peers, wires: Wires) -> None:
    upgrade = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\n\r\n\x81\x05hello"
    )
    await assert_refused(peers, wires, sends(upgrade))


async def test_garbage_instead_of_http_is_unavailable(peers: Peers, wires: Wires) -> None:
    await assert_refused(peers, wires, sends(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))


async def test_bytes_on_an_idle_connection_drop_it(peers: Peers, wires: Wires) -> None:
    idle = asyncio.Event()

    async def script(link: Link, number: int) -> None:
        await ok(link, number)
        if number == 0:
            await idle.wait()
            link.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnosy!")
            await link.until_closed()

    peer = await peers(script)
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    idle.set()
    await then_a_new_connection_answers(wire, peer)


@pytest.mark.parametrize("extra", ["whole", "partial"])
async def test_an_answer_followed_by_more_in_the_same_read_is_not_reused(
    peers: Peers, wires: Wires, extra: str
) -> None:
    # An answer nobody asked for, glued to the one asked for: reusing the connection would
    # hand its rest (or its framing) to the next caller.
    unasked = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n" + b"unasked-for!"
    if extra == "partial":
        unasked = unasked[:-6]

    peer = await peers(first_then_ok(sends(answer(b'{"n": 0}') + unasked)))
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    await then_a_new_connection_answers(wire, peer)


# --- the pool -------------------------------------------------------------------------------


@pytest.fixture
def no_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle connections kept past any test: the keep-alive timer, which closes one and so
    wakes a waiting caller, must not rescue a caller whose wake-up was lost."""
    monkeypatch.setattr(httptools_wire, "KEEPALIVE_SECONDS", 100 * SAFETY)


def held_until(gate: asyncio.Event) -> Script:
    """Answers every request once `gate` is set."""

    async def script(link: Link, number: int) -> None:
        await gate.wait()
        await ok(link, number)

    return script


@dataclass
class BusyPool:
    """A wire of one connection, busy with a `first` call the peer answers once `gate` is
    set; a call made meanwhile waits for room."""

    peer: Peer
    wire: HttptoolsWire
    gate: asyncio.Event
    first: asyncio.Task[RawResponse]


async def busy_pool_of_one(peers: Peers, wires: Wires) -> BusyPool:
    gate = asyncio.Event()
    peer = await peers(held_until(gate))
    wire = wires(max_connections=1)
    first = asyncio.create_task(get(wire, peer))
    await peer.until(lambda: len(peer.requests) == 1)
    return BusyPool(peer, wire, gate, first)


async def test_the_pool_never_opens_more_than_its_connections(
    peers: Peers, wires: Wires, no_expiry: None
) -> None:
    gate = asyncio.Event()
    peer = await peers(held_until(gate))
    wire = wires(max_connections=2)
    calls = [asyncio.create_task(get(wire, peer)) for _ in range(5)]
    await peer.until(lambda: len(peer.requests) == 2)
    gate.set()
    answers = await soon(asyncio.gather(*calls))
    assert sorted(response.body or b"" for response in answers) == [
        b'{"n": %d}' % n for n in range(5)
    ]
    assert peer.most_open == 2
    # The callers who waited took the connections handed back, rather than new ones.
    assert (len(peer.links), len(peer.requests)) == (2, 5)


async def test_a_caller_past_the_pool_timeout_gets_a_pool_timeout(
    peers: Peers, wires: Wires, no_expiry: None
) -> None:
    busy = await busy_pool_of_one(peers, wires)
    with pytest.raises(UpstreamTimeout, match="PoolTimeout"):
        await get(busy.wire, busy.peer, pool=0.05)
    busy.gate.set()
    assert (await soon(busy.first)).body == b'{"n": 0}'
    assert len(busy.peer.links) == 1


async def test_a_caller_cancelled_while_waiting_leaves_the_others_their_turn(
    peers: Peers, wires: Wires, no_expiry: None
) -> None:
    busy = await busy_pool_of_one(peers, wires)
    waiting = [asyncio.create_task(get(busy.wire, busy.peer)) for _ in range(3)]
    await asyncio.sleep(0)  # each takes its place in the pool's queue (one step each)
    waiting[0].cancel()
    busy.gate.set()
    answers = await soon(asyncio.gather(busy.first, waiting[1], waiting[2]))
    assert [response.status for response in answers] == [200, 200, 200]
    assert waiting[0].cancelled()
    assert len(busy.peer.requests) == 3


async def test_a_caller_cancelled_just_after_its_wake_up_passes_it_on(
    peers: Peers, wires: Wires, no_expiry: None
) -> None:
    wire = wires(max_connections=1)
    waiting: list[asyncio.Task[RawResponse]] = []
    peer: Peer | None = None

    async def script(link: Link, number: int) -> None:
        if number == 0:
            # While the only connection is busy with this request, three more callers queue.
            assert peer is not None
            waiting.extend(asyncio.create_task(get(wire, peer)) for _ in range(3))
            await asyncio.sleep(0)
        await ok(link, number)

    peer = await peers(script)
    # The connection comes back inside this very call, which wakes the first waiter; it is
    # cancelled before it has run, so its wake-up must go on to the next.
    await get(wire, peer)
    waiting[0].cancel()
    answers = await soon(asyncio.gather(waiting[1], waiting[2]))
    assert [response.status for response in answers] == [200, 200]
    assert waiting[0].cancelled()
    assert len(peer.requests) == 3


# --- cancellation and timeouts --------------------------------------------------------------


# A head and part of its body, then nothing more.
stall_mid_body = sends(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)


async def test_a_call_cancelled_part_way_through_a_body_closes_its_connection(
    peers: Peers, wires: Wires
) -> None:
    peer = await peers(first_then_ok(stall_mid_body))
    wire = wires(max_connections=1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await wire.get(peer.url, [], timeouts=Timeouts(SAFETY, None, SAFETY), limits=LIMITS)
    # The only slot of the pool came back with it.
    await then_a_new_connection_answers(wire, peer)


async def test_a_stall_mid_body_is_a_read_timeout(peers: Peers, wires: Wires) -> None:
    await assert_refused(peers, wires, stall_mid_body, UpstreamTimeout, "ReadTimeout", read=0.1)


async def test_a_stall_on_a_kept_connection_is_a_read_timeout_not_retried(
    peers: Peers, wires: Wires
) -> None:
    peer = await peers(ok_then(Link.until_closed))  # read, never answered
    wire = wires()
    await get(wire, peer)
    with pytest.raises(UpstreamTimeout, match="ReadTimeout"):
        await get(wire, peer, read=0.1)
    assert (len(peer.links), len(peer.requests)) == (1, 2)


async def test_through_the_client_a_stall_is_a_read_timeout(
    peers: Peers, client_for: Callable[..., PartnerCenterClient]
) -> None:
    peer = await peers(first_then_ok(stall_mid_body))
    client = client_for(peer, read_timeout=0.1, attempt_timeout=SAFETY)
    with pytest.raises(UpstreamTimeout, match="ReadTimeout"):
        await soon(client.list_customers(call()))


class TricklingPeer(LoopbackPeer):
    """Answers each request with `body`, a byte every `interval` seconds (in its own
    thread, so that the bytes keep coming whatever the test's event loop is doing)."""

    def __init__(self, body: bytes, interval: float) -> None:
        super().__init__()
        self.body = body
        self.interval = interval
        self.requests = 0

    def serve_connection(self, connection: socket.socket) -> None:
        connection.settimeout(SAFETY)
        try:
            while True:
                if read_head(connection) is None:
                    return
                self.requests += 1
                head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.body)
                connection.sendall(head)
                for byte in self.body:
                    if self._stop.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
        except OSError:
            return


async def test_a_trickle_faster_than_the_read_timeout_is_not_cut(wires: Wires) -> None:
    # A byte every tenth of the read timeout (from a thread, so the test's loop cannot
    # delay them), sixteen of them: the whole answer takes well past one read timeout,
    # while no gap between reads comes near one.
    read_timeout = 1.0
    body = b'{"slow": ' + b" " * 5 + b"1}"
    assert len(body) == 16
    with TricklingPeer(body, interval=read_timeout / 10) as trickling:
        wire = wires()
        response = await soon(
            wire.get(
                f"http://127.0.0.1:{trickling.port}/v1/customers",
                [],
                timeouts=Timeouts(SAFETY, read_timeout, SAFETY),
                limits=LIMITS,
            )
        )
        assert (response.status, response.body) == (200, body)
        assert trickling.requests == 1
        await wire.aclose()


async def test_an_idle_connection_past_the_keep_alive_is_closed(
    peers: Peers, wires: Wires, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(httptools_wire, "KEEPALIVE_SECONDS", 0.05)
    peer = await peers(ok)
    wire = wires()
    assert (await get(wire, peer)).body == b'{"n": 0}'
    # Closed by the wire's own timer: nothing else runs.
    await then_a_new_connection_answers(wire, peer)


# --- what goes on the wire ------------------------------------------------------------------


LINE_BREAK = "holds a line break"
NOT_ASCII = "'ascii' codec can't encode"


@pytest.mark.parametrize(
    ("header", "refusal"),
    [
        (("X-Test", "a\r\nX-Injected: 1"), LINE_BREAK),
        (("X-Test", "a\nX-Injected: 1"), LINE_BREAK),
        (("X-Test", "a\rb"), LINE_BREAK),
        (("X-Test", "a\0b"), LINE_BREAK),
        (("X-Test\r\nX-Injected", "1"), LINE_BREAK),
        (("X-Test", "caf\u00e9"), NOT_ASCII),
        (("X-Test", "\u2028"), NOT_ASCII),  # a line separator to some, not to HTTP
    ],
)
async def test_a_header_that_would_break_the_request_is_refused_before_sending(
    peers: Peers, wires: Wires, header: tuple[str, str], refusal: str
) -> None:
    peer = await peers(ok)
    wire = wires()
    with pytest.raises(ValueError, match=refusal):
        await get(wire, peer, headers=[header])
    # Nothing of the refused call went out: the next one is the first the peer sees.
    await get(wire, peer)
    assert len(peer.links) == 1
    [request] = peer.requests
    assert b"X-Test" not in request


# --- TLS ------------------------------------------------------------------------------------


def server_tls(files: auth_fixtures.TLSFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.server_pem)
    return context


async def test_tls_with_the_ca_bundle_answers(
    peers: Peers, wires: Wires, tls_files: auth_fixtures.TLSFiles
) -> None:
    peer = await peers(ok, tls=server_tls(tls_files))
    wire = wires(ca_bundle=tls_files.ca_bundle)
    assert (await get(wire, peer)).body == b'{"n": 0}'
    assert (await get(wire, peer)).body == b'{"n": 1}'
    assert len(peer.links) == 1


async def test_tls_without_the_ca_bundle_is_a_connect_error(
    peers: Peers, wires: Wires, tls_files: auth_fixtures.TLSFiles
) -> None:
    peer = await peers(ok, tls=server_tls(tls_files))
    with pytest.raises(UpstreamUnavailable, match="ConnectError"):
        await get(wires(), peer)
    assert peer.requests == []


async def test_aclose_closes_every_connection(
    peers: Peers, wires: Wires, tls_files: auth_fixtures.TLSFiles
) -> None:
    gate = asyncio.Event()
    peer = await peers(held_until(gate), tls=server_tls(tls_files))
    wire = wires(max_connections=3, ca_bundle=tls_files.ca_bundle)
    calls = [asyncio.create_task(get(wire, peer)) for _ in range(2)]
    await peer.until(lambda: len(peer.requests) == 2)
    gate.set()
    await soon(asyncio.gather(*calls))
    await wire.aclose()
    await peer.until(lambda: all(link.ended.is_set() for link in peer.links))
    assert len(peer.links) == 2
    assert all(link.closed_by_wire for link in peer.links)


async def test_aclose_during_a_call_on_a_kept_connection_opens_no_other(
    peers: Peers, wires: Wires
) -> None:
    peer = await peers(ok_then(Link.until_closed))
    wire = wires()
    await get(wire, peer)
    pending = asyncio.create_task(get(wire, peer))
    await peer.until(lambda: len(peer.requests) == 2)
    await wire.aclose()
    with pytest.raises(UpstreamUnavailable, match="ReadError"):
        await soon(pending)
    # Not sent again on a new connection, which the closed wire would never close.
    assert (len(peer.links), len(peer.requests)) == (1, 2)
    await peer.until_closed_by_wire(0)


async def test_aclose_while_a_connection_is_being_opened_keeps_none(
    peers: Peers, wires: Wires
) -> None:
    peer = await peers(ok)
    wire = wires()
    pending = asyncio.create_task(get(wire, peer))
    await asyncio.sleep(0)  # the call is inside `create_connection`
    await wire.aclose()
    # The connection the closed wire would no longer know of is closed, unused.
    with pytest.raises(UpstreamUnavailable, match="ReadError"):
        await soon(pending)
    await peer.until_closed_by_wire(0)
    assert peer.requests == []


async def test_aclose_fails_a_caller_waiting_for_room_at_once(
    peers: Peers, wires: Wires, no_expiry: None
) -> None:
    busy = await busy_pool_of_one(peers, wires)
    waiting = asyncio.create_task(get(busy.wire, busy.peer, pool=None))
    await asyncio.sleep(0)  # in the pool's queue, with no timeout to end its wait
    await busy.wire.aclose()
    for pending in (busy.first, waiting):
        with pytest.raises(UpstreamUnavailable, match="ReadError"):
            await soon(pending)
    assert (len(busy.peer.links), len(busy.peer.requests)) == (1, 1)
    # The wire starts afresh for calls made after it was closed.
    busy.gate.set()
    assert (await get(busy.wire, busy.peer)).body == b'{"n": 1}'
    assert len(busy.peer.links) == 2


# --- framing an attacker would use to desynchronise -----------------------------------------


@pytest.mark.parametrize(
    "framing",
    [
        ("Content-Length: 2", "Content-Length: 20"),
        ("Content-Length: 2", "Transfer-Encoding: chunked"),
        ("Content-Length: -2",),
        ("Content-Length: 2x",),
        ("Transfer-Encoding: chunked, identity",),
        ("Transfer-Encoding: gzip, chunked",),
    ],
)
async def test_an_ambiguous_length_is_refused(
    peers: Peers, wires: Wires, framing: tuple[str, ...]
) -> None:
    await assert_refused(
        peers, wires, sends(answer(b"{}", headers=framing) + b"\r\n" + chunked(b"{}"))
    )


# --- connecting -----------------------------------------------------------------------------


async def test_a_handshake_that_never_ends_is_a_connect_timeout_and_frees_its_room(
    peers: Peers, wires: Wires, tls_files: auth_fixtures.TLSFiles
) -> None:
    silent: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)  # accepted, never a byte of a TLS handshake back

    mute = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = mute.sockets[0].getsockname()[1]
    peer = await peers(ok)
    wire = wires(max_connections=1, ca_bundle=tls_files.ca_bundle)
    try:
        with pytest.raises(UpstreamTimeout, match="ConnectTimeout"):
            await wire.get(
                f"https://127.0.0.1:{port}/v1/customers",
                [],
                timeouts=Timeouts(connect=0.1, read=None, pool=SAFETY),
                limits=LIMITS,
            )
        # The only room in the pool was given back: the next call need not wait for it.
        assert (await get(wire, peer, pool=0.5)).body == b'{"n": 0}'
        assert len(silent) == 1
    finally:
        for writer in silent:
            writer.close()
        mute.close()
        await mute.wait_closed()


async def test_a_full_pool_closes_an_idle_connection_to_another_origin(
    peers: Peers, wires: Wires
) -> None:
    first = await peers(ok)
    second = await peers(ok)
    wire = wires(max_connections=1)
    assert (await get(wire, first)).body == b'{"n": 0}'
    assert (await get(wire, second)).body == b'{"n": 0}'
    await first.until_closed_by_wire(0)
    assert (await get(wire, second)).body == b'{"n": 1}'
    assert (len(first.links), len(second.links)) == (1, 1)
