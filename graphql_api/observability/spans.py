"""The spans this service makes: one per GraphQL operation, per loader batch, per upstream call.

    caller's span (the router's subgraph fetch, from `traceparent`)
     └── operation    SERVER  `query CustomersPage`: name, type, outcome, error codes, status
          ├── batch   INTERNAL `batch billing_profile`: loader name and number of keys
          │    └── GET /v1/customers/{id}/profiles/billing    CLIENT, one per attempt
          └── GET /v1/customers    CLIENT (a list page: shared, not batched)

The operation span continues the caller's W3C `traceparent`/`tracestate`, and every upstream
attempt sends a `traceparent` naming its own span, so Partner Center's side (or the emulator's
request log) joins the same trace. Attributes hold route templates, names, counts, codes and
ids this service made up (the correlation id): never a token, a header value, a customer id,
a search value or anything Partner Center answered about a customer.

The view hands the `Spans` to the operation's context, from which its loaders and its
upstream calls (`CallContext.tracer`) get it; with tracing off they are handed None and each
hook costs one test.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ..partner_center import AttemptTrace, CallTracer
from .metrics import upstream_route

K = TypeVar("K")
V = TypeVar("V")

_PROPAGATOR = TraceContextTextMapPropagator()
# Operation names come from the caller's document: only a GraphQL name of sane length is kept.
_OPERATION_NAME = re.compile(r"\A[_A-Za-z][_0-9A-Za-z]{0,99}\Z")
# Outcomes (observe/graphql_view's labels) that mean the operation failed on our side.
_FAILED_OUTCOMES = frozenset({"failed"})


class _Attempt:
    """One upstream attempt's span, and the `traceparent` that names it."""

    __slots__ = ("_span", "headers")

    def __init__(self, span: Span) -> None:
        self._span = span
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
        self.headers: Sequence[tuple[str, str]] = tuple(carrier.items())

    def end(self, status: int | None, failure: BaseException | None) -> None:
        span = self._span
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if failure is not None or (status is not None and status >= 400):
            # A status class or an exception's type: what the semantic conventions ask for,
            # and never the exception's message (it may quote Partner Center's answer).
            error_type = str(status) if status is not None else type(failure).__name__
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR))
        span.end()


class _Batch:
    """A loader batch's span, ended when its last call is done."""

    __slots__ = ("_closed", "_keys", "_pending", "_span")

    def __init__(self, span: Span) -> None:
        self._span = span
        self._keys = 0
        self._pending = 0
        self._closed = False

    def hold(self, call: asyncio.Future[Any]) -> None:
        """Count `call` in this batch; the span lasts until it is done."""
        self._keys += 1
        self._pending += 1
        call.add_done_callback(self._done)

    def _done(self, _: object) -> None:
        self._pending -= 1
        if self._closed and self._pending == 0:
            self._span.end()

    def close(self) -> None:
        self._span.set_attribute("graphql_api.batch.keys", self._keys)
        self._closed = True
        if self._pending == 0:
            self._span.end()


class _NoBatch:
    """What `started_batch` yields with tracing off."""

    __slots__ = ()

    def hold(self, call: asyncio.Future[Any]) -> None:
        """Nothing to count."""


_NO_BATCH = _NoBatch()


class Spans(CallTracer):
    """The spans of this service, made by one OpenTelemetry tracer."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def operation(self, headers: Mapping[str, str]) -> OperationSpan:
        """Start the span of one GraphQL HTTP request, continuing the caller's trace context."""
        return OperationSpan(self._tracer, headers)

    def attempt(self, path: str, number: int, retry_wait: float) -> AttemptTrace:
        """A span for one upstream attempt, child of the current batch or operation."""
        route = upstream_route(path.split("?", 1)[0])
        attributes: dict[str, str | int | float] = {
            "http.request.method": "GET",
            "url.template": route,
            "partner_center.attempt": number,
            "partner_center.retry_wait_seconds": round(retry_wait, 3),
        }
        if number > 1:
            attributes["http.request.resend_count"] = number - 1
        span = self._tracer.start_span(f"GET {route}", kind=SpanKind.CLIENT, attributes=attributes)
        return _Attempt(span)

    @contextmanager
    def batch(self, loader: str, keys: int) -> Iterator[None]:
        """The span of one batch of `keys` keys of `loader`, current while the block runs."""
        with self._tracer.start_as_current_span(
            f"batch {loader}",
            attributes={"graphql_api.loader": loader, "graphql_api.batch.keys": keys},
        ):
            yield

    @contextmanager
    def started(self, loader: str) -> Iterator[_Batch]:
        """A batch of calls started in the block (and `hold`-ed) but awaited elsewhere."""
        span = self._tracer.start_span(
            f"batch {loader}",
            attributes={"graphql_api.loader": loader, "graphql_api.batch.started_early": True},
        )
        batch = _Batch(span)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield batch
        finally:
            otel_context.detach(token)
            batch.close()


class OperationSpan:
    """The span of one GraphQL HTTP request, OpenTelemetry's current span until `end`."""

    __slots__ = ("_context_token", "_span")

    def __init__(self, tracer: Tracer, headers: Mapping[str, str]) -> None:
        parent = _PROPAGATOR.extract(headers)
        self._span = tracer.start_span(
            "GraphQL request",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.route": "/graphql"},
        )
        self._context_token = otel_context.attach(trace.set_span_in_context(self._span, parent))

    def end(
        self,
        *,
        operation_name: str | None,
        operation_type: str | None,
        outcome: str,
        status: int,
        error_codes: Sequence[str],
        method: str,
        correlation_id: str | None,
    ) -> None:
        """Name the span after the operation, record how it ended, and leave its context."""
        span = self._span
        try:
            name = operation_name
            if name is not None and _OPERATION_NAME.match(name) is None:
                name = None
            kind = operation_type
            if kind is not None:
                span.update_name(f"{kind} {name}" if name else kind)
                span.set_attribute("graphql.operation.type", kind)
            if name is not None:
                span.set_attribute("graphql.operation.name", name)
            span.set_attributes(
                {
                    "http.request.method": method,
                    "http.response.status_code": status,
                    "graphql_api.outcome": outcome,
                    "graphql_api.error_codes": sorted(set(error_codes)),
                }
            )
            if correlation_id is not None:
                span.set_attribute("graphql_api.correlation_id", correlation_id)
            if outcome in _FAILED_OUTCOMES or status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        finally:
            otel_context.detach(self._context_token)


def traced_batch(
    spans: Spans | None, loader: str, load: Callable[[list[K]], Coroutine[Any, Any, list[V]]]
) -> Callable[[list[K]], Coroutine[Any, Any, list[V]]]:
    """`load`, run inside a batch span of `loader` when the operation is traced (`spans`).

    Decided when the loader is made: untraced, `load` itself.
    """
    if spans is None:
        return load

    async def batch(keys: list[K]) -> list[V]:
        with spans.batch(loader, len(keys)):
            return await load(keys)

    return batch


@contextmanager
def started_batch(spans: Spans | None, loader: str) -> Iterator[_Batch | _NoBatch]:
    """A batch span for calls started in the block and `hold`-ed; nothing when untraced."""
    if spans is None:
        yield _NO_BATCH
        return
    with spans.started(loader) as batch:
        yield batch


__all__ = [
    "OperationSpan",
    "Spans",
    "started_batch",
    "traced_batch",
]
