"""`Exchange`: one GraphQL HTTP request as the view sees it, created once and read where needed.

The view makes it when a request arrives and keeps it as the request's one piece of state
(`request.state.exchange`). Strawberry's hooks fill it in (the context, the GraphiQL page,
the result's verdict), the view settles its `Outcome` once, when the answer is ready or the
request failed, and the log line, the metrics and the trace span read that outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from starlette.requests import Request

from ..schema.context import RequestContext
from ..schema.operation_record import OperationRecord

if TYPE_CHECKING:
    from .persisted import Resolved

# How a request can end.
Label = Literal["ok", "partial", "failed", "rejected", "disconnected", "graphiql"]
OK: Final = "ok"  # data, no errors
PARTIAL: Final = "partial"  # data and errors
FAILED: Final = "failed"  # errors and no data, or a failure on our side (500)
REJECTED: Final = "rejected"  # a request error or a refusal: the operation never ran
DISCONNECTED: Final = "disconnected"  # nobody left to answer: the caller went, or we stopped
GRAPHIQL: Final = "graphiql"  # the GraphiQL page, not a GraphQL response


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a GraphQL result came to, before it is an HTTP answer."""

    # ok, partial, failed or rejected.
    label: Label
    # Every error's `extensions.code`, in the order of the response's errors.
    error_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a request ended: what the log line, the metrics and the span report."""

    # A verdict's label, or failed, rejected, disconnected or graphiql for a request that
    # came to no GraphQL result.
    label: Label
    status: int
    error_codes: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class Exchange:
    """What one request carried and came to."""

    # Filled in by the schema's OperationObserver through the context, which carries it too.
    operation: OperationRecord = field(default_factory=OperationRecord)
    # The GraphQL context, once Strawberry asked for it (never for a refused request).
    context: RequestContext | None = None
    # The answer is the GraphiQL page, not a GraphQL response.
    graphiql_page: bool = False
    # How a request by document id came by its text (persisted.py); None for a plain text.
    persisted: Resolved | None = None
    # The GraphQL result's verdict, once there is a result.
    verdict: Verdict | None = None
    # The parts of an incremental result to send as multipart (web/incremental.py's
    # `Parts`); None for any other answer.
    incremental: object | None = None
    # Settled once by the view; None while the request is on its way.
    outcome: Outcome | None = None

    @property
    def correlation_id(self) -> str | None:
        """The id sent back in `MS-CorrelationId`, once the context has one."""
        return None if self.context is None else self.context.correlation_id

    def settle(self, outcome: Outcome) -> None:
        """Record how the request ended; a request ends once."""
        if self.outcome is not None:
            raise RuntimeError(f"the request ended already ({self.outcome.label})")
        self.outcome = outcome


def exchange_of(request: Request) -> Exchange:
    """The request's exchange (the view made it when the request arrived)."""
    exchange: Exchange = request.state.exchange
    return exchange


__all__ = [
    "DISCONNECTED",
    "FAILED",
    "GRAPHIQL",
    "OK",
    "PARTIAL",
    "REJECTED",
    "Exchange",
    "Label",
    "Outcome",
    "Verdict",
    "exchange_of",
]
