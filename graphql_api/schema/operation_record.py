"""What the layers above the schema learn about an operation from inside Strawberry's execution.

Each request's context carries one `OperationRecord` (the HTTP view makes it and hands it to
the context); the `OperationObserver` extension fills it in: the operation's name (from the
document when the caller sent no `operationName`) and how far the document got (parsed,
executed). The view uses it to tell request errors (parse, validation, variable coercion)
apart, for status codes, error codes, metrics, the log line and the trace span.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext


@dataclass(slots=True)
class OperationRecord:
    """Facts about one GraphQL operation, filled in as it runs."""

    name: str | None = None
    parsed: bool = False
    executed: bool = False
    # Kept for what only tracing asks (the operation's type), so that it is worked out only
    # when a trace is recorded.
    execution: ExecutionContext | None = None

    @property
    def operation_type(self) -> str | None:
        """"query", "mutation" or "subscription" once execution started, else None."""
        if self.execution is None:
            return None
        try:
            return self.execution.operation_type.value
        except RuntimeError:  # no operation of that name: nothing ran
            return None


def _record_of(execution: ExecutionContext) -> OperationRecord | None:
    """The record the request's context carries (a schema run without one records nothing)."""
    record = getattr(execution.context, "operation", None)
    return record if isinstance(record, OperationRecord) else None


class OperationObserver(SchemaExtension):
    """Copies the operation's name and progress into its context's `OperationRecord`."""

    def on_parse(self) -> Iterator[None]:
        """Note whether the document parsed."""
        yield
        record = _record_of(self.execution_context)
        if record is not None:
            record.parsed = self.execution_context.graphql_document is not None
            name = self.execution_context.operation_name if record.parsed else None
            # `operationName` comes from the caller's JSON and may be any type.
            record.name = name if isinstance(name, str) else None

    def on_execute(self) -> Iterator[None]:
        """Note that execution started (so parse and validation passed)."""
        record = _record_of(self.execution_context)
        if record is not None:
            record.executed = True
            record.execution = self.execution_context
        yield


__all__ = ["OperationObserver", "OperationRecord"]
