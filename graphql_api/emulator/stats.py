"""Call counters for `/_emulator/stats`: how many calls each route got, and how they ended."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

# Route names counted; "other" is any path that matched no route.
ROUTES: tuple[str, ...] = ("list", "next", "customer", "company", "billing", "other")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call as the request log keeps it: ids and outcome, never a token or a body."""

    route: str
    method: str
    path: str
    status: int | None
    request_id: str | None
    correlation_id: str | None
    locale: str | None
    # W3C trace context as received (a tracing client joins the caller's trace with it).
    traceparent: str | None = None
    tracestate: str | None = None


@dataclass(slots=True)
class Stats:
    """Counts calls when they arrive (failed and injected ones included) and statuses at the end."""

    log_size: int = 1000
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    hung: int = 0
    log: deque[CallRecord] = field(default_factory=deque)

    def arrived(self, route: str) -> None:
        """Count a call the moment it arrives."""
        self.calls[route] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def finished(self, record: CallRecord) -> None:
        """Count how a call ended (status None: it hung until the client left)."""
        self.in_flight -= 1
        if record.status is None:
            self.hung += 1
        else:
            self.statuses[str(record.status)] += 1
        self.log.append(record)
        while len(self.log) > self.log_size:
            self.log.popleft()

    def reset(self) -> None:
        """Zero every counter; calls still in flight stay counted as in flight."""
        self.calls.clear()
        self.statuses.clear()
        self.hung = 0
        self.max_in_flight = self.in_flight
        self.log.clear()

    def snapshot(self) -> dict[str, Any]:
        """Counts per route, their total, counts per status, and the in-flight gauges."""
        out: dict[str, Any] = {route: self.calls[route] for route in ROUTES}
        out["total"] = sum(self.calls[route] for route in ROUTES)
        out["by_status"] = dict(sorted(self.statuses.items()))
        out["hung"] = self.hung
        out["in_flight"] = self.in_flight
        out["max_in_flight"] = self.max_in_flight
        return out

    def requests(self) -> list[dict[str, Any]]:
        """The most recent calls, oldest first."""
        return [
            {
                "route": r.route,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "requestId": r.request_id,
                "correlationId": r.correlation_id,
                "locale": r.locale,
                "traceparent": r.traceparent,
                "tracestate": r.tracestate,
            }
            for r in self.log
        ]


__all__ = ["ROUTES", "CallRecord", "Stats"]
