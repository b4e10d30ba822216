"""`/readyz`: does Partner Center answer HTTP at all?

The probe is an unauthenticated `GET` of the upstream's root with a short timeout. Any HTTP
answer (401 and 404 included) proves that DNS, TCP, TLS and the upstream's front door work;
only a timeout or a transport failure makes the service unready. It deliberately sends no
credentials: in passthrough mode the service has none of its own, and a probe that spent a
caller's token (or the service's, against the 500-a-minute budget) every few seconds would be
worse than this honest, narrower check. Whether a given token works is for the request to say.

Every asker of `/readyz` shares one probe (`SharedProbe`): askers who come while one is in
flight wait for its result, and a result is reused for `READYZ_REUSE_SECONDS`, so the
endpoint costs Partner Center at most one request per that interval, however many ask
(anyone who can reach it, not only the orchestrator), and a flood of askers cannot make the
orchestrator's own probe wait behind theirs.

It goes over the same kind of wire as the Partner Center calls (built from the same upstream
settings: `UPSTREAM_CA_BUNDLE`, the proxy variables), so that "ready" means what a request
would find; failures come in the client's vocabulary (`UpstreamTimeout`, `UpstreamUnavailable`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..partner_center import BodyLimits, PartnerCenterError, Timeouts, UpstreamTimeout, Wire

# The status line is the whole answer needed; no body byte is kept.
_NO_BODY = BodyLimits(success=0, other=0)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one readiness probe."""

    ready: bool
    detail: str


async def probe_upstream(
    wire: Wire, base_url: str, *, within_seconds: float, user_agent: str
) -> ProbeResult:
    """GET `base_url`'s root without credentials; ready when any HTTP response comes back."""
    url = f"{base_url.rstrip('/')}/"
    timeouts = Timeouts(connect=within_seconds, read=within_seconds, pool=within_seconds)
    try:
        async with asyncio.timeout(within_seconds):
            response = await wire.get(
                url, [("User-Agent", user_agent)], timeouts=timeouts, limits=_NO_BODY
            )
    except (TimeoutError, UpstreamTimeout):
        return ProbeResult(False, "Partner Center did not answer in time")
    except PartnerCenterError as exc:
        return ProbeResult(False, exc.message)
    return ProbeResult(True, f"Partner Center answered HTTP {response.status}")


class SharedProbe:
    """One probe at a time for every asker, its result reused for `reuse_for` seconds.

    Example:
        shared = SharedProbe(lambda: probe_upstream(wire, url, within_seconds=2,
                                                    user_agent="graphql_api"), reuse_for=2)
        result = await shared.result()
    """

    def __init__(
        self,
        probe: Callable[[], Awaitable[ProbeResult]],
        *,
        reuse_for: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._reuse_for = reuse_for
        self._clock = clock
        self._last: tuple[float, ProbeResult] | None = None
        self._running: asyncio.Task[ProbeResult] | None = None

    async def result(self) -> ProbeResult:
        """The last result while fresh, else the outcome of the probe in flight or of a new one."""
        last = self._last
        if last is not None and self._clock() - last[0] < self._reuse_for:
            return last[1]
        if self._running is None:
            # A task of its own, shielded below: an asker that hangs up does not cancel the
            # probe the others wait for.
            self._running = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._running)

    async def _run(self) -> ProbeResult:
        try:
            result = await self._probe()
            # Timed from the end: the result says how the upstream was then.
            self._last = (self._clock(), result)
            return result
        finally:
            self._running = None


__all__ = ["ProbeResult", "SharedProbe", "probe_upstream"]
