"""Checks that a caller's bearer token is a JWT this service should trust.

The token must be signed by a key from `AUTH_JWKS_URL`, with one of the pinned algorithms,
and carry an accepted issuer (`AUTH_ISSUER`), an accepted audience (`AUTH_AUDIENCE`) and an
expiry still in the future. PyJWT does the checking; its `PyJWKClient` caches the key set
and refetches it when a token names a key it has not seen (key rotation). That fetch is
blocking, so key look-ups run in a worker thread and never stall the event loop.

Example:
    validator = CallerTokenValidator(settings.auth)
    caller = await validator.validate(token)  # raises CallerRejected when it is not good
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from graphql_api.config import AuthSettings

# Claims without which a token proves nothing about who may use it, or until when.
_REQUIRED_CLAIMS = ["exp", "iss", "aud"]
_JWKS_TIMEOUT = 10.0

logger = logging.getLogger(__name__)


class CallerRejected(Exception):
    """The caller's token is not acceptable; the message (never the token) may be shown."""


class KeySetUnavailable(Exception):
    """The signing keys could not be fetched, so no token can be checked: a service fault."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a validated token speaks for."""

    subject: str | None
    issuer: str
    tenant_id: str | None
    app_id: str | None
    claims: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"Caller(subject={self.subject!r}, tenant_id={self.tenant_id!r})"

    @property
    def identity(self) -> str | None:
        """`tid/oid`: the user (or app) in its tenant, when the token names both."""
        object_id = _text(self.claims.get("oid"))
        if self.tenant_id and object_id:
            return f"{self.tenant_id}/{object_id}"
        return None


class CallerTokenValidator:
    """Validates callers' JWTs against the configured key set, issuers and audiences."""

    def __init__(self, settings: AuthSettings) -> None:
        if not (settings.jwks_url and settings.issuers and settings.audiences):
            # AuthSettings refuses this combination; guard direct construction as well.
            raise ValueError("caller validation needs a JWKS URL, issuers and audiences")
        context = (
            ssl.create_default_context(cafile=settings.ca_bundle) if settings.ca_bundle else None
        )
        self._keys = jwt.PyJWKClient(settings.jwks_url, timeout=_JWKS_TIMEOUT, ssl_context=context)
        self._issuers = list(settings.issuers)
        self._audiences = list(settings.audiences)
        self._algorithms = list(settings.algorithms)
        self._leeway = settings.leeway

    async def validate(self, token: str) -> Caller:
        """The caller the token speaks for; raises `CallerRejected` or `KeySetUnavailable`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _reject("malformed token") from None
        if header.get("alg") not in self._algorithms:
            raise _reject("token signed with an algorithm this service does not accept")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _reject("token names no signing key")
        key = await self._signing_key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audiences,
                issuer=self._issuers,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise _reject("token expired") from None
        except jwt.InvalidAudienceError:
            raise _reject("token was issued for another audience") from None
        except jwt.InvalidIssuerError:
            raise _reject("token comes from an issuer this service does not trust") from None
        except jwt.InvalidSignatureError:
            raise _reject("token signature does not verify") from None
        except jwt.ImmatureSignatureError:
            raise _reject("token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _reject(f"token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError:
            raise _reject("invalid token") from None
        return Caller(
            subject=_text(claims.get("sub")),
            issuer=str(claims["iss"]),
            tenant_id=_text(claims.get("tid")),
            app_id=_text(claims.get("appid") or claims.get("azp")),
            claims=claims,
        )

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        try:
            return await asyncio.to_thread(self._keys.get_signing_key, kid)
        except jwt.PyJWKClientConnectionError:
            logger.error("the JWKS URL could not be reached; caller tokens cannot be checked")
            raise KeySetUnavailable("the signing keys could not be fetched") from None
        except (jwt.PyJWKSetError, jwt.PyJWKError):
            logger.error("the JWKS URL answered with no usable key set")
            raise KeySetUnavailable("the signing keys could not be read") from None
        except jwt.PyJWKClientError:
            # Also raised when the set holds no signing keys at all, but a kid nobody
            # published is by far the likelier cause: a forged or foreign token.
            raise _reject("token signed by a key this service does not know") from None


def _reject(reason: str) -> CallerRejected:
    logger.info("caller token rejected: %s", reason)
    return CallerRejected(reason)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


__all__ = ["Caller", "CallerRejected", "CallerTokenValidator", "KeySetUnavailable"]
