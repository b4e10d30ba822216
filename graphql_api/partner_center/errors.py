"""Failures of calls to Partner Center, as a typed hierarchy.

    PartnerCenterError                 every failure; carries correlation and request ids
     ├── AllowanceSpent                not sent: the operation's allowance of calls is spent
     │                                 (defined in allowance.py)
     ├── BucketRefused                 not sent: the partner's bucket (bucket.py) would have
     │                                 made it wait too long
     ├── UpstreamUnavailable           no answer: connection refused or reset (after retries)
     │    └── UpstreamTimeout          connect, read, attempt or whole-call time bound exceeded
     │         └── OperationDeadlineExceeded
     │                                 the operation's own deadline passed first (or had
     │                                 passed: then nothing was sent)
     ├── UpstreamMalformedResponse     an answer we cannot read: bad JSON, wrong content type,
     │                                 wrong shape, a body that does not decode, or larger
     │                                 than the configured bound
     └── UpstreamHTTPError             an HTTP error status, with Partner Center's error details
          ├── BadRequest               400
          │    └── ContinuationTokenRejected
          │                            a seek request refused: the token expired or is unknown,
          │                            so the walk must restart from the first page
          ├── Unauthorized             401
          ├── Forbidden                403
          ├── NotFound                 404
          ├── Throttled                429, with `retry_after` seconds when given
          └── ServerError              5xx
               └── ServiceUnavailable  502, 503, 504

Each wire raises `UpstreamUnavailable`, `UpstreamTimeout` and `UpstreamMalformedResponse` for
its HTTP library's failures, through one table (`_wire_failures.py`); schema/errors.py is the
one place these become GraphQL error codes.
"""

from __future__ import annotations


class PartnerCenterError(Exception):
    """Base of every Partner Center call failure."""

    def __init__(
        self,
        message: str,
        *,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id
        self.request_id = request_id


class UpstreamUnavailable(PartnerCenterError):
    """Partner Center could not be reached, or dropped the connection."""


class UpstreamTimeout(UpstreamUnavailable):
    """A call exceeded its connect, read, attempt or whole-call time bound."""


class OperationDeadlineExceeded(UpstreamTimeout):
    """The operation's deadline (`CallContext.deadline`) passed before the call finished."""


class UpstreamMalformedResponse(PartnerCenterError):
    """Partner Center answered with something that is not the JSON we expect."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id, request_id=request_id)
        self.status = status


class UpstreamHTTPError(PartnerCenterError):
    """An HTTP error status from Partner Center.

    `code` is Partner Center's error code as text (the API sends numbers and strings), or
    None when the body had none (the gateway's `{statusCode, message}` shape, or no body).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        description: str | None = None,
        retry_after: float | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, correlation_id=correlation_id, request_id=request_id)
        self.status = status
        self.code = code
        self.description = description
        self.retry_after = retry_after


class BadRequest(UpstreamHTTPError):
    """400: Partner Center rejected the request's input."""


class ContinuationTokenRejected(BadRequest):
    """A seek request was refused: the continuation token expired or is unknown."""


class Unauthorized(UpstreamHTTPError):
    """401: no valid token, or a token Partner Center does not accept."""


class Forbidden(UpstreamHTTPError):
    """403: authenticated, but not allowed to see this resource."""


class NotFound(UpstreamHTTPError):
    """404: the customer (or route) does not exist."""


class Throttled(UpstreamHTTPError):
    """429: over Partner Center's rate limit; `retry_after` says when to try again."""


class ServerError(UpstreamHTTPError):
    """5xx: Partner Center failed."""


class ServiceUnavailable(ServerError):
    """502, 503 or 504: Partner Center or its gateway is not answering for now."""


__all__ = [
    "BadRequest",
    "ContinuationTokenRejected",
    "Forbidden",
    "NotFound",
    "OperationDeadlineExceeded",
    "PartnerCenterError",
    "ServerError",
    "ServiceUnavailable",
    "Throttled",
    "Unauthorized",
    "UpstreamHTTPError",
    "UpstreamMalformedResponse",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]
