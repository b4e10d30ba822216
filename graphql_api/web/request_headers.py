"""The caller's headers read into the plain values a request context takes.

The schema sees no HTTP: the correlation id, the locale and the cache directives are read
here, from `MS-CorrelationId` (or `X-Correlation-Id`), `Accept-Language`, `Cache-Control`
and `Pragma`; credentials are read by `auth/`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..partner_center import is_guid

# Sent back on every answer; the first of the names a caller's own id is read from.
CORRELATION_HEADER = "MS-CorrelationId"
CORRELATION_HEADERS = (CORRELATION_HEADER, "X-Correlation-Id")
_CORRELATION_KEYS = tuple(name.lower() for name in CORRELATION_HEADERS)
# A BCP 47 tag, loosely: letters, then dash-separated alphanumeric subtags.
_LANGUAGE_TAG = re.compile(r"\A[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_MAX_LOCALE_LENGTH = 35
# Apollo's ask for a federated trace, and the header that proves the asker is trusted.
FTV1_ASK_HEADER = "apollo-federation-include-trace"
FTV1_ASK_VALUE = "ftv1"
FTV1_SECRET_HEADER = "FTV1-Secret"  # noqa: S105 - a header name, not a credential


@dataclass(frozen=True, slots=True)
class RequestHeaders:
    """What the schema may know of a request's headers."""

    correlation_id: str
    locale: str | None
    # The caller asked for fresh data rather than cached answers.
    refresh: bool
    # What a router that wants a federated trace (ftv1) offered as proof of trust: the
    # `FTV1-Secret` value, read only when `apollo-federation-include-trace: ftv1` is sent.
    federated_trace_proof: str | None = field(default=None, repr=False)


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


def wants_refresh(cache_control: str | None, pragma: str | None = None) -> bool:
    """True when the request says `Cache-Control: no-cache` (or HTTP/1.0's `Pragma`)."""
    directives = {d.strip().split("=", 1)[0].lower() for d in (cache_control or "").split(",")}
    return "no-cache" in directives or "no-store" in directives or (
        (pragma or "").strip().lower() == "no-cache"
    )


def federated_trace_proof(headers: Mapping[str, str]) -> str | None:
    """The `FTV1-Secret` a request offers with its ask for an ftv1 trace; None without both."""
    if headers.get(FTV1_ASK_HEADER, "").strip().lower() != FTV1_ASK_VALUE:
        return None
    return headers.get(FTV1_SECRET_HEADER.lower())


def read_request_headers(headers: Mapping[str, str]) -> RequestHeaders:
    """The values the context takes, from `headers` (names in lower case, or Starlette's)."""
    return RequestHeaders(
        correlation_id=correlation_id_from([headers.get(name) for name in _CORRELATION_KEYS]),
        locale=locale_from(headers.get("accept-language")),
        refresh=wants_refresh(headers.get("cache-control"), headers.get("pragma")),
        federated_trace_proof=federated_trace_proof(headers),
    )


__all__ = [
    "CORRELATION_HEADER",
    "CORRELATION_HEADERS",
    "RequestHeaders",
    "correlation_id_from",
    "federated_trace_proof",
    "locale_from",
    "read_request_headers",
    "wants_refresh",
]
