"""A request refused before execution, answered as a JSON GraphQL error with `extensions.code`.

Malformed JSON or a missing query is 400 `BAD_REQUEST`, a body that is not JSON 415
`UNSUPPORTED_MEDIA_TYPE`, a mutation over GET or a method other than GET/POST 405
`METHOD_NOT_ALLOWED` (with `Allow`).
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.responses import Response

from .cache_policy import NO_STORE
from .negotiation import content_type
from .request_headers import CORRELATION_HEADER

_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class CodedRefusal(HTTPException):
    """A refusal with an `extensions.code` of its own, rather than its status's."""

    def __init__(self, status: int, reason: str, code: str) -> None:
        super().__init__(status, reason)
        self.code = code


class MethodNotAllowed(HTTPException):
    """A method GraphQL over HTTP refuses here; `allow` lists what would work."""

    def __init__(self, reason: str, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


def http_error_code(status: int) -> str:
    """The `extensions.code` of a refusal with this HTTP status."""
    return _HTTP_ERROR_CODES.get(status, "BAD_REQUEST")


def refusal_code(exc: HTTPException) -> str:
    """The `extensions.code` of the refusal `exc`."""
    return exc.code if isinstance(exc, CodedRefusal) else http_error_code(exc.status_code)


def error_body(message: str, code: str) -> dict[str, Any]:
    """A GraphQL response made of one error (no `data`: the operation never ran)."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def refusal(exc: HTTPException, *, accept: str | None, correlation_id: str | None) -> Response:
    """The answer to a request refused with `exc`."""
    headers = {"Cache-Control": NO_STORE}
    if correlation_id:
        headers[CORRELATION_HEADER] = correlation_id
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = exc.allow
    elif exc.status_code == 405:
        headers["Allow"] = "GET, POST"
    elif exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(
        orjson.dumps(error_body(exc.reason, refusal_code(exc))),
        status_code=exc.status_code,
        headers=headers,
        media_type=content_type(accept),
    )


__all__ = [
    "CodedRefusal",
    "MethodNotAllowed",
    "error_body",
    "http_error_code",
    "refusal",
    "refusal_code",
]
