"""What the client tells a tracer about each HTTP attempt; the client imports no tracing library.

A `CallTracer` rides in the operation's `CallContext`. For every attempt of a logical call
(the first try and each retry) the client asks it for an `AttemptTrace`, sends the headers
that trace gives (W3C `traceparent`, for instance) beside its own, and reports how the attempt
ended. What the tracer records, and where it sends it, is the tracer's business: it sees
the request path, never a header value or a body.

Example:
    call = CallContext(authorization=..., correlation_id=..., tracer=my_tracer)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

Headers = Sequence[tuple[str, str]]
T = TypeVar("T")


class AttemptTrace(Protocol):
    """One HTTP attempt as a tracer follows it."""

    @property
    def headers(self) -> Headers:
        """Headers to send with this attempt (e.g. `traceparent`), beside the client's own."""
        ...

    def end(self, status: int | None, failure: BaseException | None) -> None:
        """The attempt is over: the HTTP status if an answer came, the failure if it failed."""
        ...


class CallTracer(Protocol):
    """Follows the attempts of the calls one operation makes."""

    def attempt(self, path: str, number: int, retry_wait: float) -> AttemptTrace:
        """An attempt starts: `path` (may carry a query), its `number` from 1, and the seconds
        waited since the previous attempt of the same call failed (0 for the first)."""
        ...


class TracedCall:
    """The attempts of one logical call, numbered and timed for its tracer."""

    __slots__ = ("_failed_at", "_number", "_path", "_tracer")

    def __init__(self, tracer: CallTracer, path: str) -> None:
        self._tracer = tracer
        self._path = path
        self._number = 0
        self._failed_at: float | None = None

    async def attempt(self, headers: Headers, send: Callable[[Headers], Awaitable[T]]) -> T:
        """`send(headers)` with the tracer's headers added; the tracer hears how it ended."""
        self._number += 1
        waited = 0.0 if self._failed_at is None else time.monotonic() - self._failed_at
        trace = self._tracer.attempt(self._path, self._number, waited)
        try:
            answer = await send([*headers, *trace.headers])
        except BaseException as failure:
            self._failed_at = time.monotonic()
            # Typed HTTP failures carry the status Partner Center answered with.
            status = getattr(failure, "status", None)
            trace.end(status if isinstance(status, int) else None, failure)
            raise
        status = getattr(answer, "status", None)
        trace.end(status if isinstance(status, int) else None, None)
        return answer


__all__ = ["AttemptTrace", "CallTracer", "Headers", "TracedCall"]
