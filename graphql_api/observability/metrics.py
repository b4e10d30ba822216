"""Prometheus metrics of the service: GraphQL operations, their errors, and upstream calls.

`Metrics` is also the Partner Center client's `Observer`: cache lookups, coalesced calls,
the partner's call budget (level, waits, refusals) and failures of the shared store (Redis).

Label values are bounded so that a caller cannot grow the series without limit: operation
names must look like GraphQL names and only the first `MAX_OPERATION_NAMES` distinct ones per
process get their own series (later ones count as `other`; a persisted-document manifest's
names have theirs beside them, bounded by the manifest), and only an operation that ran
(valid, authenticated, with data) may take one of those places, so junk or refused requests
cannot use them up; error codes must look like codes;
upstream paths are reduced to route templates. Each `Metrics` owns its registry, so several
apps in one process (tests) do not collide.

With several worker processes, set `PROMETHEUS_MULTIPROC_DIR` (`graphql-api serve --workers`
does) and every worker's `/metrics` reports the sum over all workers.
"""

from __future__ import annotations

import functools
import math
import os
import re
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..partner_center import BodyLimits, CacheOutcome, RawResponse, Timeouts, Wire

MAX_OPERATION_NAMES = 100
ANONYMOUS = "anonymous"
OTHER = "other"
# Outcomes of a request that passed validation and authentication and returned data.
_CLAIMING_OUTCOMES = frozenset({"ok", "partial"})

_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")
_UPSTREAM_ROUTES = (
    (re.compile(r"^/v1/customers/?$"), "/v1/customers"),
    (re.compile(r"^/v1/customers/[^/]+/profiles/(company|billing)/?$"), None),
    (re.compile(r"^/v1/customers/[^/]+/?$"), "/v1/customers/{id}"),
)
# Seconds a call waited for the partner's budget (never more than UPSTREAM_RATE_MAX_WAIT).
_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
# Seconds; GraphQL operations here span one fast upstream call to several slow pages.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def upstream_route(path: str) -> str:
    """The route template of an upstream path, so that customer ids never become labels."""
    for pattern, route in _UPSTREAM_ROUTES:
        match = pattern.match(path)
        if match:
            return route or f"/v1/customers/{{id}}/profiles/{match.group(1)}"
    return OTHER


# A client calls the same few hundred URLs over and over (a page's customers); their routes
# are worked out once each, and the bound keeps a long walk over many customers in check.
@functools.lru_cache(maxsize=4096)
def _route_of_url(url: str) -> str:
    return upstream_route(urlsplit(url).path)


