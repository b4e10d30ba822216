"""What the client reports about its cache, coalescing, call budget and shared store.

The client knows nothing of Prometheus: it calls these hooks, and the app passes an object
that counts them (`observability.metrics.Metrics`). Route values are templates
(`/v1/customers/{id}`), never ids, so they may become metric labels.
"""

from __future__ import annotations

from typing import Literal, Protocol

CacheOutcome = Literal["hit", "miss", "stale"]


class Observer(Protocol):
    """Hooks the client calls; every method must be cheap and must not raise."""

    def cache_lookup(self, route: str, outcome: CacheOutcome) -> None:
        """An answer was looked up: served fresh (`hit`), fetched (`miss`) or served `stale`."""

    def coalesced(self, route: str) -> None:
        """A call was not sent: an identical one in flight answered it."""

    def budget_remaining(self, tokens: float) -> None:
        """Calls the budget could send at once right now, after the last one was counted."""

    def budget_waited(self, seconds: float) -> None:
        """A call waited this long for the budget before it left."""

    def budget_refused(self) -> None:
        """A call was not sent: the budget would have made it wait too long."""

    def store_error(self, operation: str) -> None:
        """The shared store (Redis) failed; in-process state served instead."""


class NullObserver:
    """Reports nothing: for a client made without metrics (tests, scripts)."""

    def cache_lookup(self, route: str, outcome: CacheOutcome) -> None:
        """Ignore a cache lookup."""

    def coalesced(self, route: str) -> None:
        """Ignore a coalesced call."""

    def budget_remaining(self, tokens: float) -> None:
        """Ignore the budget's level."""

    def budget_waited(self, seconds: float) -> None:
        """Ignore a wait for the budget."""

    def budget_refused(self) -> None:
        """Ignore a refusal."""

    def store_error(self, operation: str) -> None:
        """Ignore a store failure."""


__all__ = ["CacheOutcome", "NullObserver", "Observer"]
