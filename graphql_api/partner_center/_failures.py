"""Turning an upstream error response into the matching `errors.py` exception."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ._responses import RawResponse
from ._validation import is_header_value_safe
from .errors import (
    BadRequest,
    ContinuationTokenRejected,
    Forbidden,
    NotFound,
    ServerError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
)

# Partner Center documents descriptions of at most 1024 characters; hold it to that.
MAX_DESCRIPTION_LENGTH = 1024
_MAX_CODE_LENGTH = 64
_MAX_ID_LENGTH = 128
# The code Partner Center answers a seek past the end of the list with (HTTP 400).
END_OF_LIST_CODE = "2000"

_BY_STATUS: dict[int, type[UpstreamHTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: Throttled,
    502: ServiceUnavailable,
    503: ServiceUnavailable,
    504: ServiceUnavailable,
}
# On a seek, these keep their own meaning; any other 4xx means the token is no good.
_SEEK_KEEPS = frozenset({401, 403, 429})


def response_ids(
    response: RawResponse, *, sent_request_id: str, sent_correlation_id: str
) -> tuple[str, str]:
    """The (correlation id, request id) the upstream echoed, else the ones we sent."""
    headers = response.headers
    return (
        _echoed_id(headers.get("MS-CorrelationId"), sent_correlation_id),
        _echoed_id(headers.get("MS-RequestId"), sent_request_id),
    )


def _echoed_id(value: str | None, sent: str) -> str:
    # An echo of what was sent (the usual answer) is the sent value: no check to run again.
    if value == sent:
        return sent
    return value if is_header_value_safe(value, max_length=_MAX_ID_LENGTH) else sent


def error_details(body: bytes | None) -> tuple[str | None, str | None]:
    """(code, description) from either error body shape; (None, None) when there is none.

    Shapes: `{code, description, data, source}` (code a number or a string) and the
    gateway's `{statusCode, message}`. Empty, non-JSON or odd bodies give nothing.
    """
    if not body:
        return None, None
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    code = document.get("code")
    if isinstance(code, bool):
        code_text = None
    elif isinstance(code, int):
        code_text = str(code)
    elif isinstance(code, str) and code.strip():
        code_text = code.strip()[:_MAX_CODE_LENGTH]
    else:
        code_text = None
    description = document.get("description")
    if not isinstance(description, str):
        description = document.get("message")
    if not isinstance(description, str) or not description.strip():
        return code_text, None
    return code_text, description.strip()[:MAX_DESCRIPTION_LENGTH]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def is_end_of_list(response: RawResponse) -> bool:
    """True for the answer to a seek past the last page: HTTP 400 with code 2000."""
    return response.status == 400 and error_details(response.body)[0] == END_OF_LIST_CODE


def http_error(
    response: RawResponse,
    *,
    correlation_id: str,
    request_id: str,
    seek: bool = False,
) -> UpstreamHTTPError:
    """The exception for an error status; mapped by status first, the code kept as detail.

    On a seek request (`seek=True`), a 4xx other than 401, 403 and 429 becomes
    ContinuationTokenRejected: the walk must restart from the first page.
    """
    code, description = error_details(response.body)
    status = response.status
    cls: type[UpstreamHTTPError]
    if seek and 400 <= status < 500 and status not in _SEEK_KEEPS:
        cls = ContinuationTokenRejected
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = ServerError
    else:
        cls = UpstreamHTTPError
    summary = description or response.reason[:128] or "no description"
    detail = f" (code {code})" if code else ""
    return cls(
        f"Partner Center answered {status}{detail}: {summary}",
        status=status,
        code=code,
        description=description,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        correlation_id=correlation_id,
        request_id=request_id,
    )
