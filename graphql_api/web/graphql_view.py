"""`/graphql`: Strawberry's ASGI view, made to follow GraphQL over HTTP to the letter.

The view runs a request through Strawberry and its hooks; each concern of the answer has a
module of its own in `web/`:
- `negotiation`: the media type from `Accept`; request errors are 400 with
  `application/graphql-response+json`, and never carry a `data` entry;
- `body_parsing`: what a POST body must be (JSON, an object, fields of the right kinds);
- `refusal`: every refusal is a JSON GraphQL error body with `extensions.code`;
- `outcome`: the verdict on a result (request errors get `GRAPHQL_PARSE_FAILED`,
  `GRAPHQL_VALIDATION_FAILED` or `BAD_USER_INPUT`) and how the request ended;
- `cache_policy`: `Cache-Control` on every answer, and `extensions.cache` for stale answers;
- `request_headers`: the correlation id (returned in `MS-CorrelationId`), locale and cache
  directives the request context takes;
- `request_log`: the log line and the metrics;
- `incremental`: `@defer` and `@stream` as `Accept` asks, multipart parts in one of two
  formats or one merged JSON answer.
GraphiQL is served to browsers only (`Accept: text/html`), from this server's own assets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from graphql import ExperimentalIncrementalExecutionResults
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as strawberry_process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from .._compat import stream_protocol
from ..auth.authentication import Authenticator
from ..auth.bearer import bearer_authorization
from ..config import Settings
from ..graphiql import GraphiQLPage
from ..observability import Spans
from ..observability.metrics import Metrics
from ..partner_center import PartnerCenterClient
from ..schema.context import RequestContext, build_request_context
from . import body_parsing, incremental
from .cache_policy import cache_control, stale_note
from .exchange import GRAPHIQL, OK, REJECTED, Exchange, exchange_of
from .incremental import MultipartAnswer
from .negotiation import GRAPHQL_RESPONSE_JSON, JSON, negotiate, response_media_type
from .outcome import outcome_of, unfinished, verdict_of
from .persisted import PersistedRequests, caller_refused, names_a_document
from .refusal import MethodNotAllowed, error_body, refusal
from .request_headers import CORRELATION_HEADER, read_request_headers
from .request_log import observe
from .shutdown import cut_by_shutdown


class _RequestAdapter(StarletteRequestAdapter):
    """Strawberry's request adapter, carrying the request's exchange to the body's parsing."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.exchange = exchange_of(request)


