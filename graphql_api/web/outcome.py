"""How a GraphQL request ended: the verdict on its result and the outcome the view settles.

The one place a request's label (ok, partial, failed, rejected, disconnected, graphiql), its
HTTP status and its error codes are decided; the log line, the metrics and the trace span
read what is decided here.
"""

from __future__ import annotations

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from strawberry.types import ExecutionResult

from ..schema.operation_record import OperationRecord
from .body_limit import CODE as BODY_TOO_LARGE_CODE
from .body_limit import BodyTooLarge
from .exchange import (
    DISCONNECTED,
    FAILED,
    GRAPHIQL,
    OK,
    PARTIAL,
    REJECTED,
    Exchange,
    Outcome,
    Verdict,
)
from .refusal import refusal_code
from .shutdown import CODE as SHUTDOWN_CODE
from .shutdown import STATUS as SHUTDOWN_STATUS
from .shutdown import ServerStopping

# Logged and counted for a client that closed its connection before its request was read
# (nginx's convention; never sent, as nobody is left to receive it).
CLIENT_CLOSED_STATUS = 499


def _is_request_error(result: ExecutionResult) -> bool:
    """No data and no error with a path: the operation never ran (GraphQL spec's request error)."""
    return result.data is None and all(error.path is None for error in result.errors or ())


def _request_error_code(record: OperationRecord) -> str:
    if not record.parsed:
        return "GRAPHQL_PARSE_FAILED"
    if not record.executed:
        return "GRAPHQL_VALIDATION_FAILED"
    return "BAD_USER_INPUT"


def _code_of(error: GraphQLError, default: str) -> str:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else default


def verdict_of(result: ExecutionResult, record: OperationRecord) -> Verdict:
    """What `result` came to, and each of its errors' code (a request error's, when it has none)."""
    errors = result.errors or ()
    if errors and _is_request_error(result):
        code = _request_error_code(record)
        return Verdict(REJECTED, tuple(_code_of(error, code) for error in errors))
    codes = tuple(_code_of(error, "UNKNOWN") for error in errors)
    if not errors:
        return Verdict(OK, codes)
    return Verdict(FAILED if result.data is None else PARTIAL, codes)


def outcome_of(exchange: Exchange, response: Response | None, failure: Exception | None) -> Outcome:
    """How the request ended, from what the view has to send (or why it has nothing)."""
    if isinstance(failure, HTTPException):
        return Outcome(REJECTED, failure.status_code, (refusal_code(failure),))
    if isinstance(failure, BodyTooLarge):
        return Outcome(REJECTED, 413, (BODY_TOO_LARGE_CODE,))
    if isinstance(failure, ServerStopping):
        return Outcome(FAILED, SHUTDOWN_STATUS, (SHUTDOWN_CODE,))
    if isinstance(failure, ClientDisconnect):
        # Gone mid-body: nobody to answer, and no fault of ours.
        return Outcome(DISCONNECTED, CLIENT_CLOSED_STATUS)
    if failure is not None or response is None:
        return Outcome(FAILED, 500, ("INTERNAL_SERVER_ERROR",))
    if exchange.graphiql_page:
        return Outcome(GRAPHIQL, response.status_code)
    verdict = exchange.verdict
    if verdict is None:  # a response Strawberry made without running a document
        return Outcome(REJECTED, response.status_code)
    return Outcome(verdict.label, response.status_code, verdict.error_codes)


def unfinished() -> Outcome:
    """The outcome of a request that never settled one: cancelled while its answer was being
    sent, nobody left to answer."""
    return Outcome(DISCONNECTED, CLIENT_CLOSED_STATUS)


__all__ = ["CLIENT_CLOSED_STATUS", "outcome_of", "unfinished", "verdict_of"]
