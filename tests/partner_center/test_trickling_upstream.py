"""An upstream that trickles its answers, over a real socket: each attempt has a total
deadline, and slow attempts cannot hold every in-flight slot."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter

import pytest

from bench.faulty_peers import LoopbackPeer, read_head, trickle
from graphql_api.partner_center import CallContext, PartnerCenterClient, UpstreamTimeout
from tests.partner_center.conftest import fast_settings

CUSTOMER_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
EMPTY_PAGE = b'{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}'


class TricklingUpstream(LoopbackPeer):
    """Answers `/profiles/billing` a byte every `interval` seconds (never finishing) and
    everything else at once with an empty page; counts requests by path."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self.requests: Counter[str] = Counter()
        self.url = f"http://127.0.0.1:{self.port}"

    def serve_connection(self, connection: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                head = read_head(connection)
                if head is None:
                    return
                path = head.split(b" ", 2)[1].decode().split("?")[0]
                self.requests[path] += 1
                if path.endswith("/profiles/billing"):
                    trickle(connection.sendall, self._stop, self.interval)
                    return
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(EMPTY_PAGE)}\r\n\r\n".encode()
                    + EMPTY_PAGE
                )
        except OSError:
            return


def call(name: str) -> CallContext:
    return CallContext(authorization="Bearer trickle", correlation_id=name)


def test_each_attempt_has_a_total_deadline_though_every_read_is_quick() -> None:
    billing = f"/v1/customers/{CUSTOMER_ID}/profiles/billing"

    async def scenario(url: str) -> None:
        settings = fast_settings(
            base_url=url,
            read_timeout=5.0,
            attempt_timeout=0.5,
            call_timeout=30.0,
            max_attempts=3,
        )
        async with PartnerCenterClient(settings) as client:
            with pytest.raises(UpstreamTimeout, match=r"no whole answer within 0\.5s"):
                await client.get_billing_profile(call("op"), CUSTOMER_ID)

    with TricklingUpstream(interval=0.05) as upstream:
        asyncio.run(scenario(upstream.url))
    # Each attempt was ended by its own deadline and retried; without it the first attempt
    # would have held its slot, reading a byte every 50 ms, until the call's 30 s bound.
    assert upstream.requests[billing] == 3


def test_slow_attempts_leave_slots_for_healthy_routes() -> None:
    billing = f"/v1/customers/{CUSTOMER_ID}/profiles/billing"

    async def scenario(upstream: TricklingUpstream) -> tuple[tuple[object, ...], int, int]:
        settings = fast_settings(
            base_url=upstream.url,
            max_in_flight=4,
            max_in_flight_per_operation=4,
            read_timeout=30.0,
            attempt_timeout=60.0,
            call_timeout=60.0,
            slow_call_seconds=0.2,
            max_attempts=1,
        )
        async with PartnerCenterClient(settings) as client:
            slow = [
                asyncio.create_task(client.get_billing_profile(call("slow"), CUSTOMER_ID))
                for _ in range(4)
            ]
            # Every slot held by a trickling answer once the upstream has all four requests.
            async with asyncio.timeout(10):
                while upstream.requests[billing] < 4:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            page = await asyncio.wait_for(client.list_customers(call("healthy"), size=10), 20)
            still_slow = sum(not task.done() for task in slow)
            for task in slow:
                task.cancel()
            outcomes = await asyncio.gather(*slow, return_exceptions=True)
            cut = sum(isinstance(outcome, UpstreamTimeout) for outcome in outcomes)
            return page.items, still_slow, cut

    with TricklingUpstream(interval=0.05) as upstream:
        healthy_items, still_slow, cut = asyncio.run(scenario(upstream))
    # Half the slots (2 of 4) may be slow: the other two slow attempts were cut, and the
    # healthy route's call took a freed slot while two trickles went on.
    assert healthy_items == ()
    assert still_slow == 2
    assert cut == 2
