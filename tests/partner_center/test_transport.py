"""The app's wire (`upstream_wire`: the speed layer's, or httpx's with SPEED_LAYER_OFF) over real
HTTP: TLS trust, proxies from the environment, pool hygiene, the headers on the wire, and
failures as typed errors.

The emulator's own request log keeps ids, not headers, so here it is served behind a thin
ASGI layer that notes each request's headers and client address (the connection it came on)
and answers every call with a `Set-Cookie`, as Azure's affinity cookie would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.config import ConfigError, Settings
from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.emulator.state import Emulator
from graphql_api.partner_center import (
    CallContext,
    PartnerCenterClient,
    UpstreamHTTPError,
    UpstreamMalformedResponse,
    UpstreamUnavailable,
    environment_proxy,
    user_agent,
)
from graphql_api.speed import Piece, is_on, upstream_wire
from graphql_api.web.readiness import probe_upstream
from tests.auth import conftest as auth_fixtures
from tests.live_server import free_port, live_server
from tests.partner_center.conftest import TOKEN, fast_settings

# The throwaway CA of the auth tests, shared rather than made again.
tls_files = auth_fixtures.tls_files

UNRESOLVABLE = "http://partner-center.invalid"  # .invalid never resolves (RFC 2606)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
AFFINITY_COOKIE = b"ARRAffinity=first-caller; Path=/; HttpOnly"

MakeClient = Callable[..., PartnerCenterClient]


@dataclass(frozen=True)
class Seen:
    """One request as it reached the upstream."""

    path: str
    query: str
    headers: list[tuple[str, str]]
    client: tuple[str, int] | None

    def values(self, name: str) -> list[str]:
        """Every value sent under header `name` (case-insensitive)."""
        return [value for key, value in self.headers if key == name.lower()]


class Recorder:
    """ASGI layer in front of the emulator: notes `/v1` requests, sets a cookie on answers,
    and, while `redirect` is on, answers 307 instead of passing the call on. `encoding`:
    "gzip" compresses answers (Starlette's GZipMiddleware, as the caller accepts gzip),
    "false-gzip" labels plain answers gzip."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzipped = GZipMiddleware(app, minimum_size=0)
        self.seen: list[Seen] = []
        self.redirect = False
        self.encoding: str | None = None
        self.encodings_sent: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        self.seen.append(
            Seen(
                path=scope["path"],
                query=scope["query_string"].decode(),
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                client=scope.get("client"),
            )
        )
        if self.redirect:
            await send(
                {
                    "type": "http.response.start",
                    "status": 307,
                    "headers": [(b"location", b"/v1/customers?size=1"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"set-cookie", AFFINITY_COOKIE)]
                if self.encoding == "false-gzip":
                    headers.append((b"content-encoding", b"gzip"))
                self.encodings_sent.extend(v for k, v in headers if k == b"content-encoding")
                message = {**message, "headers": headers}
            await send(message)

        app = self.gzipped if self.encoding == "gzip" else self.app
        await app(scope, receive, send_with_cookie)


@dataclass
class Upstream:
    """A served emulator behind its recorder."""

    url: str
    state: Emulator
    recorder: Recorder
    defaults: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        self.state.configure(**self.defaults)
        self.state.stats.reset()
        self.recorder.seen.clear()
        self.recorder.redirect = False
        self.recorder.encoding = None
        self.recorder.encodings_sent.clear()

    @property
    def seen(self) -> list[Seen]:
        return self.recorder.seen


def serve(**uvicorn_options: Any) -> Iterator[Upstream]:
    """The emulator behind a `Recorder`, served until the generator closes."""
    app = create_emulator_app(EmulatorConfig(customers=12, seed=7))
    state: Emulator = app.state.emulator
    recorder = Recorder(app)
    # httptools (uvicorn's parser when installed, named here so it cannot change under the
    # proxy tests) takes an absolute-form target (`GET http://host/path`) as its path: that
    # lets the emulator act as the forward proxy of a plain-http upstream.
    with live_server(recorder, http="httptools", **uvicorn_options) as url:
        yield Upstream(url, state, recorder, state.config.knobs())


@pytest.fixture(scope="module")
def plain_server() -> Iterator[Upstream]:
    yield from serve()


@pytest.fixture(scope="module")
def tls_server(tls_files: auth_fixtures.TLSFiles) -> Iterator[Upstream]:
    yield from serve(ssl_certfile=tls_files.server_pem)


@pytest.fixture
def upstream(plain_server: Upstream) -> Iterator[Upstream]:
    """The plain-http emulator with default knobs and an empty record."""
    plain_server.reset()
    yield plain_server
    plain_server.reset()


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without proxy variables, whatever the machine running it has set."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def client_for() -> AsyncIterator[MakeClient]:
    """Build clients on the app's wire for a base URL; closed when the test ends."""
    made: list[PartnerCenterClient] = []

    def make(base_url: str, **overrides: Any) -> PartnerCenterClient:
        settings = fast_settings(base_url=base_url, **overrides)
        client = PartnerCenterClient(settings, transport=upstream_wire(settings))
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@dataclass
class ConnectProxy:
    """A forward proxy for https: the request lines it was sent, in order."""

    url: str
    requests: list[str] = field(default_factory=list)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes one way until either side closes."""
    try:
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def connect_proxy() -> AsyncIterator[ConnectProxy]:
    """A minimal `CONNECT` proxy on loopback: it tunnels to 127.0.0.1 at the asked port."""
    proxy = ConnectProxy("")

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line = head.split(b"\r\n", 1)[0].decode("ascii")
        proxy.requests.append(request_line)
        target = request_line.split(" ")[1]
        up_reader, up_writer = await asyncio.open_connection(
            "127.0.0.1", int(target.split(":")[-1])
        )
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(tunnel, "127.0.0.1", 0)
    proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield proxy
    server.close()
    await server.wait_closed()


# --- TLS ------------------------------------------------------------------------------------


async def test_a_ca_bundle_makes_a_private_certificate_trusted(
    tls_server: Upstream,
    tls_files: auth_fixtures.TLSFiles,
    client_for: MakeClient,
    call: CallContext,
) -> None:
    client = client_for(tls_server.url, ca_bundle=tls_files.ca_bundle)
    page = await client.list_customers(call, size=5)
    assert len(page.items) == 5


async def test_without_a_ca_bundle_a_private_certificate_is_unavailable(
    tls_server: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    tls_server.reset()
    client = client_for(tls_server.url, max_attempts=1)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.list_customers(call)
    assert TOKEN.split()[1] not in str(caught.value)
    assert tls_server.seen == []  # refused in the handshake, before any request was sent


# --- proxies --------------------------------------------------------------------------------


def test_a_proxy_for_partner_centers_url_puts_the_calls_on_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The speed layer's wire connects directly; httpx's transport tunnels through a proxy.
    settings = fast_settings(base_url="https://api.partnercenter.microsoft.com")
    direct = "httptools/" if is_on(Piece.WIRE) else "httpx/"
    assert user_agent(upstream_wire(settings)).split(" ")[1].startswith(direct)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert user_agent(upstream_wire(settings)).split(" ")[1].startswith("httpx/")
    monkeypatch.setenv("NO_PROXY", "partnercenter.microsoft.com")
    assert user_agent(upstream_wire(settings)).split(" ")[1].startswith(direct)


async def test_http_proxy_from_the_environment_carries_the_call(
    upstream: Upstream,
    client_for: MakeClient,
    call: CallContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    client = client_for(UNRESOLVABLE)
    page = await client.list_customers(call, size=3)
    assert len(page.items) == 3
    # The proxy got the request for the upstream host, which only the proxy could resolve.
    assert upstream.seen[0].values("host") == ["partner-center.invalid"]


async def test_the_readiness_probe_goes_through_the_same_proxy(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    wire = upstream_wire(fast_settings(base_url=UNRESOLVABLE))
    try:
        result = await probe_upstream(
            wire, UNRESOLVABLE, within_seconds=5.0, user_agent="graphql_api/test"
        )
    finally:
        await wire.aclose()
    # partner-center.invalid resolves nowhere: only the proxy could have answered.
    assert result.ready, result.detail


async def test_credentials_in_the_proxy_url_go_as_proxy_authorization(
    upstream: Upstream,
    client_for: MakeClient,
    call: CallContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url.replace("http://", "http://proxy-user:pw@"))
    client = client_for(UNRESOLVABLE)
    await client.list_customers(call, size=1)
    assert upstream.seen[0].values("proxy-authorization") == ["Basic cHJveHktdXNlcjpwdw=="]
    assert upstream.seen[0].values("authorization") == [TOKEN]


async def test_no_proxy_sends_the_listed_host_direct(
    upstream: Upstream,
    client_for: MakeClient,
    call: CallContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    monkeypatch.setenv("NO_PROXY", "partner-center.invalid")
    client = client_for(UNRESOLVABLE, max_attempts=1)
    with pytest.raises(UpstreamUnavailable):
        await client.list_customers(call)
    assert upstream.seen == []


async def test_the_proxy_is_chosen_when_the_client_is_made(
    upstream: Upstream,
    client_for: MakeClient,
    call: CallContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    client = client_for(UNRESOLVABLE)
    monkeypatch.delenv("HTTP_PROXY")
    await client.list_customers(call, size=1)
    assert len(upstream.seen) == 1


async def test_https_goes_through_the_https_proxy_in_a_tunnel(
    tls_server: Upstream,
    tls_files: auth_fixtures.TLSFiles,
    connect_proxy: ConnectProxy,
    client_for: MakeClient,
    call: CallContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", connect_proxy.url)
    # By name: the certificate is checked against the host asked for through the tunnel.
    base_url = tls_server.url.replace("127.0.0.1", "localhost")
    client = client_for(base_url, ca_bundle=tls_files.ca_bundle)
    page = await client.list_customers(call, size=2)
    assert len(page.items) == 2
    assert connect_proxy.requests == [f"CONNECT {base_url.removeprefix('https://')} HTTP/1.1"]


def test_an_https_url_takes_https_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://tls-proxy:3128")
    assert environment_proxy("https://api.example.com") == "http://tls-proxy:3128"


def test_an_http_url_takes_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://tls-proxy:3128")
    assert environment_proxy("http://api.example.com") == "http://plain-proxy:3128"


def test_all_proxy_serves_a_scheme_without_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    monkeypatch.setenv("ALL_PROXY", "http://any-proxy:3128")
    assert environment_proxy("https://api.example.com") == "http://any-proxy:3128"


def test_a_proxy_given_as_host_and_port_is_an_http_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp.example:3128")
    assert environment_proxy("https://api.example.com") == "http://proxy.corp.example:3128"


def test_no_proxy_exempts_a_domain_and_its_subdomains(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://tls-proxy:3128")
    monkeypatch.setenv("NO_PROXY", "localhost, example.com")
    assert environment_proxy("https://example.com") is None
    assert environment_proxy("https://api.example.com") is None
    assert environment_proxy("https://api.partnercenter.microsoft.com") == "http://tls-proxy:3128"


def test_no_proxy_variables_mean_a_direct_connection() -> None:
    assert environment_proxy("https://api.partnercenter.microsoft.com") is None


# --- settings -------------------------------------------------------------------------------


def test_upstream_ca_bundle_is_read_from_the_environment(
    tls_files: auth_fixtures.TLSFiles,
) -> None:
    settings = Settings.from_env({"UPSTREAM_CA_BUNDLE": tls_files.ca_bundle})
    assert settings.upstream.ca_bundle == tls_files.ca_bundle


def test_a_missing_upstream_ca_bundle_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="UPSTREAM_CA_BUNDLE"):
        Settings.from_env({"UPSTREAM_CA_BUNDLE": "/nonexistent.pem"})


# --- the pool -------------------------------------------------------------------------------


async def test_a_connection_read_to_its_end_is_reused(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    client = client_for(upstream.url)
    for _ in range(3):
        await client.list_customers(call, size=2)
    assert len({seen.client for seen in upstream.seen}) == 1


async def test_a_body_abandoned_part_way_does_not_poison_the_pool(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    first = upstream.state.dataset.customers[0].id
    upstream.state.configure(
        customer_faults={first: "huge_response"}, huge_response_bytes=2 * 2**20
    )
    # One connection in the pool: a leaked one would leave the next call waiting for it.
    client = client_for(upstream.url, max_in_flight=1, max_response_bytes=64 * 1024)
    with pytest.raises(UpstreamMalformedResponse, match="exceeded"):
        await client.get_customer(call, first)
    page = await client.list_customers(call, size=2)
    assert len(page.items) == 2
    # The half-read connection was closed, not handed back with the rest of a body on it.
    assert upstream.seen[0].client != upstream.seen[1].client


# --- what goes on the wire ------------------------------------------------------------------


async def test_a_call_carries_the_clients_user_agent_and_accept_headers_once(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    client = client_for(upstream.url)
    await client.list_customers(call, size=1)
    seen = upstream.seen[0]
    [user_agent] = seen.values("user-agent")
    assert user_agent.startswith("graphql_api")
    assert seen.values("accept-encoding") == ["gzip, deflate"]
    assert seen.values("accept") == ["application/json"]


async def test_a_cookie_the_upstream_set_is_not_sent_back(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    # By name, not by IP: a cookie jar keeps no cookie from an IP address host, so the
    # test would pass with one.
    client = client_for(upstream.url.replace("127.0.0.1", "localhost"))
    await client.list_customers(call, size=1)
    await client.list_customers(call, size=1)
    assert [seen.values("cookie") for seen in upstream.seen] == [[], []]


async def test_a_redirect_is_not_followed(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    upstream.recorder.redirect = True
    client = client_for(upstream.url, max_attempts=1)
    with pytest.raises(UpstreamHTTPError) as caught:
        await client.list_customers(call, size=2)
    assert caught.value.status == 307
    assert [seen.query for seen in upstream.seen] == ["size=2"]


# --- compressed answers ---------------------------------------------------------------------


async def test_a_gzip_answer_is_decoded(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    client = client_for(upstream.url)
    plain = await client.list_customers(call, size=5)
    upstream.recorder.encoding = "gzip"
    compressed = await client.list_customers(call, size=5)
    assert upstream.recorder.encodings_sent == [b"gzip"]
    assert compressed.items == plain.items
    assert len(compressed.items) == 5


async def test_a_gzip_answer_is_bounded_by_its_decoded_size(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    first = upstream.state.dataset.customers[0].id
    # Two megabytes of JSON padding compress to a few kilobytes: the bound must count what
    # they decode to, or a small compressed answer could fill memory.
    upstream.state.configure(
        customer_faults={first: "huge_response"}, huge_response_bytes=2 * 2**20
    )
    upstream.recorder.encoding = "gzip"
    client = client_for(upstream.url, max_in_flight=1, max_response_bytes=64 * 1024)
    with pytest.raises(UpstreamMalformedResponse, match="exceeded"):
        await client.get_customer(call, first)
    # The connection left with the rest unread is not reused.
    assert len((await client.list_customers(call, size=2)).items) == 2


async def test_an_answer_that_is_not_the_gzip_it_claims_is_malformed(
    upstream: Upstream, client_for: MakeClient, call: CallContext
) -> None:
    upstream.recorder.encoding = "false-gzip"
    client = client_for(upstream.url, max_attempts=1)
    with pytest.raises(UpstreamMalformedResponse, match="could not be decoded"):
        await client.list_customers(call, size=2)


# --- failures -------------------------------------------------------------------------------


async def test_a_closed_port_is_unavailable(client_for: MakeClient, call: CallContext) -> None:
    client = client_for(f"http://127.0.0.1:{free_port()}", max_attempts=1)
    with pytest.raises(UpstreamUnavailable, match="could not be reached"):
        await client.list_customers(call)
