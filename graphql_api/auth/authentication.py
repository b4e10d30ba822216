"""Turns a request's `Authorization` header into the `Authorization` sent to Partner Center.

Per `PARTNER_CENTER_AUTH` and the caller-validation settings (see `AuthSettings`):

    passthrough          the caller's bearer token goes upstream as is
    + AUTH_JWKS_URL      ... once it has passed JWT validation
    client_credentials   the caller's JWT must validate; the service's own token goes upstream

The outcome never raises: a request without acceptable credentials still runs (so schema
introspection needs no token), and the resolvers that need Partner Center raise the
recorded failure before any upstream call.

Example:
    authenticator = Authenticator(settings.auth)
    outcome = await authenticator.authenticate(request.headers.get("authorization"))
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import AuthSettings
from ..partner_center.errors import PartnerCenterError
from .bearer import MISSING_CREDENTIALS, NotAuthenticated, bearer_authorization
from .caller_tokens import CallerRejected, CallerTokenValidator, KeySetUnavailable
from .service_token import UpstreamCredentials, upstream_credentials


@dataclass(frozen=True, slots=True)
class Authentication:
    """One request's outcome: the upstream `Authorization` value, or why there is none."""

    authorization: str | None = field(default=None, repr=False)
    failure: Exception | None = None
    # The caller's JWT passed validation (signature, issuer, audience, expiry).
    verified: bool = False
    # Its verified `tid/oid`, when it names both: the caller's cache scope in passthrough.
    identity: str | None = None


class Authenticator:
    """Authenticates callers and chooses upstream credentials; one per app, closed with it."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        credentials: UpstreamCredentials | None = None,
    ) -> None:
        self._validator = CallerTokenValidator(settings) if settings.validates_callers else None
        self._credentials = credentials or upstream_credentials(settings)

    async def authenticate(self, authorization_header: str | None) -> Authentication:
        """The upstream credentials for a request with this `Authorization` header."""
        normalised = bearer_authorization(authorization_header)
        if normalised is None:
            return Authentication(failure=NotAuthenticated(MISSING_CREDENTIALS))
        token = normalised.partition(" ")[2]
        identity = None
        if self._validator is not None:
            try:
                identity = (await self._validator.validate(token)).identity
            except CallerRejected as rejected:
                return Authentication(
                    failure=NotAuthenticated(f"the bearer token was not accepted: {rejected}")
                )
            except KeySetUnavailable as unavailable:
                # Not the caller's fault: it surfaces as a (masked) service error.
                return Authentication(failure=unavailable)
        try:
            return Authentication(
                authorization=await self._credentials.authorization(token),
                verified=self._validator is not None,
                identity=identity,
            )
        except PartnerCenterError as failed:
            return Authentication(failure=failed)

    async def aclose(self) -> None:
        """Release the upstream credentials (msal's HTTP session, a sign-in in progress)."""
        await self._credentials.aclose()


__all__ = ["Authentication", "Authenticator"]
