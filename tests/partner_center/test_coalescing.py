"""Coalescing: a shared call lives while someone awaits it, and no longer."""

from __future__ import annotations

import asyncio

from graphql_api.partner_center.coalescing import Coalescer


async def test_the_call_is_cancelled_when_its_last_asker_is() -> None:
    coalescer: Coalescer[str] = Coalescer()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def call() -> str:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "answer"

    asker = asyncio.ensure_future(coalescer.run("key", call))
    await started.wait()
    asker.cancel()
    await asyncio.wait_for(cancelled.wait(), 5)
    assert not coalescer.is_in_flight("key")


async def test_the_call_goes_on_while_another_asker_awaits_it() -> None:
    coalescer: Coalescer[str] = Coalescer()
    release = asyncio.Event()
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "answer"

    first = asyncio.ensure_future(coalescer.run("key", call))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(coalescer.run("key", call))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    release.set()
    assert await second == ("answer", True)
    assert calls == 1
