"""Fixtures for the authentication tests: the emulator (with its identity provider) over TLS.

msal only talks to an https authority, so the emulator is served with a certificate from a
throwaway CA (`trustme`), and everything that calls it trusts that CA through
`AUTH_CA_BUNDLE` (msal, the JWKS client) or an SSL context (plain httpx in the tests).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from starlette.applications import Starlette

from graphql_api.config import AuthSettings
from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.emulator.identity import IdentityConfig, IdentityProvider
from graphql_api.emulator.state import Emulator
from tests.live_server import live_server

SERVICE_CLIENT_ID = "0f7c2d3e-5a41-4a8e-9d0c-5e2b7f1a9c11"
SERVICE_SECRET = "svc-secret-Qm7vX2pL9wR4tZ8k"
CALLER_CLIENT_ID = "8b1e4f6a-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
CALLER_SECRET = "caller-secret-Hn3bY6cJ1sF5uD0e"
# The audience callers' tokens must carry: this service's own app id URI.
API_AUDIENCE = "api://graphql-api-tests"
PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/.default"


@dataclass(frozen=True)
class TLSFiles:
    """The throwaway CA's certificate and the server's key and certificate chain."""

    ca_bundle: str
    server_pem: str


@dataclass
class Served:
    """A running emulator over TLS, its state, and its identity provider."""

    base: str
    emulator: Emulator
    identity: IdentityProvider
    ca_bundle: str
    app: Starlette

    @property
    def verify(self) -> ssl.SSLContext:
        """What plain httpx needs to trust the emulator's certificate."""
        return ssl.create_default_context(cafile=self.ca_bundle)

    @property
    def tenant_id(self) -> str:
        return self.identity.config.tenant_id

    @property
    def issuer(self) -> str:
        return self.identity.issuer(self.base)

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/{self.tenant_id}/discovery/v2.0/keys"

    @property
    def token_url(self) -> str:
        return f"{self.base}/{self.tenant_id}/oauth2/v2.0/token"

    def token_requests(self) -> int:
        """Requests that reached the token endpoint."""
        return self.identity.stats.snapshot()["token_requests"]

    def customer_calls(self) -> int:
        """Calls that reached the Partner Center customer routes, whatever their outcome."""
        total: int = self.emulator.stats.snapshot()["total"]
        return total

    def request_token(self, client_id: str, secret: str, scope: str) -> httpx.Response:
        """A client_credentials token request, as any OAuth client would send it."""
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": scope,
        }
        return httpx.post(self.token_url, data=form, verify=self.verify)

    def caller_token(self) -> str:
        """A valid token for this service, got the way a real caller gets one."""
        response = self.request_token(CALLER_CLIENT_ID, CALLER_SECRET, f"{API_AUDIENCE}/.default")
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def partner_center_token(self) -> str:
        """A valid Partner Center token from the emulator's identity provider."""
        response = self.request_token(CALLER_CLIENT_ID, CALLER_SECRET, PARTNER_CENTER_SCOPE)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def client_credentials_env(self) -> dict[str, str]:
        """The environment of a service in client_credentials mode against this emulator."""
        return {
            "PARTNER_CENTER_AUTH": "client_credentials",
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": SERVICE_CLIENT_ID,
            "AZURE_CLIENT_SECRET": SERVICE_SECRET,
            "AZURE_AUTHORITY_HOST": self.base,
            "AUTH_JWKS_URL": self.jwks_url,
            "AUTH_ISSUER": self.issuer,
            "AUTH_AUDIENCE": API_AUDIENCE,
            "AUTH_CA_BUNDLE": self.ca_bundle,
        }

    def auth_settings(self, **overrides: Any) -> AuthSettings:
        """client_credentials settings pointing at this emulator."""
        values: dict[str, Any] = {
            "mode": "client_credentials",
            "tenant_id": self.tenant_id,
            "client_id": SERVICE_CLIENT_ID,
            "client_secret": SERVICE_SECRET,
            "authority_host": self.base,
            "jwks_url": self.jwks_url,
            "issuers": (self.issuer,),
            "audiences": (API_AUDIENCE,),
            "ca_bundle": self.ca_bundle,
        }
        values.update(overrides)
        return AuthSettings(**values)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A CA made for this test session, and a certificate it issued for 127.0.0.1."""
    directory: Path = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    ca_bundle = directory / "ca.pem"
    server_pem = directory / "server.pem"
    ca.cert_pem.write_to_path(str(ca_bundle))
    server.private_key_and_cert_chain_pem.write_to_path(str(server_pem))
    return TLSFiles(ca_bundle=str(ca_bundle), server_pem=str(server_pem))


def identity_config(token_lifetime: int = 3599) -> IdentityConfig:
    """The emulated directory: the service and a caller application, each with a secret."""
    return IdentityConfig(
        clients={SERVICE_CLIENT_ID: SERVICE_SECRET, CALLER_CLIENT_ID: CALLER_SECRET},
        token_lifetime=token_lifetime,
    )


@pytest.fixture
def token_lifetime() -> int:
    """Lifetime of issued tokens; tests override it to watch renewals."""
    return 3599


@pytest.fixture
def emulator(tls_files: TLSFiles, token_lifetime: int) -> Iterator[Served]:
    """An emulator over TLS whose customer routes accept only tokens it issued."""
    identity = IdentityProvider(identity_config(token_lifetime))
    config = EmulatorConfig(customers=12, require_issued_tokens=True)
    app = create_emulator_app(config, identity=identity)
    with live_server(app, ssl_certfile=tls_files.server_pem) as base:
        yield Served(base, app.state.emulator, identity, tls_files.ca_bundle, app)
