"""The credentials sent to Partner Center: the caller's own token, or the service's msal token.

Two modes (`PARTNER_CENTER_AUTH`):

* `passthrough`: the caller's bearer token goes upstream unchanged.
* `client_credentials`: the service signs in as itself with msal's
  `ConfidentialClientApplication` and sends its own token, whoever the caller is (the
  caller is authenticated separately, see `graphql_api.auth.caller_tokens`).

msal is synchronous, so every msal call runs in a worker thread. Its token cache would
already avoid most sign-ins (it hands back a cached token until 5 minutes before expiry),
but it would cost a thread hop per request, and it does nothing to stop fifty requests that
arrive as the token expires from each starting a sign-in. `ClientCredentials` therefore
keeps the current token and its renewal time itself and runs one sign-in at a time;
everyone who needs a token meanwhile waits for that one. The renewal margin (4 minutes by
default) sits inside msal's 5, so when our copy is due msal's cache agrees and signs in.

A sign-in that fails with no usable token left (a wrong secret, an unknown tenant, an
authority that is down) is remembered: until its back-off ends (2 s after the first failure,
doubling to a minute) every request gets that failure at once, without asking the authority
again, so a misconfigured service does not send one sign-in per request.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import msal  # type: ignore[import-untyped]

from graphql_api.config import AuthSettings
from graphql_api.partner_center import environment_proxy
from graphql_api.partner_center.errors import PartnerCenterError, UpstreamUnavailable

PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/.default"

# Bounds of one request to the sign-in authority, in seconds.
_SIGN_IN_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# After a failed renewal, keep serving a still-valid token and try again this much later,
# rather than making every request wait on an authority that is down.
_RETRY_AFTER_FAILED_RENEWAL = 10.0
# After a failed sign-in with no token to fall back on: the first pause before the authority
# is asked again, doubled after each further failure up to the cap.
_FIRST_SIGN_IN_BACKOFF = 2.0
_MAX_SIGN_IN_BACKOFF = 60.0

logger = logging.getLogger(__name__)


class SignInError(PartnerCenterError):
    """The identity platform refused the service's own sign-in (bad secret, unknown tenant...)."""


class UpstreamCredentials(Protocol):
    """Chooses the `Authorization` header Partner Center receives for one caller."""

    async def authorization(self, caller_token: str) -> str:
        """The header value ("Bearer ...") to send upstream for a caller with this token."""
        ...

    async def aclose(self) -> None:
        """Release what the credentials hold (HTTP sessions, a sign-in in progress)."""
        ...


class PassthroughCredentials:
    """Forwards the caller's own bearer token: Partner Center decides what the caller may see."""

    async def authorization(self, caller_token: str) -> str:
        """The caller's token, unchanged."""
        return f"Bearer {caller_token}"

    async def aclose(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True, slots=True)
class _CachedToken:
    token: str
    # Times on the provider's clock (monotonic seconds).
    refresh_at: float
    expires_at: float

    def __repr__(self) -> str:
        return f"_CachedToken(refresh_at={self.refresh_at}, expires_at={self.expires_at})"


@dataclass(frozen=True, slots=True)
class _FailedSignIn:
    error: PartnerCenterError
    # When the authority may be asked again (the provider's clock), and the pause that led there.
    retry_at: float
    backoff: float


