"""An Entra-ID-shaped identity provider: msal and JWT validation run for real against the emulator.

It serves, under `/{tenant}`, what msal's client-credentials flow touches on
`login.microsoftonline.com`:

    GET  /{tenant}/v2.0/.well-known/openid-configuration   tenant discovery
    GET  /{tenant}/discovery/v2.0/keys                      the JWKS (one RSA key made at start)
    POST /{tenant}/oauth2/v2.0/token                        client_credentials grant only

Issued access tokens are RS256 JWTs with Entra's app-token claims (`iss`, `aud`, `exp`,
`tid`, `appid`, `azp`, `oid`, `idtyp`...); `aud` is the resource named by the
`<resource>/.default` scope. `check_token` is the emulator's `TokenChecker`: it accepts only
Partner Center tokens this provider signed and that have not expired. msal insists on an
https authority, so tests serve these routes over TLS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from graphql_api.emulator.config import Principal

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"
DEFAULT_TENANT_ID = "6d3b1c5e-0f0e-4c4e-9d4b-2a1f7e8c9b01"
_ALGORITHM = "RS256"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """The directory the emulator pretends to be: one tenant and its registered applications."""

    tenant_id: str = DEFAULT_TENANT_ID
    # client id -> client secret of each application allowed the client_credentials grant.
    clients: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Entra's app tokens live about an hour; tests shorten this to watch refreshes.
    token_lifetime: int = 3599


@dataclass(slots=True)
class IdentityStats:
    """Calls to each identity route, and what became of token requests and token checks."""

    calls: Counter[str] = field(default_factory=Counter)

    def count(self, name: str) -> None:
        """Add one to a named counter."""
        self.calls[name] += 1

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain mapping (absent ones are zero)."""
        names = (
            "openid_configuration",
            "keys",
            "token_requests",
            "tokens_issued",
            "tokens_refused",
            "checks_accepted",
            "checks_rejected",
        )
        return {name: self.calls[name] for name in names}

    def reset(self) -> None:
        """Zero every counter."""
        self.calls.clear()


@dataclass(frozen=True, slots=True)
class _SigningKey:
    private: rsa.RSAPrivateKey
    kid: str
    public_jwk: Mapping[str, str]

    @classmethod
    def generate(cls) -> _SigningKey:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        kid = _thumbprint(jwk)
        public_jwk = {"kty": "RSA", "use": "sig", "kid": kid, "n": jwk["n"], "e": jwk["e"]}
        return cls(private=private, kid=kid, public_jwk=public_jwk)

    def __repr__(self) -> str:
        return f"_SigningKey(kid={self.kid!r})"


