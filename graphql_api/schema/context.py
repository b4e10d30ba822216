"""The per-request context resolvers see: client, settings, credentials, correlation id, loaders.

Built once per GraphQL request from the HTTP request by `build_request_context`; nothing in it
is shared between requests, so one caller's loaders (and cached records) never serve another.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field

from starlette.requests import Request

from ..config import Settings
from ..observability import Spans
from ..partner_center import (
    AnswerReport,
    CallBudget,
    CallContext,
    PartnerCenterClient,
    is_guid,
)
from .loaders import Loaders, create_loaders
from .operation_record import OperationRecord

# RFC 6750 `b64token`; anything else is not a bearer token we would forward.
_BEARER = re.compile(r"\A[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)\Z")
_MAX_AUTHORIZATION_LENGTH = 16 * 1024
# A BCP 47 tag, loosely: letters, then dash-separated alphanumeric subtags.
_LANGUAGE_TAG = re.compile(r"\A[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_MAX_LOCALE_LENGTH = 35
CORRELATION_HEADERS = ("MS-CorrelationId", "X-Correlation-Id")


class NotAuthenticated(Exception):
    """The request carries no bearer credentials to call Partner Center with."""


@dataclass(eq=False)
class RequestContext:
    """Strawberry's `info.context` for one GraphQL request.

    `authorization` is the `Authorization` value sent upstream ("Bearer ..."), or None when
    the caller gave none: then every resolver that needs Partner Center raises
    NotAuthenticated (UNAUTHENTICATED) before any upstream call.
    """

    client: PartnerCenterClient
    settings: Settings
    correlation_id: str
    locale: str | None = None
    authorization: str | None = field(default=None, repr=False)
    # Why there is no `authorization`, when authentication decided it (a rejected caller
    # token, a failed service sign-in): `call` raises it instead of the generic refusal.
    auth_failure: Exception | None = field(default=None, repr=False)
    request: Request | None = field(default=None, repr=False)
    # The upstream calls this operation may still send (GRAPHQL_MAX_UPSTREAM_CALLS).
    upstream_budget: CallBudget | None = None
    # The caller's token passed this service's own validation (AUTH_JWKS_URL).
    caller_verified: bool = False
    # Whose cached upstream answers this request may use (see `cache_scope`); None: none.
    cache_scope: str | None = field(default=None, repr=False)
    # The caller sent `Cache-Control: no-cache`: fetch anew rather than read the cache.
    refresh: bool = False
    # What the cache served this request: the response's freshness is read from it.
    answers: AnswerReport = field(default_factory=AnswerReport)
    # What the schema's OperationObserver learns of the operation (its name, how far it got).
    operation: OperationRecord = field(default_factory=OperationRecord, repr=False)
    # The tracer of this operation's spans; None when tracing is off.
    spans: Spans | None = field(default=None, repr=False)
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def caller_proven(self) -> bool:
        """Someone vouched for the caller: our token validation, or Partner Center answering."""
        budget = self.upstream_budget
        return self.caller_verified or (budget is not None and budget.answered > 0)

    @property
    def call(self) -> CallContext:
        """What every upstream call of this request shares; raises NotAuthenticated without one."""
        if self.authorization is None:
            if self.auth_failure is not None:
                raise self.auth_failure
            raise NotAuthenticated("a bearer token is required: send `Authorization: Bearer ...`")
        return CallContext(
            authorization=self.authorization,
            correlation_id=self.correlation_id,
            locale=self.locale,
            budget=self.upstream_budget,
            cache_scope=self.cache_scope,
            refresh=self.refresh,
            report=self.answers,
            tracer=self.spans,
        )

    @property
    def loaders(self) -> Loaders:
        """This request's loaders, made on first use (so an anonymous request makes none)."""
        if self._loaders is None:
            self._loaders = create_loaders(
                self.client,
                self.call,
                max_batch_size=self.settings.schema.loader_max_batch_size,
                spans=self.spans,
            )
        return self._loaders


    def release(self) -> None:
        """Free what the request's loaders hold, once the response is sent (see
        `Loaders.release`), and its execution; a later use of `loaders` finds them empty."""
        if self._loaders is not None:
            self._loaders.release()
        # The record's execution context refers back to this context.
        self.operation.execution = None


