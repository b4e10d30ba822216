"""The log line and the metrics of one GraphQL request, from its settled outcome."""

from __future__ import annotations

import logging

from ..observability.metrics import Metrics
from .exchange import Exchange, Outcome

logger = logging.getLogger("graphql_api.http")


def observe(
    metrics: Metrics, method: str, exchange: Exchange, outcome: Outcome, seconds: float
) -> None:
    """One log line and the metrics for a GraphQL request."""
    operation = exchange.operation
    # Anyone may send a name with a made-up token; only a caller someone vouched for may
    # give an operation name a metric series of its own.
    proven = exchange.context is not None and exchange.context.caller_proven
    metrics.observe_request(
        operation.name, outcome.label, seconds, list(outcome.error_codes), caller_proven=proven
    )
    line: dict[str, object] = {
        "method": method,
        "operation": (operation.name or "")[:100] or None,
        "outcome": outcome.label,
        "status": outcome.status,
        "duration_ms": round(seconds * 1000, 2),
        "error_codes": sorted(set(outcome.error_codes)),
    }
    if exchange.correlation_id is not None:
        line["correlation_id"] = exchange.correlation_id
    if exchange.persisted is not None:
        line.update(exchange.persisted.log_fields())
    logger.info("graphql request", extra=line)


__all__ = ["observe"]