class Metrics:
    """The service's metrics, registered in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._names: set[str] = set()
        self._names_lock = threading.Lock()
        # A manifest's operation names: bounded by the manifest, each has its own series.
        self._manifest_names: frozenset[str] = frozenset()
        # (metric, label values) -> its child: prometheus_client's `labels()` checks the
        # values and takes a lock on every call (three times per request); the child
        # it returns for the same values is always the same object. Label values are bounded
        # (see the module docstring), so this is too.
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "graphql_requests_total",
            "GraphQL HTTP requests by operation name and outcome "
            "(ok, partial, failed, rejected).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL HTTP request, by operation name.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "graphql_errors_total",
            "GraphQL errors returned to callers, by extensions.code.",
            ["code"],
            registry=self.registry,
        )
        self.upstream = Counter(
            "partner_center_requests_total",
            "HTTP requests sent to Partner Center (each retry counts), by route and status "
            "(`error` when no response arrived).",
            ["route", "status"],
            registry=self.registry,
        )
        self.cache = Counter(
            "partner_center_cache_lookups_total",
            "Upstream answers looked up in the cache, by route and outcome (hit: served fresh; "
            "miss: fetched or joined a call in flight; stale: served past its freshness "
            "because the call budget was spent or Partner Center throttled).",
            ["route", "outcome"],
            registry=self.registry,
        )
        # Private: `coalesced` is the Observer hook's name.
        self._coalesced = Counter(
            "partner_center_coalesced_total",
            "Upstream calls not sent because an identical one in flight (in this process, or "
            "another sharing Redis) answered them, by route.",
            ["route"],
            registry=self.registry,
        )
        self.budget_level = Gauge(
            "partner_center_budget_remaining",
            "Calls the partner's budget could send at once, as last seen by this process.",
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.budget_waits = Histogram(
            "partner_center_budget_wait_seconds",
            "Time calls waited for the partner's call budget before leaving.",
            buckets=_WAIT_BUCKETS,
            registry=self.registry,
        )
        self.budget_refusals = Counter(
            "partner_center_budget_refused_total",
            "Calls not sent because the partner's call budget would have made them wait "
            "past UPSTREAM_RATE_MAX_WAIT.",
            registry=self.registry,
        )
        # NaN until this process is first probed, so that a replica nobody has asked yet is
        # told apart from one that found Partner Center unreachable.
        self.ready = Gauge(
            "graphql_ready",
            "1 when this process's last /readyz found Partner Center answering, 0 when it did "
            "not; NaN before the first probe.",
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.ready.set(math.nan)
        self.persisted_documents = Counter(
            "graphql_persisted_documents_total",
            "Requests by document id, by event: persisted_hit (a manifest document), apq_hit, "
            "apq_miss (PERSISTED_QUERY_NOT_FOUND), apq_registered, trusted_refused (a text "
            "or unlisted hash in trusted mode).",
            ["event"],
            registry=self.registry,
        )
        self.store_errors = Counter(
            "partner_center_redis_errors_total",
            "Failed Redis operations, by operation; in-process state served each of them.",
            ["operation"],
            registry=self.registry,
        )

    def operation_label(self, name: str | None, *, may_claim: bool = True) -> str:
        """A bounded label for an operation name taken from the caller's document.

        A name not yet seen gets a series of its own only when `may_claim` is true.
        """
        if not name:
            return ANONYMOUS
        # The common case, without the lock (a set read is atomic).
        if name in self._names or name in self._manifest_names:
            return name
        if not may_claim or not _GRAPHQL_NAME.match(name):
            return OTHER
        with self._names_lock:
            if name in self._names:
                return name
            if len(self._names) < MAX_OPERATION_NAMES:
                self._names.add(name)
                return name
        return OTHER

    def name_operations(self, names: Sequence[str]) -> None:
        """Give each of a manifest's operation names a series, outside `MAX_OPERATION_NAMES`."""
        self._manifest_names = frozenset(name for name in names if _GRAPHQL_NAME.match(name))

    def persisted(self, event: str) -> None:
        """Count one request by document id (see `graphql_persisted_documents_total`)."""
        self._labelled(self.persisted_documents, event).inc()

    def observe_request(
        self,
        operation: str | None,
        outcome: str,
        seconds: float,
        error_codes: list[str],
        *,
        caller_proven: bool = False,
    ) -> None:
        """Count one GraphQL HTTP request, its latency and the codes of its errors.

        Only an operation that answered with data (`ok` or `partial`) for a caller someone
        vouched for (`caller_proven`) may claim a new label: otherwise made-up names, sent
        with made-up tokens to fields that need no upstream call, would use them all up.
        """
        may_claim = caller_proven and outcome in _CLAIMING_OUTCOMES
        label = self.operation_label(operation, may_claim=may_claim)
        self._labelled(self.requests, label, outcome).inc()
        self._labelled(self.latency, label).observe(seconds)
        for code in error_codes:
            self._labelled(self.errors, code if _ERROR_CODE.match(code) else OTHER).inc()

    def observe_upstream(self, path: str, status: int | None) -> None:
        """Count one HTTP request to Partner Center; `status` None when no response came."""
        self._count_upstream(upstream_route(path), status)

    def observe_upstream_url(self, url: str, status: int | None) -> None:
        """`observe_upstream` for the request's whole URL."""
        self._count_upstream(_route_of_url(url), status)

    def _count_upstream(self, route: str, status: int | None) -> None:
        status_label = "error" if status is None else str(status)
        self._labelled(self.upstream, route, status_label).inc()

    # -- the Partner Center client's Observer -----------------------------------------------

    def cache_lookup(self, route: str, outcome: CacheOutcome) -> None:
        """Count one cache lookup."""
        self._labelled(self.cache, route, outcome).inc()

    def coalesced(self, route: str) -> None:
        """Count one call answered by an identical call in flight."""
        self._labelled(self._coalesced, route).inc()

    def budget_remaining(self, tokens: float) -> None:
        """Record the budget's level."""
        self.budget_level.set(tokens)

    def budget_waited(self, seconds: float) -> None:
        """Record one wait for the budget."""
        self.budget_waits.observe(seconds)

    def budget_refused(self) -> None:
        """Count one call the budget refused."""
        self.budget_refusals.inc()

    def readiness(self, ready: bool) -> None:
        """Record what the last readiness probe found."""
        self.ready.set(1.0 if ready else 0.0)

    def store_error(self, operation: str) -> None:
        """Count one failed Redis operation."""
        self._labelled(self.store_errors, operation).inc()

    def _labelled(self, metric: Counter | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, looked up once per label values."""
        key = (metric, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, summed over workers in multiprocess mode."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return _generate_latest(registry), CONTENT_TYPE_LATEST
        return _generate_latest(self.registry), CONTENT_TYPE_LATEST


class MeteredWire:
    """A Partner Center wire that counts every request it sends in `Metrics.upstream`."""

    def __init__(self, inner: Wire, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        # The wrapped wire's, for the User-Agent: this one only counts.
        self.product: str | None = getattr(inner, "product", None)

    async def get(
        self,
        url: str,
        headers: Sequence[tuple[str, str]],
        *,
        timeouts: Timeouts,
        limits: BodyLimits,
    ) -> RawResponse:
        """Send through the wrapped wire, counting the outcome."""
        try:
            response = await self._inner.get(url, headers, timeouts=timeouts, limits=limits)
        except BaseException:
            self._metrics.observe_upstream_url(url, None)
            raise
        self._metrics.observe_upstream_url(url, response.status)
        return response

    async def aclose(self) -> None:
        """Close the wrapped wire."""
        await self._inner.aclose()


__all__ = [
    "ANONYMOUS",
    "MAX_OPERATION_NAMES",
    "OTHER",
    "MeteredWire",
    "Metrics",
    "upstream_route",
]