def bearer_authorization(value: str | None) -> str | None:
    """`Bearer <token>` normalised from an Authorization header, or None if it is not one."""
    if value is None or len(value) > _MAX_AUTHORIZATION_LENGTH:
        return None
    match = _BEARER.match(value.strip())
    return None if match is None else f"Bearer {match.group(1)}"


def correlation_id_from(values: list[str | None]) -> str:
    """The first of `values` that is a GUID (lower-cased), else a fresh uuid4."""
    for value in values:
        if value is not None and is_guid(value.strip()):
            return value.strip().lower()
    return str(uuid.uuid4())


def locale_from(accept_language: str | None) -> str | None:
    """The first language tag of an Accept-Language header, if it is a plain, short tag."""
    if not accept_language:
        return None
    tag = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    if len(tag) > _MAX_LOCALE_LENGTH or _LANGUAGE_TAG.match(tag) is None:
        return None
    return tag


def cache_scope(
    settings: Settings, authorization: str | None, identity: str | None = None
) -> str | None:
    """Whose cached upstream answers a caller may share, as a digest; None to share none.

    Partner Center shows each credential what it may see, so an answer is shared only with
    callers whose upstream credentials are the same: in `client_credentials` every
    authenticated caller (one service identity goes upstream); in `passthrough` the callers
    with the same verified `tid/oid` (AUTH_JWKS_URL) or else the same bearer token. Only a
    digest leaves here: the token never becomes part of a key.
    """
    if authorization is None:
        return None
    if settings.auth.mode == "client_credentials":
        material = "service"
    elif identity is not None:
        material = f"claims:{identity}"
    else:
        material = f"token:{authorization}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def wants_refresh(cache_control: str | None, pragma: str | None = None) -> bool:
    """True when the request says `Cache-Control: no-cache` (or HTTP/1.0's `Pragma`)."""
    directives = {d.strip().split("=", 1)[0].lower() for d in (cache_control or "").split(",")}
    return "no-cache" in directives or "no-store" in directives or (
        (pragma or "").strip().lower() == "no-cache"
    )


def build_request_context(
    request: Request,
    *,
    client: PartnerCenterClient,
    settings: Settings,
    authorization: str | None = None,
    auth_failure: Exception | None = None,
    caller_verified: bool = False,
    caller_identity: str | None = None,
    operation: OperationRecord | None = None,
    spans: Spans | None = None,
) -> RequestContext:
    """The context of one GraphQL request.

    `authorization` and `auth_failure` are what `authentication.Authenticator` decided (the
    value to send upstream, or why there is none); when both are None, the caller's own
    bearer token is passed through unchecked. `operation` is the record the HTTP layer reads
    once the operation is over; `spans`, the tracer when the operation is traced.
    """
    headers = request.headers
    upstream = authorization
    if upstream is None and auth_failure is None:
        upstream = bearer_authorization(headers.get("authorization"))
    return RequestContext(
        client=client,
        settings=settings,
        correlation_id=correlation_id_from([headers.get(name) for name in CORRELATION_HEADERS]),
        locale=locale_from(headers.get("accept-language")),
        authorization=upstream,
        auth_failure=auth_failure,
        caller_verified=caller_verified,
        request=request,
        upstream_budget=CallBudget(settings.server.max_upstream_calls),
        cache_scope=cache_scope(settings, upstream, caller_identity),
        refresh=wants_refresh(headers.get("cache-control"), headers.get("pragma")),
        operation=operation if operation is not None else OperationRecord(),
        spans=spans,
    )


__all__ = [
    "CORRELATION_HEADERS",
    "NotAuthenticated",
    "RequestContext",
    "bearer_authorization",
    "build_request_context",
    "cache_scope",
    "correlation_id_from",
    "locale_from",
    "wants_refresh",
]
