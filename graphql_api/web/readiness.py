"""`/readyz`: does Partner Center answer HTTP at all?

The probe is an unauthenticated `GET` of the upstream's root with a short timeout. Any HTTP
answer (401 and 404 included) proves that DNS, TCP, TLS and the upstream's front door work;
only a timeout or a transport failure makes the service unready. It deliberately sends no
credentials: in passthrough mode the service has none of its own, and a probe that spent a
caller's token (or the service's, against the 500-a-minute budget) every few seconds would be
worse than this honest, narrower check. Whether a given token works is for the request to say.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one readiness probe."""

    ready: bool
    detail: str


async def probe_upstream(http: httpx.AsyncClient, base_url: str) -> ProbeResult:
    """GET `base_url`'s root without credentials; ready when any HTTP response comes back."""
    try:
        # Streamed and never read: the status line is the whole answer we need.
        async with http.stream("GET", f"{base_url.rstrip('/')}/") as response:
            status = response.status_code
    except httpx.TimeoutException:
        return ProbeResult(False, "Partner Center did not answer in time")
    except httpx.HTTPError as exc:
        return ProbeResult(False, f"Partner Center could not be reached ({type(exc).__name__})")
    return ProbeResult(True, f"Partner Center answered HTTP {status}")


__all__ = ["ProbeResult", "probe_upstream"]
