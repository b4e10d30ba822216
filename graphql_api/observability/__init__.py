"""What the service tells its operators: structured logs, Prometheus metrics, and traces
(OpenTelemetry spans of operations, loader batches and upstream calls; Apollo federated
traces for trusted callers only).
"""

from .spans import (
    OperationSpan,
    Spans,
    started_batch,
    traced_batch,
)
from .tracing import DEFAULT_SERVICE_NAME, Tracing, exporters_from_env

__all__ = [
    "DEFAULT_SERVICE_NAME",
    "OperationSpan",
    "Spans",
    "Tracing",
    "exporters_from_env",
    "started_batch",
    "traced_batch",
]
