"""CORS for browser frontends on other origins: which origins, methods and request headers.

The request headers a browser may send cross-origin are the ones this service reads, plus the
ones common browser clients add on their own: W3C trace context (`traceparent`, `tracestate`,
from browser OpenTelemetry; the service continues that trace to Partner Center) and Apollo
Client's `apollographql-client-name` / `-version` (its `clientAwareness`). A header outside the
list fails the browser's preflight, so the whole request fails: `CORS_ALLOW_HEADERS` adds more.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from ..config import ServerSettings
from .request_headers import CORRELATION_HEADER

DEFAULT_ALLOW_HEADERS: tuple[str, ...] = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "MS-CorrelationId",
    "X-Correlation-Id",
    # A page may ask for fresh data (`no-cache`).
    "Cache-Control",
    "traceparent",
    "tracestate",
    "apollographql-client-name",
    "apollographql-client-version",
)


def allowed_headers(server: ServerSettings) -> list[str]:
    """The default request headers, then the configured ones not already among them."""
    headers = list(DEFAULT_ALLOW_HEADERS)
    known = {header.lower() for header in headers}
    for header in server.cors_allow_headers:
        if header.lower() not in known:
            known.add(header.lower())
            headers.append(header)
    return headers


def cors_middleware(server: ServerSettings) -> Middleware | None:
    """Starlette's CORS middleware for the configured origins; None when there are none."""
    if not server.cors_origins:
        return None
    return Middleware(
        CORSMiddleware,
        allow_origins=list(server.cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=allowed_headers(server),
        expose_headers=[CORRELATION_HEADER],
        # Bearer tokens travel in a header, never in cookies: no credentials mode.
        allow_credentials=False,
        max_age=600,
    )


__all__ = ["DEFAULT_ALLOW_HEADERS", "allowed_headers", "cors_middleware"]
