"""`/graphql`: Strawberry's ASGI view, made to follow GraphQL over HTTP to the letter.

What this adds to `strawberry.asgi.GraphQL`:
- the response media type follows the `Accept` header (`application/graphql-response+json` or
  `application/json`); with the former, request errors (parse, validation, variable coercion)
  are HTTP 400, and request errors never carry a `data` entry;
- every refusal is a JSON GraphQL error body with `extensions.code`: malformed JSON or a missing
  query 400 `BAD_REQUEST`, a body that is not JSON 415 `UNSUPPORTED_MEDIA_TYPE`, a mutation over
  GET or a method other than GET/POST 405 `METHOD_NOT_ALLOWED` (with `Allow`);
- request errors get a code too: `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED` (the
  depth, token and alias limits land here), `BAD_USER_INPUT` for variables;
- GraphiQL for browsers only (`Accept: text/html`), from this server's own assets;
- the per-request context from `build_request_context`, whose correlation id is returned in
  the `MS-CorrelationId` header, tags the log lines, and is logged with the outcome and metrics;
- `Cache-Control` on every answer: `private, max-age=N` for a complete answer (it depends on
  the caller's credentials; N is what is left of the freshness of the oldest upstream answer
  it used), `no-store` for errors and partial answers; and `extensions.cache` when stale
  upstream answers were served because the partner's call budget was spent.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as strawberry_process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from ..auth.authentication import Authenticator
from ..config import Settings
from ..graphiql import GraphiQLPage
from ..observability import Spans
from ..observability.metrics import Metrics
from ..partner_center import PartnerCenterClient
from ..schema.context import RequestContext, build_request_context
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
    exchange_of,
)

logger = logging.getLogger("graphql_api.http")

CORRELATION_HEADER = "MS-CorrelationId"
NO_STORE = "no-store"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

_HTTP_ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


_BAD_FIELD = "The GraphQL operation's `{}` must be {} or null, if provided."


class _MethodNotAllowed(HTTPException):
    """A method GraphQL over HTTP refuses here; `allow` lists what would work."""

    def __init__(self, reason: str, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


# Logged and counted for a client that closed its connection before its request was read
# (nginx's convention; never sent, as nobody is left to receive it).
CLIENT_CLOSED_STATUS = 499


# Header texts seen per process: a client sends the same `Accept` and `Content-Type` on every
# request, and parsing one (through the email package) costs more than a cached answer.
_MEDIA_TYPE_CACHE = 256


@functools.lru_cache(maxsize=_MEDIA_TYPE_CACHE)
def response_media_type(accept: str | None) -> str:
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


@functools.lru_cache(maxsize=_MEDIA_TYPE_CACHE)
def body_media_type(content_type: str | None) -> str:
    """The lower-cased media type of a `Content-Type` header, without its parameters."""
    media, _ = parse_content_type(content_type or "")
    return media.lower()


def _http_error_code(status: int) -> str:
    return _HTTP_ERROR_CODES.get(status, "BAD_REQUEST")


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


def _verdict(result: ExecutionResult, record: OperationRecord) -> Verdict:
    """What `result` came to, and each of its errors' code (a request error's, when it has none)."""
    errors = result.errors or ()
    if errors and _is_request_error(result):
        code = _request_error_code(record)
        return Verdict(REJECTED, tuple(_code_of(error, code) for error in errors))
    codes = tuple(_code_of(error, "UNKNOWN") for error in errors)
    if not errors:
        return Verdict(OK, codes)
    return Verdict(FAILED if result.data is None else PARTIAL, codes)


def _outcome(exchange: Exchange, response: Response | None, failure: Exception | None) -> Outcome:
    """How the request ended: the one place its outcome is decided."""
    if isinstance(failure, HTTPException):
        return Outcome(REJECTED, failure.status_code, (_http_error_code(failure.status_code),))
    if isinstance(failure, BodyTooLarge):
        return Outcome(REJECTED, 413, (BODY_TOO_LARGE_CODE,))
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


def error_body(message: str, code: str) -> dict[str, Any]:
    """A GraphQL response made of one error (no `data`: the operation never ran)."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class GraphQLView(GraphQL[RequestContext, None]):
    """Strawberry's ASGI GraphQL endpoint with the behaviour described in this module."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        settings: Settings,
        client: Callable[[], PartnerCenterClient],
        metrics: Metrics,
        graphiql: GraphiQLPage | None,
        authenticator: Callable[[], Authenticator] | None = None,
        spans: Spans | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql is not None else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self._settings = settings
        self._client = client
        self._authenticator = authenticator
        self._metrics = metrics
        self._graphiql = graphiql
        self._spans = spans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request: run it, fit the response to `Accept`, log and count it."""
        if scope["type"] != "http":  # no subscriptions here
            return
        request = Request(scope, receive)
        started = time.perf_counter()
        exchange = Exchange()
        request.state.exchange = exchange
        span = None if self._spans is None else self._spans.operation(request.headers)
        try:
            response, failure = await self._answer(request, exchange)
            exchange.settle(_outcome(exchange, response, failure))
            if response is not None:
                await response(scope, receive, send)
            elif not isinstance(failure, ClientDisconnect):
                # The body-size middleware answers a BodyTooLarge with 413; anything else is
                # a bug outside the schema's error handling, which Starlette answers with 500.
                assert failure is not None
                raise failure
        finally:
            # No outcome: the task was cancelled (the server stopping), nobody is left to answer.
            outcome = exchange.outcome or Outcome(DISCONNECTED, CLIENT_CLOSED_STATUS)
            if outcome.label != GRAPHIQL:
                self._observe(request, exchange, outcome, time.perf_counter() - started)
            if span is not None:
                span.end(
                    operation_name=exchange.operation.name,
                    operation_type=exchange.operation.operation_type,
                    outcome=outcome.label,
                    status=outcome.status,
                    error_codes=outcome.error_codes,
                    method=request.method,
                    correlation_id=exchange.correlation_id,
                )
            # The request refers to its exchange, which refers to the context, which refers
            # to the request: without these two steps, everything the request built (its
            # loaders' calls, its result) would wait for the cyclic collector.
            if exchange.context is not None:
                exchange.context.release()
            del request.state.exchange

    async def _answer(
        self, request: Request, exchange: Exchange
    ) -> tuple[Response | None, Exception | None]:
        """`(response, None)` to send; `(None, failure)` when nothing can be sent from here.

        The failures: the client gone mid-body, a body too large (the body-size middleware
        answers 413), or a bug, in the schema's surroundings or in shaping the answer
        (Starlette answers 500). A refusal (`HTTPException`) is `(its error body, itself)`.
        """
        try:
            response = await self.run(request)
        except HTTPException as exc:
            try:
                return self._refusal(request, exc), exc
            except Exception as bug:
                return None, bug
        except Exception as exc:
            return None, exc
        if exchange.graphiql_page:
            return response, None
        try:
            self._negotiate(request, response, exchange)
            response.headers["Cache-Control"] = self._cache_control(exchange)
        except Exception as bug:
            return None, bug
        return response, None

    # -- Strawberry hooks -------------------------------------------------------------------

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        """The request context; its correlation id goes back in a header and on log lines."""
        exchange = exchange_of(request)
        authorization = failure = identity = None
        verified = False
        if self._authenticator is not None:
            auth = await self._authenticator().authenticate(request.headers.get("authorization"))
            authorization, failure, verified = auth.authorization, auth.failure, auth.verified
            identity = auth.identity
        context = build_request_context(
            request,
            client=self._client(),
            settings=self._settings,
            authorization=authorization,
            auth_failure=failure,
            caller_verified=verified,
            caller_identity=identity,
            operation=exchange.operation,
            spans=self._spans,
        )
        exchange.context = context
        response.headers[CORRELATION_HEADER] = context.correlation_id
        return context

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """GraphiQL only for browsers: a GET without a query that accepts HTML."""
        return (
            self._graphiql is not None
            and request.method == "GET"
            and request.query_params.get("query") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own offline GraphiQL page."""
        assert self._graphiql is not None
        exchange_of(request).graphiql_page = True
        return self._graphiql.render()

    def encode_json(self, data: object) -> bytes:
        """Responses as compact UTF-8 JSON, by orjson (several times faster than json.dumps)."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """Request bodies by orjson: a body that is not UTF-8 or nests too deep is a 400 too.

        orjson raises its `JSONDecodeError` (a `json.JSONDecodeError`, which Strawberry turns
        into a 400) for invalid UTF-8 and for nesting past its limit alike.
        """
        return orjson.loads(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Refuse what is not a GraphQL request; a POST body is read and decoded once."""
        if request.method != "POST":
            return await super().parse_http_body(request)
        if body_media_type(request.content_type) != JSON:
            raise HTTPException(415, "POST bodies must be application/json GraphQL requests")
        data = self.parse_json(await request.get_body())
        if not isinstance(data, dict):
            raise HTTPException(400, "The request body must be a JSON object")
        # The checks Strawberry makes of a JSON body, on the one decoded here.
        query = data.get("query")
        variables = data.get("variables")
        extensions = data.get("extensions")
        if not isinstance(query, str | None):
            raise HTTPException(400, _BAD_FIELD.format("query", "a string"))
        if not isinstance(variables, dict | None):
            raise HTTPException(400, _BAD_FIELD.format("variables", "an object"))
        if not isinstance(extensions, dict | None):
            raise HTTPException(400, _BAD_FIELD.format("extensions", "an object"))
        transport = self._get_stream_transport_from_headers(request.headers)
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
            protocol=transport.protocol if transport else "http",
        )

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry's execution, with a mutation over GET refused as 405 (GraphQL over HTTP)."""
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise _MethodNotAllowed(exc.reason, allow="POST") from exc
            raise

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Strawberry's response dict, with request errors coded and without `data`."""
        response = strawberry_process_result(result)
        exchange = exchange_of(request)
        exchange.verdict = verdict = _verdict(result, exchange.operation)
        if verdict.label == REJECTED:
            response.pop("data", None)
            for error, code in zip(response.get("errors") or (), verdict.error_codes, strict=True):
                if isinstance(error, dict):
                    extensions = error.setdefault("extensions", {})
                    if isinstance(extensions, dict):
                        extensions.setdefault("code", code)
        context = exchange.context
        if context is not None and context.answers.stale and "data" in response:
            # The caller should know the data may be behind Partner Center, and by how much.
            response["extensions"] = {
                **(response.get("extensions") or {}),
                "cache": {
                    "stale": True,
                    "staleAnswers": context.answers.stale,
                    "ageSeconds": math.ceil(context.answers.oldest_age),
                },
            }
        return response

    # -- helpers ----------------------------------------------------------------------------

    def _cache_control(self, exchange: Exchange) -> str:
        """The answer's `Cache-Control` (see the module docstring)."""
        context, verdict = exchange.context, exchange.verdict
        if verdict is None or verdict.label != OK or context is None:
            return NO_STORE
        budget = self._settings.budget
        report = context.answers
        if not budget.cache_enabled or report.stale:
            return "private, max-age=0"
        left = max(0, math.floor(budget.cache_ttl - report.oldest_age))
        return f"private, max-age={left}"

    @staticmethod
    def _negotiate(request: Request, response: Response, exchange: Exchange) -> None:
        """Set the negotiated media type; request errors are 400 with graphql-response+json."""
        media_type = response_media_type(request.headers.get("accept"))
        response.headers["content-type"] = f"{media_type}; charset=utf-8"
        rejected = exchange.verdict is not None and exchange.verdict.label == REJECTED
        if media_type == GRAPHQL_RESPONSE_JSON and rejected:
            response.status_code = 400

    def _refusal(self, request: Request, exc: HTTPException) -> Response:
        """A JSON GraphQL error body for a request refused before execution."""
        code = _http_error_code(exc.status_code)
        headers = {"Cache-Control": NO_STORE}
        cid = exchange_of(request).correlation_id
        if cid:
            headers[CORRELATION_HEADER] = cid
        if isinstance(exc, _MethodNotAllowed):
            headers["Allow"] = exc.allow
        elif exc.status_code == 405:
            headers["Allow"] = "GET, POST"
        media_type = response_media_type(request.headers.get("accept"))
        return Response(
            self.encode_json(error_body(exc.reason, code)),
            status_code=exc.status_code,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8",
        )

    def _observe(
        self, request: Request, exchange: Exchange, outcome: Outcome, seconds: float
    ) -> None:
        """One log line and the metrics for a GraphQL request."""
        operation = exchange.operation
        # Anyone may send a name with a made-up token; only a caller someone vouched for may
        # give an operation name a metric series of its own.
        proven = exchange.context is not None and exchange.context.caller_proven
        self._metrics.observe_request(
            operation.name, outcome.label, seconds, list(outcome.error_codes), caller_proven=proven
        )
        line: dict[str, object] = {
            "method": request.method,
            "operation": (operation.name or "")[:100] or None,
            "outcome": outcome.label,
            "status": outcome.status,
            "duration_ms": round(seconds * 1000, 2),
            "error_codes": sorted(set(outcome.error_codes)),
        }
        if exchange.correlation_id is not None:
            line["correlation_id"] = exchange.correlation_id
        logger.info("graphql request", extra=line)


__all__ = [
    "CORRELATION_HEADER",
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "GraphQLView",
    "error_body",
    "response_media_type",
]
