"""`Deadline` and `asyncio.timeout_at` side by side: the same block under each ends the same
way (what is raised, what it is raised from, the task's pending cancellations afterwards),
nested in each other, beside a `SlowWatch`, past already, or with a cancellation from
elsewhere. Pins the claim in deadline.py's docstring on the Python the tests run on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import pytest

from graphql_api.partner_center.deadline import Deadline
from graphql_api.partner_center.slow_calls import SlowCalls


class _AsyncDeadline:
    """`Deadline` behind `async with` (entering and leaving it never suspend)."""

    def __init__(self, when: float) -> None:
        self._deadline = Deadline(when)

    async def __aenter__(self) -> Deadline:
        return self._deadline.__enter__()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._deadline.__exit__(kind, error, traceback)


Bound = Callable[[float], Any]
Scenario = Callable[[Bound, list[str]], Awaitable[object]]


async def _nested_at_once(bound: Bound, log: list[str]) -> None:
    when = asyncio.get_running_loop().time() + 0.01
    async with bound(when):
        try:
            async with bound(when):
                await asyncio.sleep(1)
        except TimeoutError:
            log.append("inner TimeoutError")
        except asyncio.CancelledError:
            log.append("inner CancelledError")
            raise


async def _nested_inner_first(bound: Bound, log: list[str]) -> None:
    loop = asyncio.get_running_loop()
    async with bound(loop.time() + 0.05):
        try:
            async with bound(loop.time() + 0.01):
                await asyncio.sleep(1)
        except TimeoutError:
            log.append("inner TimeoutError")
        await asyncio.sleep(1)


async def _nested_outer_first(bound: Bound, log: list[str]) -> None:
    loop = asyncio.get_running_loop()
    async with bound(loop.time() + 0.01):
        try:
            async with bound(loop.time() + 0.05):
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.append("inner CancelledError")
            raise


async def _inside_asyncio_timeout(bound: Bound, log: list[str]) -> None:
    when = asyncio.get_running_loop().time() + 0.01
    async with asyncio.timeout_at(when):
        try:
            async with bound(when):
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.append("inner CancelledError")
            raise


async def _around_asyncio_timeout(bound: Bound, log: list[str]) -> None:
    when = asyncio.get_running_loop().time() + 0.01
    async with bound(when):
        try:
            async with asyncio.timeout_at(when):
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.append("inner CancelledError")
            raise


async def _past_without_an_await(bound: Bound, log: list[str]) -> int:
    async with bound(asyncio.get_running_loop().time() - 1):
        value = 1
    await asyncio.sleep(0.01)  # nothing cancels the task later
    return value


async def _past_then_another_error(bound: Bound, log: list[str]) -> None:
    async with bound(asyncio.get_running_loop().time() - 1):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            raise ValueError("raised while cancelled") from None


async def _cancellation_swallowed(bound: Bound, log: list[str]) -> str:
    async with bound(asyncio.get_running_loop().time() + 0.01):
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            log.append("swallowed")
    await asyncio.sleep(0.01)
    return "after"


async def _outside_cancellation_at_the_deadline(bound: Bound, log: list[str]) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    when = loop.time() + 0.01
    loop.call_at(when, task.cancel)
    async with bound(when):
        await asyncio.sleep(1)


async def _answered_as_the_deadline_passes(bound: Bound, log: list[str]) -> object:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[int] = loop.create_future()
    when = loop.time() + 0.01
    loop.call_at(when, answer.set_result, 5)
    async with bound(when):
        return await answer


def _watched(calls: SlowCalls, timeout: float, log: list[str]) -> Callable[[], Awaitable[None]]:
    """An attempt as `PartnerCenterClient._attempt` watches it."""

    async def attempt() -> None:
        watch = calls.watch(timeout)
        try:
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                if not watch.ended_it():
                    log.append("not the watch's")
                    raise
                log.append("the watch's")
                raise TimeoutError from None
            finally:
                watch.done()
        except TimeoutError:
            log.append("attempt timed out")

    return attempt


async def _slow_watch_at_the_deadline(bound: Bound, log: list[str]) -> None:
    calls = SlowCalls(after=0.01, limit=1)
    calls.slow = 1  # the next attempt to turn slow is cut
    async with bound(asyncio.get_running_loop().time() + 0.01):
        await _watched(calls, 0.01, log)()


async def _slow_watch_before_the_deadline(bound: Bound, log: list[str]) -> None:
    calls = SlowCalls(after=0.005, limit=1)
    calls.slow = 1
    async with bound(asyncio.get_running_loop().time() + 0.05):
        for _ in range(2):
            await _watched(calls, 1.0, log)()
        await asyncio.sleep(1)


SCENARIOS: list[Scenario] = [
    _nested_at_once,
    _nested_inner_first,
    _nested_outer_first,
    _inside_asyncio_timeout,
    _around_asyncio_timeout,
    _past_without_an_await,
    _past_then_another_error,
    _cancellation_swallowed,
    _outside_cancellation_at_the_deadline,
    _answered_as_the_deadline_passes,
    _slow_watch_at_the_deadline,
    _slow_watch_before_the_deadline,
]


async def _outcome(scenario: Scenario, bound: Bound) -> tuple[object, ...]:
    async def run() -> tuple[object, ...]:
        task = asyncio.current_task()
        assert task is not None
        log: list[str] = []
        try:
            ended: tuple[object, ...] = ("returned", await scenario(bound, log))
        except BaseException as error:
            cause = error.__cause__
            ended = (type(error).__name__, None if cause is None else type(cause).__name__)
        return ended, task.cancelling(), tuple(log)

    return await asyncio.create_task(run())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__.strip("_"))
async def test_a_block_ends_as_under_asyncio_timeout_at(scenario: Scenario) -> None:
    assert await _outcome(scenario, _AsyncDeadline) == await _outcome(
        scenario, asyncio.timeout_at
    )
