"""/readyz over TLS: the probe trusts what the Partner Center calls trust, and says who sends."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

import httptools
import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from graphql_api.config import Settings
from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.speed import Piece, is_on
from graphql_api.web.app import create_app
from tests.auth import conftest as auth_fixtures
from tests.live_server import live_server
from tests.web.conftest import AUTH

tls_files = auth_fixtures.tls_files


class _UserAgents:
    """An ASGI wrapper that notes the User-Agent of every request it passes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            self.seen.append(headers.get(b"user-agent", b"").decode())
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def private_upstream(tls_files: auth_fixtures.TLSFiles) -> Iterator[tuple[str, _UserAgents]]:
    """The emulator over https, its certificate issued by a CA only the test knows."""
    recorder = _UserAgents(create_emulator_app(EmulatorConfig(customers=5, seed=3)))
    with live_server(recorder, ssl_certfile=tls_files.server_pem) as url:
        yield url, recorder


def test_readyz_trusts_the_upstream_ca_bundle_as_graphql_does(
    private_upstream: tuple[str, _UserAgents], tls_files: auth_fixtures.TLSFiles
) -> None:
    url, _ = private_upstream
    env = {"PARTNER_CENTER_URL": url, "UPSTREAM_CA_BUNDLE": tls_files.ca_bundle}
    with live_server(create_app(Settings.from_env(env))) as base:
        ready = httpx.get(f"{base}/readyz")
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "{ customers(first: 2) { nodes { id } } }"},
            headers=AUTH,
        )
    assert answer.status_code == 200
    assert "errors" not in answer.json()
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


def test_readyz_is_503_when_the_upstream_certificate_is_not_trusted(
    private_upstream: tuple[str, _UserAgents],
) -> None:
    url, _ = private_upstream
    with live_server(create_app(Settings.from_env({"PARTNER_CENTER_URL": url}))) as base:
        ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "upstream": "Partner Center could not be reached (ConnectError)",
    }


def test_the_probe_and_the_calls_name_the_library_that_sends(
    private_upstream: tuple[str, _UserAgents], tls_files: auth_fixtures.TLSFiles
) -> None:
    url, recorder = private_upstream
    recorder.seen.clear()
    env = {"PARTNER_CENTER_URL": url, "UPSTREAM_CA_BUNDLE": tls_files.ca_bundle}
    with live_server(create_app(Settings.from_env(env))) as base:
        httpx.get(f"{base}/readyz")
        httpx.post(
            f"{base}/graphql",
            json={"query": "{ customers(first: 1) { nodes { id } } }"},
            headers=AUTH,
        )
    probe, call = recorder.seen
    assert probe == call
    # The speed layer's wire (httptools reads its answers), unless SPEED_LAYER_OFF switches
    # it to httpx's own transport.
    library = "httptools" if is_on(Piece.WIRE) else "httpx"
    version = httptools.__version__ if library == "httptools" else httpx.__version__
    assert probe == f"graphql_api/{metadata.version('graphql_api')} {library}/{version}"