class IdentityProvider:
    """Issues and checks tokens for one emulated tenant; the routes are in `routes()`."""

    def __init__(self, config: IdentityConfig | None = None) -> None:
        self.config = config or IdentityConfig()
        self.stats = IdentityStats()
        self._signing_key: _SigningKey | None = None
        # Tests mint tokens from their own thread while the server's loop checks them.
        self._key_lock = threading.Lock()

    def _key(self) -> _SigningKey:
        # Made on first use: most emulators (demos, most tests) never sign a token, and a
        # 2048-bit key costs tens of milliseconds each.
        with self._key_lock:
            if self._signing_key is None:
                self._signing_key = _SigningKey.generate()
            return self._signing_key

    @property
    def key_id(self) -> str:
        """The `kid` of the signing key, in every issued token's header and in the JWKS."""
        return self._key().kid

    def issuer(self, base_url: str) -> str:
        """The `iss` of tokens issued through `base_url` (Entra's v2.0 issuer shape)."""
        return f"{base_url.rstrip('/')}/{self.config.tenant_id}/v2.0"

    def jwks(self) -> dict[str, Any]:
        """The public key set, as served at `/discovery/v2.0/keys`."""
        return {"keys": [dict(self._key().public_jwk)]}

    def issue_token(
        self,
        *,
        issuer: str,
        audience: str,
        client_id: str,
        lifetime: float | None = None,
        now: float | None = None,
    ) -> str:
        """Sign an app-only access token; `lifetime` may be negative to make an expired one."""
        issued_at = int(time.time() if now is None else now)
        seconds = self.config.token_lifetime if lifetime is None else lifetime
        principal = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.config.tenant_id}/{client_id}"))
        claims = {
            "aud": audience,
            "iss": issuer,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": int(issued_at + seconds),
            "tid": self.config.tenant_id,
            "appid": client_id,
            "azp": client_id,
            "oid": principal,
            "sub": principal,
            "idtyp": "app",
            "ver": "2.0",
            "uti": uuid.uuid4().hex,
        }
        key = self._key()
        return jwt.encode(claims, key.private, algorithm=_ALGORITHM, headers={"kid": key.kid})

    def check_token(self, token: str) -> Principal | None:
        """Accept a Partner Center token this provider signed and that has not expired."""
        try:
            claims = jwt.decode(
                token,
                self._key().private.public_key(),
                algorithms=[_ALGORITHM],
                audience=PARTNER_CENTER_RESOURCE,
                options={"require": ["exp", "aud", "tid"]},
            )
        except jwt.InvalidTokenError:
            self.stats.count("checks_rejected")
            return None
        self.stats.count("checks_accepted")
        return Principal(key=str(claims["tid"]), app_only=claims.get("idtyp") == "app")

    def routes(self) -> list[BaseRoute]:
        """The Starlette routes of the identity endpoints, ready to mount at the root."""
        return [
            Route(
                "/{tenant}/v2.0/.well-known/openid-configuration",
                self._openid_configuration,
                methods=["GET"],
            ),
            Route("/{tenant}/discovery/v2.0/keys", self._keys, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
        ]

    async def _openid_configuration(self, request: Request) -> JSONResponse:
        self.stats.count("openid_configuration")
        tenant = request.path_params["tenant"]
        if tenant != self.config.tenant_id:
            return _tenant_not_found(request, tenant)
        base = _base_url(request)
        prefix = f"{base}/{tenant}"
        return JSONResponse(
            {
                "issuer": self.issuer(base),
                "token_endpoint": f"{prefix}/oauth2/v2.0/token",
                "authorization_endpoint": f"{prefix}/oauth2/v2.0/authorize",
                "jwks_uri": f"{prefix}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "token"],
                "grant_types_supported": ["client_credentials"],
                "id_token_signing_alg_values_supported": [_ALGORITHM],
                "subject_types_supported": ["pairwise"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    async def _keys(self, request: Request) -> JSONResponse:
        self.stats.count("keys")
        tenant = request.path_params["tenant"]
        if tenant != self.config.tenant_id:
            return _tenant_not_found(request, tenant)
        return JSONResponse(self.jwks())

    async def _token(self, request: Request) -> JSONResponse:
        self.stats.count("token_requests")
        tenant = request.path_params["tenant"]
        if tenant != self.config.tenant_id:
            self.stats.count("tokens_refused")
            return _tenant_not_found(request, tenant)
        # Token requests are always form-encoded; parsing them here spares a multipart library.
        try:
            fields = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            fields = {}
        basic = _basic_credentials(request.headers.get("authorization"))
        client_id = basic[0] if basic else fields.get("client_id", "")
        secret = basic[1] if basic else fields.get("client_secret", "")
        refusal = self._refusal(fields, client_id, secret)
        if refusal is not None:
            self.stats.count("tokens_refused")
            status, error, code, description = refusal
            return _error(request, status, error, code, description)
        resource = fields["scope"].removesuffix("/.default")
        token = self.issue_token(
            issuer=self.issuer(_base_url(request)), audience=resource, client_id=client_id
        )
        self.stats.count("tokens_issued")
        lifetime = self.config.token_lifetime
        body = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
        return JSONResponse(body, headers=_NO_STORE)

    def _refusal(
        self, fields: Mapping[str, str], client_id: str, secret: str
    ) -> tuple[int, str, int, str] | None:
        """Why Entra would refuse this token request, or None when it would issue a token."""
        if fields.get("grant_type") != "client_credentials":
            return (
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            )
        known_secret = self.config.clients.get(client_id)
        if known_secret is None:
            return (
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if not hmac.compare_digest(secret.encode(), known_secret.encode()):
            return 401, "invalid_client", 7000215, "Invalid client secret provided."
        scopes = fields.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return (
                400,
                "invalid_scope",
                1002012,
                "The client_credentials grant needs exactly one scope of the form "
                "<resource>/.default.",
            )
        return None


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    # RFC 7638: the SHA-256 of the key's required members, as Entra's own kids are stable ids.
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """client_secret_basic: the id and secret, form-encoded, in an HTTP Basic header."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def _tenant_not_found(request: Request, tenant: str) -> JSONResponse:
    return _error(
        request,
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
    )


def _error(request: Request, status: int, error: str, code: int, description: str) -> JSONResponse:
    """Entra's OAuth error body: error, AADSTS-prefixed description, codes and trace ids."""
    correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
    trace_id = str(uuid.uuid4())
    timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description} Trace ID: {trace_id} "
            f"Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
    }
    return JSONResponse(body, status_code=status, headers=_NO_STORE)


__all__ = [
    "DEFAULT_TENANT_ID",
    "PARTNER_CENTER_RESOURCE",
    "IdentityConfig",
    "IdentityProvider",
    "IdentityStats",
]