class ClientCredentials:
    """The service's own app-only token, from msal's client-credentials flow, shared by all callers.

    Example:
        credentials = ClientCredentials(settings.auth)
        header = await credentials.authorization(caller_token)  # "Bearer <service token>"
    """

    def __init__(
        self, settings: AuthSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        secret = settings.client_secret
        if not (settings.tenant_id and settings.client_id and secret):
            # AuthSettings refuses this for client_credentials mode; guard direct use too.
            raise ValueError("client credentials need a tenant id, a client id and a secret")
        self._settings = settings
        self._client_secret = secret
        self._authority = f"{settings.authority_host.rstrip('/')}/{settings.tenant_id}"
        self._clock = clock
        self._margin = settings.token_refresh_margin
        self._cached: _CachedToken | None = None
        self._failed: _FailedSignIn | None = None
        self._sign_in: asyncio.Task[str] | None = None
        # Built on first use, in a worker thread: msal's constructor fetches the tenant's
        # OpenID configuration over the network.
        self._app: Any = None
        self._http = _MsalHttpClient(settings.ca_bundle, proxy=environment_proxy(self._authority))

    async def authorization(self, caller_token: str) -> str:
        """The service's token; the caller's token is not sent upstream in this mode."""
        return f"Bearer {await self.token()}"

    async def token(self) -> str:
        """A valid access token for Partner Center, signing in only when it is due for renewal."""
        cached = self._cached
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.token
        failed = self._failed
        if failed is not None and self._clock() < failed.retry_at:
            # A copy: one exception object raised by many requests would gather their tracebacks.
            raise copy.copy(failed.error).with_traceback(None)
        # Single flight: no await between the check and the assignment, so the first
        # request at expiry starts the sign-in and the others join it. A shared task (not a
        # lock around the sign-in) means a caller that gives up does not cancel it for the rest.
        if self._sign_in is None:
            self._sign_in = asyncio.create_task(self._renew(), name="partner-center-sign-in")
            self._sign_in.add_done_callback(self._sign_in_finished)
        return await asyncio.shield(self._sign_in)

    def _sign_in_finished(self, task: asyncio.Task[str]) -> None:
        self._sign_in = None
        if not task.cancelled():
            task.exception()  # mark it retrieved even when every waiter has gone

    async def aclose(self) -> None:
        """Stop a sign-in in progress and close msal's HTTP session."""
        if self._sign_in is not None:
            self._sign_in.cancel()
        self._http.close()

    async def _renew(self) -> str:
        started = self._clock()
        previous = self._cached
        try:
            result = await asyncio.to_thread(self._acquire)
        except PartnerCenterError as exc:
            if previous is None or started >= previous.expires_at:
                self._remember_failure(exc, started)
                raise
            # The old token still works: keep using it and try again a little later.
            logger.warning("renewing the Partner Center token failed; using the current one")
            retry_at = min(previous.expires_at, started + _RETRY_AFTER_FAILED_RENEWAL)
            self._cached = _CachedToken(previous.token, retry_at, previous.expires_at)
            return previous.token
        token = str(result["access_token"])
        expires_in = float(result["expires_in"])
        # Renew `margin` before expiry, or half-way for tokens shorter-lived than twice that.
        refresh_at = started + expires_in - min(self._margin, expires_in / 2)
        if "refresh_in" in result:  # Entra's hint for long-lived tokens
            refresh_at = min(refresh_at, started + float(result["refresh_in"]))
        self._cached = _CachedToken(token, refresh_at, started + expires_in)
        self._failed = None
        logger.info("signed in to Partner Center as the service; token valid %.0f s", expires_in)
        return token

    def _remember_failure(self, error: PartnerCenterError, started: float) -> None:
        previous = self._failed
        backoff = (
            _FIRST_SIGN_IN_BACKOFF
            if previous is None
            else min(previous.backoff * 2, _MAX_SIGN_IN_BACKOFF)
        )
        self._failed = _FailedSignIn(error, started + backoff, backoff)
        logger.warning("service sign-in failed; next attempt in %.0f s", backoff)

    def _acquire(self) -> dict[str, Any]:
        """Runs in a worker thread: msal's (blocking) cache lookup or sign-in."""
        try:
            if self._app is None:
                self._app = self._build_app()
            result: dict[str, Any] = self._app.acquire_token_for_client(
                scopes=[PARTNER_CENTER_SCOPE]
            )
        except httpx.HTTPError as exc:
            logger.warning("sign-in authority unreachable: %s", type(exc).__name__)
            raise UpstreamUnavailable("the sign-in authority could not be reached") from None
        except ValueError:
            # msal raises ValueError when the authority's OpenID configuration is missing,
            # which is what an unknown tenant or a wrong AZURE_AUTHORITY_HOST looks like.
            logger.warning(
                "sign-in authority %s has no usable OpenID configuration", self._authority
            )
            raise SignInError(
                "the sign-in authority did not recognise the tenant (check AZURE_TENANT_ID "
                "and AZURE_AUTHORITY_HOST)"
            ) from None
        if "access_token" not in result:
            raise _refused(result)
        return result

    def _build_app(self) -> Any:
        return msal.ConfidentialClientApplication(
            self._settings.client_id,
            client_credential=self._client_secret.get_secret_value(),
            authority=self._authority,
            # Instance discovery asks login.microsoftonline.com whether the authority is a
            # known one; the operator chose AZURE_AUTHORITY_HOST, and sovereign clouds,
            # private authorities and the emulator are not on that list anyway.
            instance_discovery=False,
            http_client=self._http,
            token_cache=msal.TokenCache(),
        )


class _MsalHttpClient:
    """msal's `HttpClient` seam over a synchronous httpx client.

    msal's default is a `requests.Session` with `verify=` set on the session, but requests
    lets a `REQUESTS_CA_BUNDLE` in the environment override a session's `verify`, so a
    configured AUTH_CA_BUNDLE could silently be ignored. httpx takes the bundle as given.
    The proxy is the one the Partner Center wire would choose for the authority's URL (the
    same variables, read the same way): a transport given to httpx reads none itself.
    """

    def __init__(self, ca_bundle: str | None, *, proxy: str | None = None) -> None:
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        )
        # One retry on connection failure, as msal's own default session does.
        transport = httpx.HTTPTransport(verify=verify, retries=1, proxy=proxy)
        self._client = httpx.Client(transport=transport, timeout=_SIGN_IN_TIMEOUT)

    def post(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | str | bytes | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """POST for msal: a dict body is form-encoded, a str body is sent as is."""
        if isinstance(data, str | bytes):
            return self._client.post(url, params=params, content=data, headers=headers)
        return self._client.post(url, params=params, data=data, headers=headers)

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """GET for msal (OpenID configuration)."""
        return self._client.get(url, params=params, headers=headers)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _refused(result: dict[str, Any]) -> SignInError:
    """A `SignInError` from msal's error result, keeping codes and ids but not the prose."""
    error = str(result.get("error", "unknown_error"))
    codes = result.get("error_codes") or []
    detail = f"{error} (AADSTS{codes[0]})" if codes else error
    correlation_id = result.get("correlation_id")
    logger.warning(
        "sign-in refused by the authority: %s, correlation id %s", detail, correlation_id
    )
    return SignInError(
        f"the service could not sign in to Partner Center: {detail}",
        correlation_id=str(correlation_id) if correlation_id else None,
    )


def upstream_credentials(settings: AuthSettings) -> UpstreamCredentials:
    """The credentials for the configured `PARTNER_CENTER_AUTH` mode."""
    if settings.mode == "client_credentials":
        return ClientCredentials(settings)
    return PassthroughCredentials()


__all__ = [
    "PARTNER_CENTER_SCOPE",
    "ClientCredentials",
    "PassthroughCredentials",
    "SignInError",
    "UpstreamCredentials",
    "upstream_credentials",
]
