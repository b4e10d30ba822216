"""A closed-loop HTTP load generator on httpx: N workers, each sending its next request as soon
as the previous one has been answered, for a duration or a number of requests.

What it reports, honestly:
- closed loop: the offered load adapts to the server (a slow server gets fewer requests),
  so latency under overload is not the latency an open-loop (fixed-rate) client would see;
- latency per request: from just before the request is sent to the last byte of the body,
  measured in this process (it shares the machine's cores with the servers);
- requests per second: completed requests over the round's wall time.

Example:
    result = await run_closed_loop(send, concurrency=16, duration=3.0)
    print(result.rps, result.percentile(50))
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# (client, worker index, request number of that worker) -> the answered response.
Send = Callable[[httpx.AsyncClient, int, int], Awaitable[httpx.Response]]


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: its latency and how it ended."""

    seconds: float
    status: int | None  # None: no HTTP answer at all (the failure says why)
    codes: tuple[str, ...] = ()  # `extensions.code` of each GraphQL error, in order
    failure: str | None = None  # the exception type when there was no answer


@dataclass
class LoadResult:
    """The samples of one round and its wall time."""

    samples: list[Sample] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def count(self) -> int:
        """Requests completed (answered or failed)."""
        return len(self.samples)

    @property
    def rps(self) -> float:
        """Completed requests per second of wall time."""
        return self.count / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in seconds (nearest rank); 0 with no samples."""
        return percentile([sample.seconds for sample in self.samples], q)

    def statuses(self) -> Counter[str]:
        """Responses by HTTP status ("no-answer:<type>" when there was none)."""
        return Counter(
            str(s.status) if s.status is not None else f"no-answer:{s.failure}"
            for s in self.samples
        )

    def error_codes(self) -> Counter[str]:
        """GraphQL error codes over all responses (an error without a code counts as "")."""
        return Counter(code for sample in self.samples for code in sample.codes)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def graphql_codes(response: httpx.Response) -> tuple[str, ...]:
    """The `extensions.code` of each error in a GraphQL JSON response ("" when absent)."""
    try:
        document: Any = json.loads(response.content)
    except ValueError:
        return ()
    errors = document.get("errors") if isinstance(document, dict) else None
    codes: list[str] = []
    for error in errors or ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) else "")
    return tuple(codes)


async def run_closed_loop(
    send: Send,
    *,
    concurrency: int,
    duration: float | None = None,
    requests: int | None = None,
    request_timeout: float = 60.0,
    classify: Callable[[httpx.Response], tuple[str, ...]] | None = graphql_codes,
) -> LoadResult:
    """Run `concurrency` workers until `duration` seconds pass or `requests` are done.

    A request started before the deadline is waited for; none starts after it. Each worker
    owns nothing but its loop; all share one pooled client sized for `concurrency`.
    `classify` reads GraphQL error codes from each body (after the latency is taken).
    """
    if duration is None and requests is None:
        raise ValueError("give a duration, a number of requests, or both")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    result = LoadResult()
    remaining = [requests if requests is not None else math.inf]

    async with httpx.AsyncClient(limits=limits, timeout=request_timeout) as client:
        started = time.perf_counter()
        deadline = started + duration if duration is not None else math.inf

        async def worker(index: int) -> None:
            number = 0
            while time.perf_counter() < deadline and remaining[0] > 0:
                remaining[0] -= 1
                begin = time.perf_counter()
                try:
                    response = await send(client, index, number)
                except httpx.HTTPError as exc:
                    result.samples.append(
                        Sample(time.perf_counter() - begin, None, failure=type(exc).__name__)
                    )
                else:
                    seconds = time.perf_counter() - begin
                    codes = classify(response) if classify is not None else ()
                    result.samples.append(Sample(seconds, response.status_code, codes))
                number += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        result.wall_seconds = time.perf_counter() - started
    return result


def graphql_sender(
    url: str, query: str, variables: dict[str, Any] | None = None, *, bearer: str
) -> Send:
    """A `Send` that POSTs one GraphQL operation to `url` (the body is read in full)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Authorization": bearer, "Content-Type": "application/json"}

    async def send(client: httpx.AsyncClient, worker: int, number: int) -> httpx.Response:
        return await client.post(url, content=body, headers=headers)

    return send


def get_sender(url: str, *, bearer: str, params: dict[str, str] | None = None) -> Send:
    """A `Send` that GETs `url` (the body is read in full)."""
    headers = {"Authorization": bearer, "Accept": "application/json"}

    async def send(client: httpx.AsyncClient, worker: int, number: int) -> httpx.Response:
        return await client.get(url, params=params, headers=headers)

    return send


__all__ = [
    "LoadResult",
    "Sample",
    "Send",
    "get_sender",
    "graphql_codes",
    "graphql_sender",
    "percentile",
    "run_closed_loop",
]
