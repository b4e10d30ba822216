"""Every failure a caller can see, as a GraphQL error with a typed `extensions.code`.

The one place that turns exceptions into caller-facing errors:

    BAD_USER_INPUT         an argument is invalid (ours), or Partner Center answered 400
    UNAUTHENTICATED        no bearer token, or Partner Center answered 401
    FORBIDDEN              Partner Center answered 403
    NOT_FOUND              Partner Center answered 404 (the customer does not exist)
    THROTTLED              Partner Center answered 429, or the partner's call budget on our
                           side is spent; `retryAfter` says when to retry
    CURSOR_EXPIRED         Partner Center refused the continuation token behind `after`:
                           restart paging from the first page
    UPSTREAM_TIMEOUT       Partner Center did not answer in time
    UPSTREAM_UNAVAILABLE   Partner Center unreachable, or 502/503/504; or the identity
                           platform's signing keys (JWKS) could not be fetched
    UPSTREAM_ERROR         any other upstream failure: other statuses, unreadable answers,
                           the service's own sign-in refused
    INTERNAL_SERVER_ERROR  a bug here; masked, and logged with the correlation id

Upstream errors carry `extensions.partnerCenter` {status, code, description, correlationId,
requestId}, which support can trace in Partner Center.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from graphql import GraphQLError

from ..auth.bearer import NotAuthenticated
from ..auth.caller_tokens import KeySetUnavailable
from ..auth.service_token import SignInError
from ..partner_center import (
    AllowanceSpent,
    BadRequest,
    BucketRefused,
    ContinuationTokenRejected,
    Forbidden,
    NotFound,
    OperationDeadlineExceeded,
    PartnerCenterError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
    UpstreamMalformedResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .paging import UpstreamInconsistent


class ErrorCode(StrEnum):
    """The values of `extensions.code`."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    THROTTLED = "THROTTLED"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    UPSTREAM_TIMEOUT = "UPSTREAM_TIMEOUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    UPSTREAM_BUDGET_EXCEEDED = "UPSTREAM_BUDGET_EXCEEDED"


_CODES = frozenset(code.value for code in ErrorCode)

# Most specific first: the first class that matches decides.
_UPSTREAM: tuple[tuple[type[PartnerCenterError], ErrorCode, str], ...] = (
    (
        ContinuationTokenRejected,
        ErrorCode.CURSOR_EXPIRED,
        "Partner Center no longer accepts the position this cursor names; "
        "restart paging from the first page (without `after`).",
    ),
    (BadRequest, ErrorCode.BAD_USER_INPUT, "Partner Center rejected the request's input."),
    (Unauthorized, ErrorCode.UNAUTHENTICATED, "Partner Center did not accept the credentials."),
    (Forbidden, ErrorCode.FORBIDDEN, "Partner Center denied access to this resource."),
    (NotFound, ErrorCode.NOT_FOUND, "Partner Center has no such resource."),
    (Throttled, ErrorCode.THROTTLED, "Partner Center is throttling requests; retry later."),
    (
        BucketRefused,
        ErrorCode.THROTTLED,
        "The partner's Partner Center call budget is spent for now; retry later.",
    ),
    (
        ServiceUnavailable,
        ErrorCode.UPSTREAM_UNAVAILABLE,
        "Partner Center is unavailable for now; retry later.",
    ),
    (
        OperationDeadlineExceeded,
        ErrorCode.UPSTREAM_TIMEOUT,
        "The operation ran out of time (GRAPHQL_OPERATION_TIMEOUT) before this field's "
        "Partner Center call finished.",
    ),
    (UpstreamTimeout, ErrorCode.UPSTREAM_TIMEOUT, "Partner Center did not answer in time."),
    (UpstreamUnavailable, ErrorCode.UPSTREAM_UNAVAILABLE, "Partner Center could not be reached."),
    (
        UpstreamMalformedResponse,
        ErrorCode.UPSTREAM_ERROR,
        "Partner Center sent an answer that could not be read.",
    ),
    (
        SignInError,
        ErrorCode.UPSTREAM_ERROR,
        "The service could not sign in to Partner Center with its own credentials.",
    ),
    (
        AllowanceSpent,
        ErrorCode.UPSTREAM_BUDGET_EXCEEDED,
        "This operation has spent its budget of upstream calls (GRAPHQL_MAX_UPSTREAM_CALLS); "
        "ask for fewer customers or fields per operation.",
    ),
    (PartnerCenterError, ErrorCode.UPSTREAM_ERROR, "Partner Center failed to serve the request."),
)


