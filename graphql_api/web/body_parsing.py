"""A POST body read as a GraphQL request: JSON only, an object, with fields of the right kinds.

Anything else is refused before execution (`HTTPException`): a body that is not
`application/json` is 415, one that is not a JSON object or has a `query`, `variables` or
`extensions` of the wrong kind is 400.
"""

from __future__ import annotations

import functools

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.parse_content_type import parse_content_type

from .negotiation import CACHED_HEADER_LENGTH, JSON, MEDIA_TYPE_CACHE

_BAD_FIELD = "The GraphQL operation's `{}` must be {} or null, if provided."


def body_media_type(content_type: str | None) -> str:
    """The lower-cased media type of a `Content-Type` header, without its parameters."""
    if content_type is not None and len(content_type) > CACHED_HEADER_LENGTH:
        return _body_media_type.__wrapped__(content_type)
    return _body_media_type(content_type)


@functools.lru_cache(maxsize=MEDIA_TYPE_CACHE)
def _body_media_type(content_type: str | None) -> str:
    media, _ = parse_content_type(content_type or "")
    return media.lower()


def require_json(content_type: str | None) -> None:
    """Refuse (415) a POST body that is not `application/json`."""
    if body_media_type(content_type) != JSON:
        raise HTTPException(415, "POST bodies must be application/json GraphQL requests")


def graphql_request(data: object, protocol: GraphQLRequestProtocol) -> GraphQLRequestData:
    """The GraphQL request a decoded JSON body holds; the checks Strawberry makes of one."""
    if not isinstance(data, dict):
        raise HTTPException(400, "The request body must be a JSON object")
    query = data.get("query")
    variables = data.get("variables")
    extensions = data.get("extensions")
    if not isinstance(query, str | None):
        raise HTTPException(400, _BAD_FIELD.format("query", "a string"))
    if not isinstance(variables, dict | None):
        raise HTTPException(400, _BAD_FIELD.format("variables", "an object"))
    if not isinstance(extensions, dict | None):
        raise HTTPException(400, _BAD_FIELD.format("extensions", "an object"))
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=extensions,
        protocol=protocol,
    )


__all__ = ["body_media_type", "graphql_request", "require_json"]
