"""The per-request context resolvers see: client, settings, credentials, correlation id, loaders.

Built once per GraphQL request by `build_request_context`, from plain values the HTTP layer
read from the request (no HTTP here); nothing in it is shared between requests, so one
caller's loaders (and cached records) never serve another.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from ..auth.bearer import MISSING_CREDENTIALS, NotAuthenticated
from ..config import Settings
from ..observability import Spans
from ..partner_center import (
    Allowance,
    AnswerReport,
    CallContext,
    PartnerCenterClient,
)
from .loaders import Loaders, create_loaders
from .operation_record import OperationRecord


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
    # The upstream calls this operation may still send (GRAPHQL_MAX_UPSTREAM_CALLS).
    allowance: Allowance | None = None
    # The caller's token passed this service's own validation (AUTH_JWKS_URL).
    caller_verified: bool = False
    # Whose cached upstream answers this request may use (see `cache_scope`); None: none.
    cache_scope: str | None = field(default=None, repr=False)
    # Whose share of the partner's call budget this request spends (see `caller_key`).
    caller: str | None = field(default=None, repr=False)
    # The caller asked for fresh data (`Cache-Control: no-cache`): fetch anew, not from cache.
    refresh: bool = False
    # What the cache served this request: the response's freshness is read from it.
    answers: AnswerReport = field(default_factory=AnswerReport)
    # What the schema's OperationObserver learns of the operation (its name, how far it got).
    operation: OperationRecord = field(default_factory=OperationRecord, repr=False)
    # The tracer of this operation's spans; None when tracing is off.
    spans: Spans | None = field(default=None, repr=False)
    # What the caller offered to prove it may have a federated trace (ftv1); None: no ask.
    federated_trace_proof: str | None = field(default=None, repr=False)
    # time.monotonic() by which the operation must be over (GRAPHQL_OPERATION_TIMEOUT).
    deadline: float | None = None
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def caller_proven(self) -> bool:
        """Someone vouched for the caller: our token validation, or Partner Center answering."""
        budget = self.allowance
        return self.caller_verified or (budget is not None and budget.answered > 0)

    @property
    def call(self) -> CallContext:
        """What every upstream call of this request shares; raises NotAuthenticated without one."""
        if self.authorization is None:
            if self.auth_failure is not None:
                raise self.auth_failure
            raise NotAuthenticated(MISSING_CREDENTIALS)
        return CallContext(
            authorization=self.authorization,
            correlation_id=self.correlation_id,
            locale=self.locale,
            allowance=self.allowance,
            cache_scope=self.cache_scope,
            refresh=self.refresh,
            report=self.answers,
            tracer=self.spans,
            caller=self.caller,
            deadline=self.deadline,
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


def caller_key(caller_authorization: str | None, identity: str | None = None) -> str | None:
    """Who the caller is for its share of the partner's budget, as a digest; None: nobody.

    The user of a token this service validated (its `tid/oid`, with AUTH_JWKS_URL, as in
    `client_credentials` mode), else the bearer token the caller sent: its own, never the
    service's. Each new token is a new caller, but its first calls spend the share of the
    credentials Partner Center has not accepted yet, which all such tokens have together.
    """
    if identity is not None:
        material = f"caller:claims:{identity}"
    elif caller_authorization is not None:
        material = f"caller:token:{caller_authorization}"
    else:
        return None
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def build_request_context(
    *,
    client: PartnerCenterClient,
    settings: Settings,
    correlation_id: str,
    locale: str | None = None,
    authorization: str | None = None,
    auth_failure: Exception | None = None,
    caller_verified: bool = False,
    caller_identity: str | None = None,
    caller_bearer: str | None = None,
    refresh: bool = False,
    operation: OperationRecord | None = None,
    spans: Spans | None = None,
    federated_trace_proof: str | None = None,
) -> RequestContext:
    """The context of one GraphQL request.

    `authorization` and `auth_failure` are what authentication decided (the value to send
    upstream, or why there is none); `caller_bearer`, the caller's own normalised bearer
    value (who the caller is when no validated identity says); `refresh`, whether the caller
    asked for fresh data.
    `operation` is the record the HTTP layer reads once the operation is over; `spans`, the
    tracer when the operation is traced.
    """
    return RequestContext(
        client=client,
        settings=settings,
        correlation_id=correlation_id,
        locale=locale,
        authorization=authorization,
        auth_failure=auth_failure,
        caller_verified=caller_verified,
        allowance=Allowance(settings.server.max_upstream_calls),
        cache_scope=cache_scope(settings, authorization, caller_identity),
        caller=caller_key(caller_bearer, caller_identity),
        refresh=refresh,
        operation=operation if operation is not None else OperationRecord(),
        spans=spans,
        federated_trace_proof=federated_trace_proof,
        deadline=time.monotonic() + settings.server.operation_timeout,
    )


__all__ = [
    "NotAuthenticated",
    "RequestContext",
    "build_request_context",
    "cache_scope",
    "caller_key",
]
