"""`/readyz`: does Partner Center answer HTTP at all?

The probe is an unauthenticated `GET` of the upstream's root with a short timeout. Any HTTP
answer (401 and 404 included) proves that DNS, TCP, TLS and the upstream's front door work;
only a timeout or a transport failure makes the service unready. It deliberately sends no
credentials: in passthrough mode the service has none of its own, and a probe that spent a
caller's token (or the service's, against the 500-a-minute budget) every few seconds would be
worse than this honest, narrower check. Whether a given token works is for the request to say.

It goes over the same kind of wire as the Partner Center calls (built from the same upstream
settings: `UPSTREAM_CA_BUNDLE`, the proxy variables), so that "ready" means what a request
would find; failures come in the client's vocabulary (`UpstreamTimeout`, `UpstreamUnavailable`).
"""

from __future__ import annotations

import asyncio
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


__all__ = ["ProbeResult", "probe_upstream"]
