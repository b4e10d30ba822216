"""`TypedErrors`: the schema extension that gives every error in a result its typed code.

Strawberry's `MaskErrors` rebuilds each masked error without its `extensions`, which would
drop our codes; this one keeps typed errors as they are, types the expected exceptions that
resolvers and loaders let through (Partner Center failures, missing credentials), and masks
anything else as INTERNAL_SERVER_ERROR. Path and locations survive in every case.

Log lines carry the correlation id, the code and the upstream ids; a masked bug logs its
exception type and the line that raised it, never its message, arguments or stack.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from .errors import ErrorCode, internal_error, is_typed, known_error

logger = logging.getLogger("graphql_api.schema")


class TypedErrors(SchemaExtension):
    """Types or masks every error of an operation's result."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        correlation_id = getattr(self.execution_context.context, "correlation_id", None)
        result.errors = typed_errors(errors, correlation_id)


def typed_errors(errors: Iterable[GraphQLError], correlation_id: str | None) -> list[GraphQLError]:
    """`errors` typed or masked, and logged, as `TypedErrors` does with a result's errors.

    For the errors of the parts that follow an incremental result's first one: Strawberry's
    operation hooks have ended by then, so no extension sees them.
    """
    return [_typed(error, correlation_id) for error in errors]


def _typed(error: GraphQLError, correlation_id: str | None) -> GraphQLError:
    original = error.original_error
    if is_typed(error):
        _log_typed(error, correlation_id)
        return error
    if original is None or (isinstance(original, GraphQLError) and error.path is None):
        # graphql-core's own request errors (syntax, validation, variables): safe to show.
        return error
    known = known_error(original)
    if known is None:
        _log_bug(original, error, correlation_id)
        known = internal_error(correlation_id)
    typed = GraphQLError(
        known.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=known.extensions,
    )
    _log_typed(typed, correlation_id)
    return typed


def _log_typed(error: GraphQLError, correlation_id: str | None) -> None:
    extensions = error.extensions or {}
    code = extensions.get("code")
    if code in (ErrorCode.BAD_USER_INPUT, ErrorCode.INTERNAL_SERVER_ERROR):
        return  # the caller's mistake, or logged already as a bug
    upstream = extensions.get("partnerCenter") or {}
    logger.info(
        "%s at %s (correlation id %s, upstream status %s, MS-RequestId %s)",
        code,
        _path(error),
        correlation_id,
        upstream.get("status"),
        upstream.get("requestId"),
        extra=_tagged(correlation_id),
    )


def _log_bug(exc: BaseException, error: GraphQLError, correlation_id: str | None) -> None:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"
    logger.error(
        "unexpected %s raised at %s, resolving %s (correlation id %s)",
        type(exc).__name__,
        where,
        _path(error),
        correlation_id,
        extra=_tagged(correlation_id),
    )


def _tagged(correlation_id: str | None) -> dict[str, str]:
    """The `extra` that gives a log line the operation's `correlation_id` field."""
    return {} if correlation_id is None else {"correlation_id": correlation_id}


def _path(error: GraphQLError) -> str:
    return ".".join(str(part) for part in error.path) if error.path else "(request)"


__all__ = ["TypedErrors", "typed_errors"]
