"""Tracing: OpenTelemetry spans of operations, loader batches and upstream calls, and the
trusted-only Apollo federated traces (ftv1). Logs and metrics live in `logging_setup` and
`metrics`.
"""

from .spans import (
    OperationSpan,
    Spans,
    call_tracer,
    started_batch,
    traced_batch,
)
from .tracing import DEFAULT_SERVICE_NAME, Tracing, exporters_from_env

__all__ = [
    "DEFAULT_SERVICE_NAME",
    "OperationSpan",
    "Spans",
    "Tracing",
    "call_tracer",
    "exporters_from_env",
    "started_batch",
    "traced_batch",
]