class GraphQLView(GraphQL[RequestContext, None]):
    """Strawberry's ASGI GraphQL endpoint with the behaviour described in this module."""

    request_adapter_class = _RequestAdapter

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
        persisted: PersistedRequests | None = None,
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
        self._persisted = persisted

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
            try:
                response, failure = await self._answer(request, exchange)
            except asyncio.CancelledError:  # the server stopping (shutdown.py)
                media_type = response_media_type(request.headers.get("accept"))
                response, failure = cut_by_shutdown(media_type, exchange.correlation_id)
            if isinstance(response, MultipartAnswer):
                # Its outcome is known once the last part is sent (or the client left).
                await response(scope, receive, send)
                exchange.verdict = response.parts.verdict()
                exchange.settle(response.parts.outcome())
                return
            exchange.settle(outcome_of(exchange, response, failure))
            if response is not None:
                await response(scope, receive, send)
            elif not isinstance(failure, ClientDisconnect):
                # The body-size middleware answers a BodyTooLarge with 413; anything else is
                # a bug outside the schema's error handling, which Starlette answers with 500.
                assert failure is not None
                raise failure
        finally:
            # No outcome: the request ended before one was settled; nobody is left to answer.
            outcome = exchange.outcome or unfinished()
            if outcome.label != GRAPHIQL:
                observe(
                    self._metrics,
                    request.method,
                    exchange,
                    outcome,
                    time.perf_counter() - started,
                )
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
            # Not an optimisation of the speed layer but of any path: the context's execution
            # refers back to the context, and its loaders' calls to their results; without
            # these two steps, everything the request built would wait for the cyclic
            # collector (about 680 objects a billing request).
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
                answer = refusal(
                    exc,
                    accept=request.headers.get("accept"),
                    correlation_id=exchange.correlation_id,
                )
            except Exception as bug:
                return None, bug
            return answer, exc
        except Exception as exc:
            return None, exc
        if exchange.graphiql_page or isinstance(response, MultipartAnswer):
            return response, None
        try:
            verdict = exchange.verdict
            negotiate(
                response,
                request.headers.get("accept"),
                request_error=verdict is not None and verdict.label == REJECTED,
            )
            response.headers["Cache-Control"] = self._cache_control(exchange)
        except Exception as bug:
            return None, bug
        return response, None

    def _cache_control(self, exchange: Exchange) -> str:
        """The answer's `Cache-Control` (cache_policy.py)."""
        context, verdict = exchange.context, exchange.verdict
        complete = verdict is not None and verdict.label == OK
        answers = None if context is None else context.answers
        return cache_control(self._settings.shared, complete, answers)

    async def _keep_apq_text(self, exchange: Exchange) -> None:
        """Keep an APQ text once it parsed and validated (its execution started)."""
        if exchange.persisted is not None and exchange.operation.executed and self._persisted:
            await self._persisted.registered(exchange.persisted)

    # -- Strawberry hooks -------------------------------------------------------------------

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        """The request context; its correlation id goes back in a header and on log lines."""
        exchange = exchange_of(request)
        authorization = bearer = request.headers.get("authorization")
        failure = identity = None
        verified = False
        if self._authenticator is None:
            # No authenticator: the caller's own bearer token goes upstream unchecked.
            authorization = bearer_authorization(bearer)
        else:
            auth = await self._authenticator().authenticate(bearer)
            authorization, failure, verified = auth.authorization, auth.failure, auth.verified
            identity = auth.identity
        headers = read_request_headers(request.headers)
        context = build_request_context(
            client=self._client(),
            settings=self._settings,
            correlation_id=headers.correlation_id,
            locale=headers.locale,
            authorization=authorization,
            auth_failure=failure,
            caller_verified=verified,
            caller_identity=identity,
            caller_bearer=bearer_authorization(bearer),
            refresh=headers.refresh,
            operation=exchange.operation,
            spans=self._spans,
            federated_trace_proof=headers.federated_trace_proof,
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
            and not names_a_document(request.query_params)
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
        """Refuse what is not a GraphQL request; a POST body is read and decoded once.

        A request by document id gets its text here (persisted.py), before any parsing.
        """
        if request.method == "GET":
            data: object = self.parse_query_params(request.query_params)
        elif request.method != "POST":
            return await super().parse_http_body(request)
        else:
            body_parsing.require_json(request.content_type)
            data = self.parse_json(await request.get_body())
        if self._persisted is not None and isinstance(data, dict):
            exchange = request.exchange if isinstance(request, _RequestAdapter) else None
            # Authentication ran already (Strawberry builds the context first).
            resolved = await self._persisted.resolve(
                data,
                request.headers,
                unauthenticated=caller_refused(None if exchange is None else exchange.context),
            )
            if exchange is not None:
                exchange.persisted = resolved
            if resolved.query is not None:
                data = {**data, "query": resolved.query}
        return body_parsing.graphql_request(data, stream_protocol(self, request.headers))

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Strawberry's execution, with a mutation over GET refused as 405 (GraphQL over HTTP).

        An incremental result (`@defer`, `@stream`) is delivered as `Accept` asks
        (incremental.py): as multipart parts, or merged into one result.
        """
        try:
            result = await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise MethodNotAllowed(exc.reason, allow="POST") from exc
            raise
        if isinstance(result, ExperimentalIncrementalExecutionResults):
            request = kwargs["request"]
            # A multipart answer is streamed without `process_result`: keep its text here.
            await self._keep_apq_text(exchange_of(request))
            return await incremental.deliver(request, result)
        return result

    async def create_streaming_response(
        self,
        request: Request | WebSocket,
        stream: Callable[[], AsyncIterator[str]],
        sub_response: Response,
        headers: Mapping[str, str],
    ) -> Response:
        """The multipart answer of an incremental result, in the format `Accept` asked for."""
        parts = exchange_of(request).incremental if isinstance(request, Request) else None
        if not isinstance(parts, incremental.Parts):
            return await super().create_streaming_response(request, stream, sub_response, headers)
        return parts.response(sub_response.headers)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Strawberry's response dict, with request errors coded and without `data`."""
        response = strawberry_process_result(result)
        exchange = exchange_of(request)
        exchange.verdict = verdict = verdict_of(result, exchange.operation)
        await self._keep_apq_text(exchange)
        if verdict.label == REJECTED:
            response.pop("data", None)
            for error, code in zip(response.get("errors") or (), verdict.error_codes, strict=True):
                if isinstance(error, dict):
                    extensions = error.setdefault("extensions", {})
                    if isinstance(extensions, dict):
                        extensions.setdefault("code", code)
        context = exchange.context
        if context is not None and "data" in response:
            note = stale_note(context.answers)
            if note is not None:
                response["extensions"] = {**(response.get("extensions") or {}), "cache": note}
        return response


__all__ = [
    "CORRELATION_HEADER",
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "GraphQLView",
    "error_body",
    "response_media_type",
]