def is_typed(error: GraphQLError) -> bool:
    """True when `error` already carries one of our codes."""
    extensions = error.extensions or {}
    return extensions.get("code") in _CODES


def bad_user_input(message: str, *, argument: str | None = None) -> GraphQLError:
    """An invalid argument; `argument` names it in `extensions.argument`."""
    extensions: dict[str, Any] = {"code": ErrorCode.BAD_USER_INPUT.value}
    if argument is not None:
        extensions["argument"] = argument
    return GraphQLError(message, extensions=extensions)


def unauthenticated(message: str) -> GraphQLError:
    """No credentials to call Partner Center with."""
    return GraphQLError(message, extensions={"code": ErrorCode.UNAUTHENTICATED.value})


def upstream_error(exc: PartnerCenterError, *, message: str | None = None) -> GraphQLError:
    """The typed error for a Partner Center failure; `message` replaces the generic text."""
    code, text = _classify(exc)
    if isinstance(exc, AllowanceSpent):  # nothing was sent: no Partner Center details
        return GraphQLError(
            message or text, extensions={"code": code.value, "maxUpstreamCalls": exc.limit}
        )
    if isinstance(exc, BucketRefused):  # not sent either: the budget, not Partner Center, said no
        retry_after = _retry_after(exc)
        return GraphQLError(
            message
            or "The partner's Partner Center call budget is spent for now; "
            f"retry after {retry_after} seconds.",
            extensions={"code": code.value, "retryAfter": retry_after},
        )
    extensions: dict[str, Any] = {"code": code.value, "partnerCenter": _details(exc)}
    if code is ErrorCode.THROTTLED:
        extensions["retryAfter"] = _retry_after(exc)
        if extensions["retryAfter"] is not None:
            text = (
                f"Partner Center is throttling requests; retry after "
                f"{extensions['retryAfter']} seconds."
            )
    return GraphQLError(message or text, extensions=extensions)


def internal_error(correlation_id: str | None) -> GraphQLError:
    """What a caller sees of a bug: a code and the id to quote to support, nothing else."""
    return GraphQLError(
        "Internal server error.",
        extensions={
            "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
            "correlationId": correlation_id,
        },
    )


def known_error(exc: BaseException) -> GraphQLError | None:
    """The typed error for an exception we expect, or None for an unexpected one (a bug)."""
    if isinstance(exc, GraphQLError) and is_typed(exc):
        return exc
    if isinstance(exc, PartnerCenterError):
        return upstream_error(exc)
    if isinstance(exc, NotAuthenticated):
        return unauthenticated(str(exc))
    if isinstance(exc, KeySetUnavailable):
        # The identity platform's keys are out of reach: not the caller's fault, nor a bug.
        return GraphQLError(
            "The service cannot check bearer tokens right now: the signing keys are "
            "unavailable; retry later.",
            extensions={"code": ErrorCode.UPSTREAM_UNAVAILABLE.value},
        )
    if isinstance(exc, UpstreamInconsistent):
        return GraphQLError(
            "Partner Center's pages are inconsistent; retry later.",
            extensions={"code": ErrorCode.UPSTREAM_ERROR.value},
        )
    return None


def _classify(exc: PartnerCenterError) -> tuple[ErrorCode, str]:
    for kind, code, text in _UPSTREAM:
        if isinstance(exc, kind):
            return code, text
    raise AssertionError("PartnerCenterError matches the last rule")  # pragma: no cover


def _details(exc: PartnerCenterError) -> dict[str, Any]:
    status = getattr(exc, "status", None)
    code = description = None
    if isinstance(exc, UpstreamHTTPError):
        code, description = exc.code, exc.description
    return {
        "status": status,
        "code": code,
        "description": description,
        "correlationId": exc.correlation_id,
        "requestId": exc.request_id,
    }


def _retry_after(exc: PartnerCenterError) -> int | None:
    value = getattr(exc, "retry_after", None)
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    # Whole seconds, rounded up: retrying a little late is fine, early is throttled again.
    return math.ceil(value)


__all__ = [
    "ErrorCode",
    "bad_user_input",
    "internal_error",
    "is_typed",
    "known_error",
    "unauthenticated",
    "upstream_error",
]
