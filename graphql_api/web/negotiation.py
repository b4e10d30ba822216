"""The media type an answer goes out as, negotiated from `Accept` (GraphQL over HTTP).

With `application/graphql-response+json`, a request error (parse, validation, variable
coercion) is HTTP 400; with `application/json` it is 200, as the specification asks.
"""

from __future__ import annotations

import functools

from starlette.responses import Response
from strawberry.http.parse_content_type import parse_content_type

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# Header texts seen per process: a client sends the same `Accept` and `Content-Type` on every
# request, and parsing one (through the email package) costs more than a cached answer. Only
# texts of a usual length are kept, so that the caches hold kilobytes whatever callers send.
MEDIA_TYPE_CACHE = 256
CACHED_HEADER_LENGTH = 256


def response_media_type(accept: str | None) -> str:
    """The GraphQL over HTTP media type to answer with, negotiated from `Accept` (see
    `_negotiated`)."""
    if accept is not None and len(accept) > CACHED_HEADER_LENGTH:
        return _negotiated.__wrapped__(accept)
    return _negotiated(accept)


@functools.lru_cache(maxsize=MEDIA_TYPE_CACHE)
def _negotiated(accept: str | None) -> str:
    """The GraphQL over HTTP media type to answer with, negotiated from `Accept`.

    `application/graphql-response+json` when the caller names it at least as strongly as
    `application/json`; otherwise (no `Accept`, `*/*`, or nothing we serve) `application/json`.
    """
    qualities: dict[str, float] = {}
    for item in (accept or "").split(","):
        if not item.strip():
            continue
        media, params = parse_content_type(item.strip())
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        media = media.lower()
        qualities[media] = max(qualities.get(media, 0.0), quality)
    wanted = qualities.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if wanted > 0 and wanted >= qualities.get(JSON, 0.0):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def content_type(accept: str | None) -> str:
    """The `Content-Type` of an answer to a request with this `Accept`."""
    return f"{response_media_type(accept)}; charset=utf-8"


def negotiate(response: Response, accept: str | None, *, request_error: bool) -> None:
    """Set the negotiated media type; a request error is 400 with graphql-response+json."""
    media_type = response_media_type(accept)
    response.headers["content-type"] = f"{media_type}; charset=utf-8"
    if media_type == GRAPHQL_RESPONSE_JSON and request_error:
        response.status_code = 400


__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "MEDIA_TYPE_CACHE",
    "content_type",
    "negotiate",
    "response_media_type",
]
