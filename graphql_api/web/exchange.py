"""`Exchange`: one GraphQL HTTP request as the view sees it, created once and read where needed.

The view makes it when a request arrives and keeps it as the request's one piece of state
(`request.state.exchange`); Strawberry's hooks (context, GraphiQL, the result) fill it in,
and the log line, the metrics and the trace span read it when the answer has left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from ..observability.operation_record import OperationRecord
from ..schema.context import RequestContext


@dataclass(slots=True, eq=False)
class Exchange:
    """What one request carried and came to."""

    # Filled in by the schema's OperationObserver: the operation's name and how far it got.
    record: OperationRecord = field(default_factory=OperationRecord)
    # The GraphQL context, once Strawberry asked for it (never for a refused request).
    context: RequestContext | None = None
    # The answer was the GraphiQL page, not a GraphQL response: neither logged nor counted.
    graphiql_page: bool = False
    # How it ended: ok, partial, failed, rejected or disconnected; the HTTP status; the codes.
    label: str = "rejected"
    status: int = 200
    error_codes: tuple[str, ...] = ()

    @property
    def correlation_id(self) -> str | None:
        """The id sent back in `MS-CorrelationId`, once the context has one."""
        return None if self.context is None else self.context.correlation_id

    def ended(self, label: str, status: int, error_codes: tuple[str, ...] = ()) -> None:
        """Record how the request ended, when it ended before a GraphQL result."""
        self.label, self.status, self.error_codes = label, status, error_codes


def exchange_of(request: Request) -> Exchange:
    """The request's exchange (the view made it when the request arrived)."""
    exchange: Exchange = request.state.exchange
    return exchange


__all__ = ["Exchange", "exchange_of"]
