"""Partner Center response bodies: JSON rendering (with the optional BOM) and both error shapes.

Two error shapes exist upstream, and the emulator serves both:

* PartnerFD (the Partner Center front door): `{"code": <number>, "description": ...,
  "data": [], "source": "PartnerFD"}`; `code` is a JSON number in practice.
* the API gateway in front of it: `{"statusCode": <status>, "message": ...}`, used for
  throttling (429), unknown routes (404) and some 5xx.

PartnerFD bodies get the byte-order mark when the emulator is configured to send one;
gateway bodies never do, since another layer writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
BOM = "\ufeff".encode()

# Documented codes (partner-center-api.md, "Error codes relevant to customers").
ACCESS_DENIED = 400  # 401 Access denied
TOKEN_MISSING = 800001  # 401 Partner token missing in request context
NO_RELATIONSHIP = 20002  # 403
APP_ONLY_NOT_SUPPORTED = 900329  # 403
NOT_FOUND = 1000  # 404
TENANT_NOT_FOUND = 60003  # 404
INVALID_INPUT = 800002  # 400
INVALID_CUSTOMER_ID = 900118  # 400
UNPARSABLE_ENUM = 900126  # 400
END_OF_LIST = 2000  # 400 on a seek request past the end (observed by Microsoft's NCE tool)
UNEXPECTED = 800003  # 500
NOT_DEFINED = 0  # 501


class RequestRejected(Exception):
    """A request failed validation; carries the PartnerFD error to answer with."""

    def __init__(self, status: int, code: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description


def json_bytes(payload: Any, *, bom: bool) -> bytes:
    """Serialise as UTF-8 JSON (non-ASCII kept raw), optionally after a byte-order mark."""
    # orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, in a
    # fraction of the time; encoding is a large share of the emulator's CPU for a list page,
    # and benchmarks share the machine with the emulator.
    body = orjson.dumps(payload)
    return BOM + body if bom else body


def json_response(
    status: int, payload: Any, *, bom: bool, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with Partner Center's content type."""
    return Response(
        json_bytes(payload, bom=bom), status_code=status, headers=headers, media_type=JSON_TYPE
    )


def partner_fd(
    status: int,
    code: int,
    description: str,
    *,
    bom: bool,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error in the PartnerFD shape."""
    body = {"code": code, "description": description, "data": [], "source": "PartnerFD"}
    return json_response(status, body, bom=bom, headers=headers)


def gateway(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> Response:
    """An error in the gateway shape (never with a BOM)."""
    return json_response(status, {"statusCode": status, "message": message}, bom=False,
                         headers=headers)


def throttled(retry_after: int) -> Response:
    """The gateway's 429, with `Retry-After` in seconds."""
    return gateway(
        429,
        f"Rate limit is exceeded. Try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
    )


def rejected(error: RequestRejected, *, bom: bool) -> Response:
    """Answer a validation failure."""
    return partner_fd(error.status, error.code, error.description, bom=bom)


__all__ = [
    "BOM",
    "JSON_TYPE",
    "RequestRejected",
    "gateway",
    "json_bytes",
    "json_response",
    "partner_fd",
    "rejected",
    "throttled",
]
