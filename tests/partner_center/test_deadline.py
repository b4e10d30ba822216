"""`Deadline` behaves as `asyncio.timeout_at` does for the block it bounds."""

from __future__ import annotations

import asyncio

import pytest

from graphql_api.partner_center.deadline import Deadline


async def test_a_block_past_its_deadline_is_cancelled_and_raises_timeout_error() -> None:
    loop = asyncio.get_running_loop()
    deadline = Deadline(loop.time() + 0.01)

    async def bounded() -> None:
        with deadline:
            await asyncio.Event().wait()  # never set

    with pytest.raises(TimeoutError):
        await bounded()
    assert deadline.expired
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0  # its cancellation taken back


async def test_a_block_done_in_time_is_left_alone() -> None:
    loop = asyncio.get_running_loop()
    with Deadline(loop.time() + 60) as deadline:
        await asyncio.sleep(0)
    assert not deadline.expired
    await asyncio.sleep(0.02)  # its timer is cancelled: nothing cancels this task later


async def test_a_deadline_already_past_cancels_at_the_first_await() -> None:
    loop = asyncio.get_running_loop()
    turns = 0

    async def bounded() -> None:
        nonlocal turns
        with Deadline(loop.time() - 1):
            for _ in range(3):
                await asyncio.sleep(0)
                turns += 1

    with pytest.raises(TimeoutError):
        await bounded()
    assert turns == 0


async def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    loop = asyncio.get_running_loop()
    entered = asyncio.Event()

    async def bounded() -> None:
        with Deadline(loop.time() + 60):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(bounded())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_outside_cancellation_meeting_the_deadline_is_not_turned_into_a_timeout() -> None:
    loop = asyncio.get_running_loop()
    entered = asyncio.Event()

    async def bounded() -> None:
        # Already past: the deadline asks for the cancellation at the next loop turn.
        with Deadline(loop.time() - 1):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(bounded())
    await entered.wait()  # the deadline has asked for a cancellation by now ...
    assert task.cancelling() == 1
    task.cancel()  # ... and someone else asks too, before the task runs again
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_deadline_outside_a_task_is_refused() -> None:
    loop = asyncio.get_running_loop()
    outcome: list[BaseException] = []

    def outside_any_task() -> None:
        try:
            Deadline(loop.time() + 1).__enter__()
        except RuntimeError as error:
            outcome.append(error)

    loop.call_soon(outside_any_task)
    await asyncio.sleep(0.01)
    assert len(outcome) == 1
