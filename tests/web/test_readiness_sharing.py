"""/readyz shares one upstream probe among concurrent askers and reuses a fresh result briefly.

The upstream is a real server whose root answers slowly and counts what reaches it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graphql_api.config import Settings
from graphql_api.partner_center import Clocks
from graphql_api.web.app import create_app
from tests.clocks import MovedClocks
from tests.live_server import live_server


class SlowRoot:
    """A Partner Center front door that takes `delay` seconds to answer 401 at its root."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests = 0

    async def root(self, _: Request) -> Response:
        self.requests += 1
        await asyncio.sleep(self.delay)
        return JSONResponse({"error": "unauthorized"}, status_code=401)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/", self.root, methods=["GET"])])


@contextmanager
def service_over(
    upstream: SlowRoot, *, clocks: Clocks | None = None, **env: str
) -> Iterator[str]:
    with live_server(upstream.app()) as upstream_url:
        settings = Settings.from_env({"PARTNER_CENTER_URL": upstream_url, **env})
        with live_server(create_app(settings, clocks=clocks)) as base:
            yield base


async def _ask(base: str, askers: int) -> list[int]:
    limits = httpx.Limits(max_connections=askers)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        responses = await asyncio.gather(*(client.get("/readyz") for _ in range(askers)))
    return [response.status_code for response in responses]


def test_concurrent_askers_share_one_upstream_probe() -> None:
    upstream = SlowRoot(delay=0.3)
    with service_over(upstream) as base:
        statuses = asyncio.run(_ask(base, 40))
    assert statuses == [200] * 40
    assert upstream.requests == 1


def test_a_fresh_result_is_reused_and_a_stale_one_probes_again() -> None:
    upstream = SlowRoot(delay=0.0)
    moved = MovedClocks()
    with service_over(upstream, clocks=moved.clocks, READYZ_REUSE_SECONDS="30") as base:
        first = httpx.get(f"{base}/readyz")
        again = httpx.get(f"{base}/readyz")
        reused = upstream.requests
        moved.advance(29)
        still = httpx.get(f"{base}/readyz")
        still_reused = upstream.requests
        moved.advance(2)
        later = httpx.get(f"{base}/readyz")
    statuses = [first.status_code, again.status_code, still.status_code, later.status_code]
    assert statuses == [200, 200, 200, 200]
    assert reused == 1
    assert still_reused == 1
    assert upstream.requests == 2


def test_reuse_off_probes_for_every_asker_in_turn() -> None:
    upstream = SlowRoot(delay=0.0)
    with service_over(upstream, READYZ_REUSE_SECONDS="0") as base:
        for _ in range(3):
            assert httpx.get(f"{base}/readyz").status_code == 200
    assert upstream.requests == 3
